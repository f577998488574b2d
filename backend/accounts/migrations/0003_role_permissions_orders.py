"""Give the roles their permissions on the catalog, orders, loans and standing plans."""
from django.db import migrations


def sync(apps, schema_editor):
    from backend.accounts.roles_setup import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("catalog", "0001_initial"),
        ("orders", "0001_initial"),
        ("circulation", "0002_initial"),
        ("readers", "0002_standing_plans"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
