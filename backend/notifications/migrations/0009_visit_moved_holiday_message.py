from django.db import migrations, models

# A standing plan's visit that fell on a public holiday goes to the next working day the
# household is at home: the reader hears the new day and why. Librarians edit the texts in
# the admin like the others.
SMS = {
    "ru": "Книга 03: {name}, {moved_from} — праздник ({holiday}), поэтому визит библиотеки "
          "перенесён на {date}, {window}. Ответьте 1 — подтвердить, 2 — перенести.",
    "kk": "Кітап 03: {name}, {moved_from} — мереке ({holiday}), сондықтан кітапхананың келуі "
          "{date}, {window} уақытына ауыстырылды. Растау үшін 1, ауыстыру үшін 2 деп жауап "
          "беріңіз.",
}
VOICE = {
    "ru": "Здравствуйте, {name}. Это библиотека, служба Книга 03. Визит волонтёра перенесён: "
          "{moved_from} — праздник, {holiday}. Новая дата: {date}. Время: {window}.",
    # Said as Kazakh audio where the library has a speech service or recorded prompts.
    "kk": "Сәлеметсіз бе, {name}. Бұл кітапхана, Кітап 03 қызметі. Еріктінің келуі "
          "ауыстырылды: {moved_from} — мереке, {holiday}. Жаңа күні: {date}. Уақыты: {window}.",
}


def add_texts(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for channel, texts in (("sms", SMS), ("voice", VOICE)):
        for language, text in texts.items():
            MessageTemplate.objects.get_or_create(code="visit_moved_holiday", channel=channel,
                                                  language=language, defaults={"text": text})


def remove_texts(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(code="visit_moved_holiday").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0008_order_confirmed_waiting'),
    ]

    operations = [
        migrations.AlterField(
            model_name='messagetemplate',
            name='code',
            field=models.CharField(choices=[('order_confirmed', 'Order confirmed'), ('visit_tomorrow', 'Visit tomorrow'), ('visit_moved', 'Visit moved'), ('visit_cancelled', 'Visit cancelled'), ('on_the_way', 'Volunteer on the way'), ('items_due', 'Items due back next visit'), ('route_published', 'Route published'), ('route_changed', 'Route changed'), ('sign_in_code', 'Sign-in code'), ('concern_raised', 'Concern about a reader (to the duty phone)'), ('concern_caregiver', 'Concern about a reader (to the caregiver)'), ('line_cancelled', 'An ordered title cannot be sent'), ('visit_moved_holiday', 'Visit moved off a public holiday')], max_length=30, verbose_name='event'),
        ),
        migrations.RunPython(add_texts, remove_texts),
    ]
