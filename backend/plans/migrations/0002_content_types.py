"""The content types (and so the permissions, the roles' grants and the admin's log) of
standing plans follow the models from readers to plans; then the roles are synced again."""
from django.db import migrations

MODELS = ("standingplan", "standingplanpause")


def move(apps, schema_editor):
    from backend.accounts.roles_setup import sync_role_groups

    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if ContentType.objects.filter(app_label="plans", model=model).exists():
            ContentType.objects.filter(app_label="readers", model=model).delete()
        else:
            ContentType.objects.filter(app_label="readers", model=model).update(app_label="plans")
    sync_role_groups(apps)


def back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="readers", model=model).exists():
            ContentType.objects.filter(app_label="plans", model=model).update(app_label="readers")


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("readers", "0008_standing_plans_moved_to_plans"),
        ("accounts", "0007_signinlink"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(move, back)]
