"""Message templates: defaults in Russian and Kazakh, checked when librarians save them."""
import pytest

from backend.notifications.models import TEMPLATE_VARIABLES, MessageTemplate


def admin_client(client, make_user):
    user = make_user(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def form_data(template, text):
    return {"code": template.code, "channel": template.channel, "language": template.language,
            "text": text}


def test_defaults_exist_for_every_event_in_russian_and_kazakh(db):
    for code in TEMPLATE_VARIABLES:
        for language in ("ru", "kk"):
            template = MessageTemplate.objects.get(code=code, channel="sms", language=language)
            template.full_clean()
    for template in MessageTemplate.objects.filter(channel="voice"):
        template.full_clean()
    for channel in ("sms", "voice"):
        kk = MessageTemplate.objects.get(code="visit_tomorrow", channel=channel,
                                         language="kk").text
        assert any(letter in kk for letter in "әғқңөұүһі")


def test_admin_refuses_a_template_with_an_unknown_variable(db, client, make_user):
    template = MessageTemplate.objects.get(code="visit_tomorrow", channel="sms", language="ru")
    client = admin_client(client, make_user)
    url = f"/admin/notifications/messagetemplate/{template.pk}/change/"
    response = client.post(url, form_data(template, "Визит {date}, {window}, {adres}"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["text"]
    assert "{adres}" in errors[0]
    template.refresh_from_db()
    assert "{adres}" not in template.text


def test_admin_refuses_a_template_missing_a_variable(db, client, make_user):
    template = MessageTemplate.objects.get(code="order_confirmed", channel="sms", language="kk")
    client = admin_client(client, make_user)
    url = f"/admin/notifications/messagetemplate/{template.pk}/change/"
    response = client.post(url, form_data(template, "Кітап 03: {date}"))
    assert response.status_code == 200
    assert "{window}" in response.context["adminform"].form.errors["text"][0]


def test_admin_refuses_a_stray_brace(db, client, make_user):
    template = MessageTemplate.objects.get(code="sign_in_code", channel="sms", language="ru")
    client = admin_client(client, make_user)
    url = f"/admin/notifications/messagetemplate/{template.pk}/change/"
    response = client.post(url, form_data(template, "Код {code"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["text"]


def test_admin_saves_a_good_template(db, client, make_user):
    template = MessageTemplate.objects.get(code="sign_in_code", channel="sms", language="ru")
    client = admin_client(client, make_user)
    url = f"/admin/notifications/messagetemplate/{template.pk}/change/"
    response = client.post(url, form_data(template, "Ваш код: {code}"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.text == "Ваш код: {code}"
    assert template.updated_by is not None


@pytest.mark.parametrize("language, start", [("ru", "Книга 03: код"), ("kk", "Кітап 03: кіру")])
def test_sign_in_code_uses_the_template_in_the_users_language(db, language, start):
    from backend.notifications.services import sign_in_code_send

    message = sign_in_code_send(phone="+77015550199", code="4821", language=language,
                                event_key=f"code-{language}")
    assert message.text.startswith(start) and "4821" in message.text
    assert message.expires_at is not None


def test_sign_in_code_in_english_uses_the_translated_string(db):
    from backend.notifications.services import sign_in_code_send

    message = sign_in_code_send(phone="+77015550198", code="1234", language="en",
                                event_key="code-en")
    assert message.text == "Kniga 03 sign-in code: 1234. Do not tell it to anyone."
    assert message.language == "en"
