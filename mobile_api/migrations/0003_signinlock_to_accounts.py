# SignInLock now belongs to accounts (accounts/migrations/0008_signinlock.py), which keeps
# this app's table: it leaves mobile_api's state only, and the table stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mobile_api', '0002_sign_in_code_for_any_phone'),
        ('accounts', '0008_signinlock'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='SignInLock')],
            database_operations=[],
        ),
    ]
