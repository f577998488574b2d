from django.db import migrations, models

# A re-plan of a published day reaches a volunteer whose route changed as one message saying
# what changed. Librarians edit the texts in the admin like the others.
SMS = {
    "ru": "Книга 03: {volunteer}, маршрут на {date} перепланирован: адресов добавлено {added}, "
          "снято {removed}, всего теперь {stops}. Откройте приложение.",
    "kk": "Кітап 03: {volunteer}, {date} бағыты қайта жоспарланды: қосылған мекенжайлар "
          "{added}, алынғаны {removed}, енді барлығы {stops}. Қосымшаны ашыңыз.",
}


def add_texts(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for language, text in SMS.items():
        MessageTemplate.objects.get_or_create(code="route_revised", channel="sms",
                                              language=language, defaults={"text": text})


def remove_texts(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(code="route_revised").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0009_visit_moved_holiday_message'),
    ]

    operations = [
        migrations.AlterField(
            model_name='messagetemplate',
            name='code',
            field=models.CharField(choices=[('order_confirmed', 'Order confirmed'), ('visit_tomorrow', 'Visit tomorrow'), ('visit_moved', 'Visit moved'), ('visit_cancelled', 'Visit cancelled'), ('on_the_way', 'Volunteer on the way'), ('items_due', 'Items due back next visit'), ('route_published', 'Route published'), ('route_changed', 'Route changed'), ('sign_in_code', 'Sign-in code'), ('concern_raised', 'Concern about a reader (to the duty phone)'), ('concern_caregiver', 'Concern about a reader (to the caregiver)'), ('line_cancelled', 'An ordered title cannot be sent'), ('visit_moved_holiday', 'Visit moved off a public holiday'), ('route_revised', 'Route re-planned')], max_length=30, verbose_name='event'),
        ),
        migrations.RunPython(add_texts, remove_texts),
    ]
