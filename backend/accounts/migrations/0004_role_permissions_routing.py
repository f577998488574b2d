"""Give the roles their permissions on volunteers and day plans."""
from django.db import migrations


def sync(apps, schema_editor):
    from backend.accounts.roles_setup import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_role_permissions_orders"),
        ("volunteers", "0001_initial"),
        ("routing", "0002_relations"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
