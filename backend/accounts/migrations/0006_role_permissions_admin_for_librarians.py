"""Readers' data in the admin is for librarians only: operators keep no admin permissions,
coordinators those for volunteers (and a look at branches)."""
from django.db import migrations


def sync(apps, schema_editor):
    from backend.accounts.roles_setup import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_role_permissions_card_access"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
