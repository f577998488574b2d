"""Librarians edit the message templates in the admin: the variables in words, a preview in
Russian and Kazakh on sample data, and a text that does not render is refused."""
import pytest

from backend.notifications.models import MessageTemplate

LIST = "/admin/notifications/messagetemplate/"


def change_url(template) -> str:
    return f"{LIST}{template.pk}/change/"


@pytest.fixture
def template(db):
    return MessageTemplate.objects.get(code="visit_tomorrow", channel="sms", language="ru")


def signed_in(client, make_user, role):
    client.force_login(make_user(role=role, is_staff=True))
    return client


def test_a_librarian_opens_the_list_and_the_template(client, make_user, template):
    client = signed_in(client, make_user, "librarian")
    assert client.get(LIST).status_code == 200
    response = client.get(change_url(template))
    assert response.status_code == 200
    assert response.context["has_change_permission"]


def test_a_librarian_saves_a_good_text(client, make_user, template):
    librarian = make_user(role="librarian", is_staff=True)
    client.force_login(librarian)
    response = client.post(change_url(template), {"text": "Завтра {date}, {window}. Книга 03"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.text == "Завтра {date}, {window}. Книга 03"
    assert template.updated_by == librarian


def test_a_librarian_may_not_move_a_template_to_another_event(client, make_user, template):
    client = signed_in(client, make_user, "librarian")
    response = client.post(change_url(template), {"code": "sign_in_code", "language": "kk",
                                                   "text": "Завтра {date}, {window}"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.code, template.language) == ("visit_tomorrow", "ru")


@pytest.mark.parametrize("text, says", [
    ("Завтра {date}, {window}, {adres}", "{adres}"),
    ("Завтра {date}, {window", "Скобка"),
    ("Завтра {date}", "{window}"),
])
def test_a_text_that_does_not_render_is_refused_on_its_field(client, make_user, template,
                                                               text, says):
    before = template.text
    client = signed_in(client, make_user, "librarian")
    response = client.post(change_url(template), {"text": text})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["text"]
    assert says in errors["text"][0]
    template.refresh_from_db()
    assert template.text == before


def test_the_error_is_in_the_users_language(client, make_user, template):
    client = signed_in(client, make_user, "librarian")
    response = client.post(change_url(template), {"text": "Завтра {date}, {window}, {adres}"},
                           HTTP_ACCEPT_LANGUAGE="ru")
    assert "Неизвестная переменная {adres}" in response.context["adminform"].form.errors[
        "text"][0]


def test_a_coordinator_gets_403(client, make_user, template):
    """Coordinators enter the admin for volunteers only."""
    client = signed_in(client, make_user, "coordinator")
    assert client.get(LIST).status_code == 403
    assert client.get(change_url(template)).status_code == 403
    response = client.post(change_url(template), {"text": "Завтра {date}, {window}"})
    assert response.status_code == 403
    template.refresh_from_db()
    assert template.text != "Завтра {date}, {window}"


@pytest.mark.parametrize("role", ["operator", "volunteer"])
def test_operators_and_volunteers_are_not_let_into_the_admin(client, make_user, template, role):
    """They have no admin at all: the site sends them to its sign-in page, which says so
    (backend/core/admin_site.py); nothing of the template is shown or changed."""
    client = signed_in(client, make_user, role)
    for url in (LIST, change_url(template)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    response = client.post(change_url(template), {"text": "Завтра {date}, {window}"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.text != "Завтра {date}, {window}"


def test_operators_and_volunteers_hold_no_template_permission(make_user):
    for role in ("operator", "volunteer", "coordinator"):
        user = make_user(role=role, is_staff=True)
        assert not user.has_perm("notifications.view_messagetemplate")
        assert not user.has_perm("notifications.change_messagetemplate")
    librarian = make_user(role="librarian", is_staff=True)
    assert librarian.has_perm("notifications.change_messagetemplate")
    assert not librarian.has_perm("notifications.delete_messagetemplate")


def test_the_page_lists_the_variables_and_previews_both_languages(client, make_user, template):
    template.text = "Завтра {date}, {window}, {name}."
    template.save()
    kk = MessageTemplate.objects.get(code=template.code, channel="sms", language="kk")
    kk.text = "Ертең {date}, {window}. <b>{name}</b>"
    kk.save()
    client = signed_in(client, make_user, "librarian")
    page = client.get(change_url(template), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "{window}: the visit&#x27;s time window (must have)" in page
    assert "{name}: the reader&#x27;s first name (may have)" in page
    assert "Russian: Завтра четверг, 12 марта, 10:00–13:00, Айгуль." in page
    assert "Kazakh: Ертең 12 наурыз, бейсенбі, 10:00–13:00. &lt;b&gt;Айгуль&lt;/b&gt;" in page
    assert "<b>Айгуль</b>" not in page


def test_the_page_is_in_russian_and_kazakh(client, make_user, template):
    client = signed_in(client, make_user, "librarian")
    page = client.get(change_url(template), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "{window}: время визита (интервал) (обязательно)" in page
    assert "Русский: " in page and "Казахский: " in page
    client.cookies["django_language"] = "kk"
    page = client.get(change_url(template), HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "{window}: келу уақыты (аралық) (міндетті)" in page
    assert "Орыс тілі: " in page and "Қазақ тілі: " in page
