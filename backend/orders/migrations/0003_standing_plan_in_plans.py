"""An order's standing plan is now plans.StandingPlan (the same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_date_ranges'),
        ('plans', '0001_initial'),
    ]

    # The tables stay where they are (readers_standingplan, readers_standingplanpause):
    # only Django's idea of which app the models belong to changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='order',
                    name='standing_plan',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to='plans.standingplan', verbose_name='standing plan'),
                ),
            ],
            database_operations=[],
        ),
    ]
