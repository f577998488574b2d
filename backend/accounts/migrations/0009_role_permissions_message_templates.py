"""Librarians edit the texts of the messages (view and change message templates)."""
from django.db import migrations


def sync(apps, schema_editor):
    from backend.accounts.roles_setup import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_signinlock"),
        ("notifications", "0004_concerns_and_sign_in_link"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
