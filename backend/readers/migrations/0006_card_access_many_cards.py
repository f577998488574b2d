"""One access-log row per request, naming every card it showed (was: one row per card)."""
from django.db import migrations, models


def copy_cards(apps, schema_editor):
    CardAccess = apps.get_model("readers", "CardAccess")
    Readers = CardAccess.readers.through
    Families = CardAccess.family_cards.through
    rows = CardAccess.objects.values_list("id", "reader_id", "family_card_id")
    Readers.objects.bulk_create(
        [Readers(cardaccess_id=pk, reader_id=reader) for pk, reader, _ in rows if reader],
        batch_size=500)
    Families.objects.bulk_create(
        [Families(cardaccess_id=pk, familycard_id=family) for pk, _, family in rows if family],
        batch_size=500)


def copy_back(apps, schema_editor):
    CardAccess = apps.get_model("readers", "CardAccess")
    for row in CardAccess.objects.prefetch_related("readers", "family_cards"):
        readers, families = list(row.readers.all()), list(row.family_cards.all())
        row.reader = readers[0] if len(readers) == 1 else None
        row.family_card = families[0] if len(families) == 1 else None
        row.save(update_fields=["reader", "family_card"])


class Migration(migrations.Migration):

    dependencies = [
        ('readers', '0005_date_ranges'),
    ]

    operations = [
        migrations.AddField(
            model_name='cardaccess',
            name='family_cards',
            field=models.ManyToManyField(blank=True, related_name='card_accesses', to='readers.familycard', verbose_name='family cards'),
        ),
        migrations.AddField(
            model_name='cardaccess',
            name='readers',
            field=models.ManyToManyField(blank=True, related_name='card_accesses', to='readers.reader', verbose_name='readers'),
        ),
        migrations.RunPython(copy_cards, copy_back),
        migrations.RemoveIndex(
            model_name='cardaccess',
            name='readers_car_reader__88f4ab_idx',
        ),
        migrations.RemoveField(
            model_name='cardaccess',
            name='family_card',
        ),
        migrations.RemoveField(
            model_name='cardaccess',
            name='reader',
        ),
        migrations.AddField(
            model_name='cardaccess',
            name='path',
            field=models.CharField(blank=True, default='', max_length=200, verbose_name='page'),
        ),
        migrations.AlterField(
            model_name='cardaccess',
            name='action',
            field=models.CharField(choices=[('view', 'Opened the card'), ('history', "Opened the card's history"), ('lookup', 'Found by phone at the desk'), ('export', 'Exported cards'), ('list', 'Shown in a list'), ('search', 'Found by a search'), ('reading', 'Opened the reading history or loans'), ('route', 'Shown on a day plan or route')], max_length=10, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='cardaccess',
            name='channel',
            field=models.CharField(choices=[('api', 'API'), ('desk', 'Phone desk'), ('admin', 'Admin'), ('pages', 'Planning and report pages')], max_length=5, verbose_name='where'),
        ),
    ]
