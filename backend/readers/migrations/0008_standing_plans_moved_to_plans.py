"""Standing plans have left readers for their own app (backend/plans); nothing in the
database changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_standing_plan_in_plans'),
        ('plans', '0001_initial'),
        ('readers', '0007_address_and_name_text_rules'),
    ]

    # The tables stay where they are (readers_standingplan, readers_standingplanpause):
    # only Django's idea of which app the models belong to changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='standingplanpause',
                    name='plan',
                ),
                migrations.DeleteModel(
                    name='StandingPlan',
                ),
                migrations.DeleteModel(
                    name='StandingPlanPause',
                ),
            ],
            database_operations=[],
        ),
    ]
