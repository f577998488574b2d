"""People see words, never codes: no page and no admin form shows a help text or a value in
JSON or RRULE syntax, or a stored choice code (`large_print`, `disability_1`).

The demo district is loaded once; then every registered admin's list, add form and change
form (of its first object) and every staff page are opened in Russian and Kazakh, and the
text a person reads is checked: text nodes, the values of visible inputs and text areas,
placeholders and titles. Scripts, styles and hidden inputs (what a widget keeps for the
server) are not read.
"""
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.urls import reverse

from backend.accounts.models import User

RRULE = re.compile(r"\b(?:FREQ|BYDAY|BYMONTHDAY|BYSETPOS|BYMONTH|INTERVAL|RRULE)\s*[=:]")
JSON = re.compile(r"""[\[{]\s*"[^"\n]{1,60}"\s*[:,\]]|\{\s*\}|\[\s*\]""")
LANGUAGES = ("ru", "kk")
SKIPPED_TAGS = {"script", "style", "template", "noscript"}
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class VisibleText(HTMLParser):
    """What a person reads on the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._textarea = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in SKIPPED_TAGS:
            self._skip += 1
            return
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        shown_input = tag == "input" and (attributes.get("type") or "text") not in (
            "hidden", "password", "checkbox", "radio", "submit", "button")
        if shown_input and attributes.get("value"):
            self.parts.append(attributes["value"])
        if tag == "textarea":
            self._textarea = True

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self._skip:
            self._skip -= 1
        if tag == "textarea":
            self._textarea = False

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def choice_codes() -> set[str]:
    """Stored codes of every choice field in the project that a person could mistake for a
    word only if shown raw: the ones with an underscore (`large_print`, `not_found`)."""
    codes = set()
    for model in apps.get_models():
        if not model.__module__.startswith(("backend.", "mobile_api.")):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and field.choices:
                for value, _label in field.flatchoices:
                    if isinstance(value, str) and "_" in value:
                        codes.add(value)
    return codes


def offences(html: str, codes: set[str]) -> list[str]:
    text = visible_text(html)
    found = []
    for pattern, what in ((RRULE, "RRULE"), (JSON, "JSON")):
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            found.append(f"{what}: …{text[start:match.end() + 40]}…")
    for word in re.findall(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", text):
        if word in codes:
            found.append(f"code: {word}")
    return found


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(district, db):
    return None


def admin_pages() -> list[str]:
    urls = []
    request = _superuser_request()
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{name}_add"))
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    return urls


def _superuser_request():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.filter(is_superuser=True).first()
    return request


def signed_in(username: str, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_admin_page_shows_json_rrule_or_codes(seeded, language):
    client = signed_in("admin", language)
    codes = choice_codes()
    problems = {}
    for url in admin_pages():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found = offences(response.content.decode(), codes)
        if found:
            problems[url] = found[:5]
    assert not problems, "\n".join(f"{u}: {p}" for u, p in problems.items())


def staff_pages() -> list[tuple[str, str]]:
    from backend.readers.models import Reader

    pages = [("operator", "/desk/"), ("coordinator", "/plan/"), ("librarian", "/reports/"),
             ("librarian", "/picking/")]
    for reader in Reader.objects.order_by("pk")[:15]:
        pages.append(("operator", f"/desk/readers/{reader.pk}/"))
        pages.append(("operator", f"/desk/readers/{reader.pk}/order/"))
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_staff_page_shows_json_rrule_or_codes(seeded, language):
    codes = choice_codes()
    problems = {}
    clients = {}
    for username, url in staff_pages():
        client = clients.setdefault(username, signed_in(username, language))
        response = client.get(url, follow=True)
        assert response.status_code == 200, (username, url, response.status_code)
        found = offences(response.content.decode(), codes)
        if found:
            problems[url] = found[:5]
    assert not problems, "\n".join(f"{u}: {p}" for u, p in problems.items())


@pytest.mark.parametrize("html, expected", [
    ('<p>Пример: {"subjects": ["поэзия"]}</p>', "JSON"),
    ('<div class="help">FREQ=WEEKLY;BYDAY=TU</div>', "RRULE"),
    ('<textarea>[{"weekday": 0}]</textarea>', "JSON"),
    ('<input type="text" value="[]">', "JSON"),
    ('<td>large_print</td>', "code"),
])
def test_the_check_sees_what_a_person_reads(db, html, expected):
    found = offences(html, {"large_print"})
    assert found and found[0].startswith(expected), found


@pytest.mark.parametrize("html", [
    '<script>const a = {"b": [1]};</script><p>Каждый вторник</p>',
    '<input type="hidden" value=\'[{"weekday": 0}]\'><p>Пн 10:00–13:00</p>',
    '<p>Крупный шрифт</p>',
])
def test_the_check_does_not_read_what_is_not_shown(db, html):
    assert offences(html, {"large_print"}) == []
