"""The reports page: who may open it, the pickers, the figures as the API gives them, the
charts and the export links, in Russian by default and in Kazakh or English on request."""
import re

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.reports.test_figures import history  # noqa: F401 (fixture)

pytestmark = pytest.mark.urls("tests.reports.urls_report_pages")

OCTOBER = {"period": "month", "year": 2026, "month": 10}


def client_for(role: str | None) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def cell(html: str, key: str, column: str = "value") -> str:
    found = re.search(rf'data-figure="{re.escape(key)}" data-column="{column}">([^<]*)<', html)
    assert found, key
    return found.group(1)


@pytest.mark.parametrize("role", ["librarian", "coordinator"])
def test_librarians_and_coordinators_open_the_page(db, role):
    response = client_for(role).get("/reports/")
    assert response.status_code == 200
    assert "Отчёты" in response.content.decode() or "Reports" in response.content.decode()


@pytest.mark.parametrize("role", ["operator", "volunteer"])
def test_operators_and_volunteers_get_403(db, role):
    assert client_for(role).get("/reports/").status_code == 403


def test_signed_out_goes_to_sign_in(db):
    response = Client().get("/reports/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_shows_the_api_figures(db, history, api):  # noqa: F811
    branch = history["b"]
    html = client_for("librarian").get("/reports/", {**OCTOBER, "branch": branch.pk})
    html = html.content.decode()
    body = api.as_role("librarian").get("/api/v1/reports/summary/", {
        "period": "month", "year": 2026, "number": 10, "branch": branch.pk}).json()
    for figure in body["figures"]:
        shown = {c: cell(html, figure["key"], c).replace(",", ".").replace("−", "-")
                 for c in ("value", "previous", "change")}
        assert float(shown["value"]) == figure["value"], figure["key"]
        assert float(shown["previous"]) == figure["previous"], figure["key"]
        assert float(shown["change"]) == figure["change"], figure["key"]
    assert cell(html, f"volunteer.{history['v1'].pk}.hours") == "3,5"
    assert cell(html, "items.delivered", "change") == "+1"
    assert html.count("<svg") == 3
    assert f"summary.xlsx?period=month&amp;year=2026&amp;number=10&amp;branch={branch.pk}" in html
    assert "summary.csv?" in html
    assert html.count('<details class="help">') == len(body["figures"])


def test_quarter_and_api_style_number(db, history):  # noqa: F811
    client = client_for("coordinator")
    html = client.get("/reports/", {"period": "quarter", "year": 2026, "quarter": 4,
                                     "branch": history["b"].pk}).content.decode()
    assert cell(html, "items.delivered") == "4"
    html = client.get("/reports/", {"period": "month", "year": 2026, "number": 10,
                                    "branch": history["b"].pk}).content.decode()
    assert cell(html, "items.delivered") == "3"


def test_defaults_to_last_month_for_the_whole_district(db):
    response = client_for("librarian").get("/reports/")
    assert response.context["report"]["period"]["kind"] == "month"
    assert response.context["report"]["branch"] is None


def test_bad_input_is_said_not_crashed(db):
    response = client_for("librarian").get("/reports/", {"period": "week", "year": 2026})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "report" not in response.context


def test_kazakh_and_english(db, history):  # noqa: F811
    client = client_for("librarian")
    client.cookies["django_language"] = "kk"
    kk = client.get("/reports/", OCTOBER)
    assert kk.content.decode().count('lang="kk"') == 1
    client.cookies["django_language"] = "en"
    en = client.get("/reports/", OCTOBER).content.decode()
    assert "Readers served" in en and "October 2026" in en
