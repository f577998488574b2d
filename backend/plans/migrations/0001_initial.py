"""Standing plans move from readers into their own app; the tables keep their names."""

import backend.core.dates
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('readers', '0007_address_and_name_text_rules'),
    ]

    # The tables stay where they are (readers_standingplan, readers_standingplanpause):
    # only Django's idea of which app the models belong to changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='StandingPlan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='created')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                        ('rrule', models.CharField(help_text='For example FREQ=WEEKLY;INTERVAL=2;BYDAY=TU (every second Tuesday).', max_length=300, verbose_name='recurrence (RRULE)')),
                        ('starts_on', models.DateField(validators=[backend.core.dates.validate_calendar_date], verbose_name='starts on')),
                        ('ends_on', models.DateField(blank=True, null=True, validators=[backend.core.dates.validate_calendar_date], verbose_name='ends on')),
                        ('window_start', models.TimeField(verbose_name='window from')),
                        ('window_end', models.TimeField(verbose_name='window to')),
                        ('items_per_visit', models.PositiveSmallIntegerField(default=3, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(20)], verbose_name='items per visit')),
                        ('active', models.BooleanField(default=True, verbose_name='active')),
                        ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                        ('family_card', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='standing_plans', to='readers.familycard', verbose_name='family card')),
                        ('reader', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='standing_plans', to='readers.reader', verbose_name='reader')),
                    ],
                    options={
                        'verbose_name': 'standing plan',
                        'verbose_name_plural': 'standing plans',
                        'db_table': 'readers_standingplan',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='StandingPlanPause',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('starts_on', models.DateField(validators=[backend.core.dates.validate_calendar_date], verbose_name='from')),
                        ('ends_on', models.DateField(validators=[backend.core.dates.validate_calendar_date], verbose_name='to')),
                        ('reason', models.CharField(blank=True, max_length=200, verbose_name='reason')),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pauses', to='plans.standingplan')),
                    ],
                    options={
                        'verbose_name': 'pause',
                        'verbose_name_plural': 'pauses',
                        'db_table': 'readers_standingplanpause',
                        'ordering': ['starts_on'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='standingplan',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('reader__isnull', False), ('family_card__isnull', True)), models.Q(('reader__isnull', True), ('family_card__isnull', False)), _connector='OR'), name='plan_reader_xor_family'),
                ),
                migrations.AddConstraint(
                    model_name='standingplan',
                    constraint=models.CheckConstraint(condition=models.Q(('window_start__lt', models.F('window_end'))), name='plan_window_ordered'),
                ),
                migrations.AddConstraint(
                    model_name='standingplanpause',
                    constraint=models.CheckConstraint(condition=models.Q(('starts_on__lte', models.F('ends_on'))), name='pause_dates_ordered'),
                ),
            ],
            database_operations=[],
        ),
    ]
