"""Librarians read the card access log."""
from django.db import migrations


def sync(apps, schema_editor):
    from backend.accounts.roles_setup import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_role_permissions_routing"),
        ("readers", "0004_card_access_and_anonymization"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
