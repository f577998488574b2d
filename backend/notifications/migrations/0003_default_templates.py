"""The default message texts in Russian and Kazakh. Librarians edit them in the admin;
this migration only adds the ones that are missing."""
from django.db import migrations

SMS = {
    "order_confirmed": {
        "ru": "Книга 03: заявка принята. {name}, визит библиотеки: {date}, {window}. "
              "Ответьте 1 — подтвердить, 2 — перенести.",
        "kk": "Кітап 03: өтінім қабылданды. {name}, кітапхананың келу күні: {date}, {window}. "
              "Растау үшін 1, ауыстыру үшін 2 деп жауап беріңіз.",
    },
    "visit_tomorrow": {
        "ru": "Книга 03: {name}, напоминаем о визите библиотеки: {date}, {window}. "
              "Ответьте 1 — подтвердить, 2 — перенести.",
        "kk": "Кітап 03: {name}, кітапхананың келуін еске саламыз: {date}, {window}. "
              "Растау үшін 1, ауыстыру үшін 2 деп жауап беріңіз.",
    },
    "visit_moved": {
        "ru": "Книга 03: {name}, визит библиотеки перенесён. Новая дата: {date}, {window}. "
              "Ответьте 1 — подтвердить, 2 — перенести.",
        "kk": "Кітап 03: {name}, кітапхананың келуі ауыстырылды. Жаңа күні: {date}, {window}. "
              "Растау үшін 1, ауыстыру үшін 2 деп жауап беріңіз.",
    },
    "visit_cancelled": {
        "ru": "Книга 03: {name}, визит библиотеки не состоится: {date}. "
              "Мы позвоним, чтобы договориться о новом дне.",
        "kk": "Кітап 03: {name}, кітапхананың келуі болмайды: {date}. "
              "Жаңа күнді келісу үшін сізге хабарласамыз.",
    },
    "on_the_way": {
        "ru": "Книга 03: {name}, волонтёр библиотеки {volunteer} уже в пути и скоро будет у вас.",
        "kk": "Кітап 03: {name}, кітапхана еріктісі {volunteer} жолда, жақында сізге келеді.",
    },
    "items_due": {
        "ru": "Книга 03: {name}, к визиту ({date}) приготовьте, пожалуйста, книги для "
              "возврата: {titles}.",
        "kk": "Кітап 03: {name}, келу күніне ({date}) қайтаратын кітаптарды дайындап "
              "қойыңыз: {titles}.",
    },
    "route_published": {
        "ru": "Книга 03: {volunteer}, ваш маршрут готов. Дата: {date}, адресов: {stops}, "
              "выход в {start}. Подробности в приложении.",
        "kk": "Кітап 03: {volunteer}, бағытыңыз дайын. Күні: {date}, мекенжайлар: {stops}, "
              "шығу уақыты {start}. Толығырақ қосымшада.",
    },
    "route_changed": {
        "ru": "Книга 03: {volunteer}, ваш маршрут изменён. Дата: {date}, адресов теперь: "
              "{stops}. Откройте приложение.",
        "kk": "Кітап 03: {volunteer}, бағытыңыз өзгерді. Күні: {date}, мекенжайлар енді: "
              "{stops}. Қосымшаны ашыңыз.",
    },
    "sign_in_code": {
        "ru": "Книга 03: код для входа {code}. Никому его не сообщайте.",
        "kk": "Кітап 03: кіру коды {code}. Оны ешкімге айтпаңыз.",
    },
}

# Said by a voice on a call. Twilio has no Kazakh voice, so calls are made in Russian.
VOICE = {
    "order_confirmed": "Здравствуйте, {name}. Это библиотека, служба Книга 03. "
                       "Ваша заявка принята. Дата визита: {date}. Время: {window}. "
                       "Чтобы перенести визит, позвоните в библиотеку.",
    "visit_tomorrow": "Здравствуйте, {name}. Это библиотека, служба Книга 03. "
                      "Напоминаем о визите волонтёра. Дата: {date}. Время: {window}. "
                      "Чтобы перенести визит, позвоните в библиотеку.",
    "visit_moved": "Здравствуйте, {name}. Это библиотека, служба Книга 03. "
                   "Визит волонтёра перенесён. Новая дата: {date}. Время: {window}.",
    "visit_cancelled": "Здравствуйте, {name}. Это библиотека, служба Книга 03. "
                       "К сожалению, визит волонтёра не состоится. Дата визита была: {date}. "
                       "Мы позвоним вам, чтобы договориться о новом дне.",
    "on_the_way": "Здравствуйте, {name}. Это библиотека, служба Книга 03. "
                  "Волонтёр {volunteer} уже в пути и скоро будет у вас.",
    "items_due": "Здравствуйте, {name}. Это библиотека, служба Книга 03. "
                 "Дата визита: {date}. Пожалуйста, приготовьте книги для возврата: {titles}.",
}


def add_defaults(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, texts in SMS.items():
        for language, text in texts.items():
            MessageTemplate.objects.get_or_create(
                code=code, channel="sms", language=language, defaults={"text": text})
    for code, text in VOICE.items():
        MessageTemplate.objects.get_or_create(
            code=code, channel="voice", language="ru", defaults={"text": text})


def remove_defaults(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, texts in SMS.items():
        for language, text in texts.items():
            MessageTemplate.objects.filter(code=code, channel="sms", language=language,
                                           text=text).delete()
    for code, text in VOICE.items():
        MessageTemplate.objects.filter(code=code, channel="voice", language="ru",
                                       text=text).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_outbox_templates_inbox"),
    ]

    operations = [
        migrations.RunPython(add_defaults, remove_defaults),
    ]
