"""403 and 404 pages: in the page's language, in the pages' frame (base.html, app.css, the
strict CSP), with a link to the page where this user works. The API keeps its JSON shape."""
import re

import pytest

from tests.core.test_csp import assert_strict
from tests.factories import UserFactory
from tests.volunteers.factories import VolunteerFactory

pytestmark = pytest.mark.django_db
MISSING = "/no-such-page/"
LINK = re.compile(r'Your page: <a href="([^"]+)">([^<]+)</a>')


def own_link(response) -> tuple[str, str]:
    return LINK.search(response.content.decode()).groups()


@pytest.mark.parametrize(("role", "path", "link"), [
    ("operator", "/reports/", ("/desk/", "Phone desk")),
    ("coordinator", "/desk/", ("/plan/", "Day plan")),
    ("volunteer", "/desk/", ("/app/", "Volunteer app")),
])
def test_a_refused_page_sends_each_role_back_to_its_own(client, role, path, link):
    user = VolunteerFactory().user if role == "volunteer" else UserFactory(role=role)
    client.force_login(user)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "No access to this page" in response.content.decode()
    assert own_link(response) == link
    assert_strict(response)


@pytest.mark.parametrize(("role", "link"), [
    ("librarian", ("/admin/", "Admin")),
    ("operator", ("/desk/", "Phone desk")),
    ("coordinator", ("/plan/", "Day plan")),
    ("volunteer", ("/app/", "Volunteer app")),
])
def test_a_missing_page_links_to_the_users_own(client, role, link):
    if role == "volunteer":
        user = VolunteerFactory().user
    else:
        user = UserFactory(role=role, is_staff=role == "librarian")
    client.force_login(user)
    response = client.get(MISSING, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert own_link(response) == link
    assert_strict(response)


def test_a_missing_page_asks_a_stranger_to_sign_in_and_come_back(client):
    response = client.get(MISSING, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert own_link(response) == ("/accounts/login/?next=%2Fno-such-page%2F", "Sign in")


@pytest.mark.parametrize(("lang", "title", "link"), [
    ("ru", "Страница не найдена", "Ваша страница:"),
    ("kk", "Бет табылмады", "Сіздің бетіңіз:"),
    ("en", "Page not found", "Your page:"),
])
def test_the_404_page_speaks_the_users_language(client, lang, title, link):
    client.force_login(UserFactory(role="operator"))
    response = client.get(MISSING, HTTP_ACCEPT_LANGUAGE=lang)
    body = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{lang}">' in body
    assert f"<h1>{title}</h1>" in body
    assert link in body
    assert "/static/css/app.css" in body  # the pages' own frame


@pytest.mark.parametrize(("lang", "title"), [
    ("ru", "Нет доступа к этой странице"),
    ("kk", "Бұл бетке кіру рұқсаты жоқ"),
    ("en", "No access to this page"),
])
def test_the_403_page_speaks_the_users_language(client, lang, title):
    client.force_login(UserFactory(role="operator"))
    response = client.get("/reports/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in response.content.decode()


def test_two_refusals_of_the_same_user_are_the_same_bytes(client):
    client.force_login(UserFactory(role="operator"))
    first = client.get("/reports/?a=1", HTTP_ACCEPT_LANGUAGE="en")
    second = client.get("/reports/?b=2", HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == second.status_code == 403
    assert first.content == second.content


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/mobile/v1/no-such-thing/"])
def test_the_api_keeps_its_json_error_shape(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "not_found", "message": "Не найдено.", "fields": {}}
