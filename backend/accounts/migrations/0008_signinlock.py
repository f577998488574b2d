# SignInLock moves from mobile_api to accounts: the table (mobile_api_signinlock) stays as it
# is, only Django's state changes hands (mobile_api/migrations/0003_signinlock_to_accounts.py).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_signinlink'),
        # The table is made there; it must exist before accounts takes it over.
        ('mobile_api', '0002_sign_in_code_for_any_phone'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SignInLock',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=64, unique=True)),
                        ('failures', models.PositiveSmallIntegerField(default=0)),
                        ('first_failure_at', models.DateTimeField(blank=True, null=True)),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'verbose_name': 'sign-in lock',
                        'verbose_name_plural': 'sign-in locks',
                        'db_table': 'mobile_api_signinlock',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
