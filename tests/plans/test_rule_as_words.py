"""Wherever a plan's or a shift's rule reaches people, it is a sentence: the desk card, and
the API's read-only `rrule_text` (in the caller's language) next to `rrule`."""
import datetime

import pytest
from django.test import Client

from backend.plans.services import standing_plan_create
from tests.factories import ReaderFactory, ReaderPhoneFactory, UserFactory
from tests.openapi import assert_documented
from tests.volunteers.factories import ShiftFactory, VolunteerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return standing_plan_create(data={
        "reader": ReaderFactory(), "rrule": "FREQ=MONTHLY;BYDAY=1MO,3MO",
        "starts_on": datetime.date(2030, 1, 1), "window_start": datetime.time(10),
        "window_end": datetime.time(12)})


def test_the_desk_card_shows_the_plan_as_a_sentence(plan):
    client = Client()
    client.force_login(UserFactory(role="operator"))
    html = client.get(f"/desk/readers/{plan.reader_id}/",
                      HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "1-й и 3-й понедельник месяца" in html
    assert "FREQ=" not in html and "BYDAY" not in html


@pytest.mark.parametrize(("lang", "text"), [
    ("ru", "1-й и 3-й понедельник месяца"),
    ("kk", "айдың 1-ші және 3-ші дүйсенбісі"),
    ("en", "1st and 3rd Monday of the month"),
])
def test_the_plans_api_adds_the_sentence_in_the_callers_language(api, plan, lang, text):
    client = api.as_role("librarian")
    response = client.get(f"/api/v1/standing-plans/{plan.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert response.json()["rrule"] == "FREQ=MONTHLY;BYDAY=1MO,3MO"
    assert response.json()["rrule_text"] == text
    assert_documented(response, "get", "/api/v1/standing-plans/{id}/")


def test_the_desk_lookup_adds_the_sentence(api, plan):
    ReaderPhoneFactory(reader=plan.reader, number="+77011234567")
    body = api.as_role("operator").get("/api/v1/desk/lookup/", {"phone": "87011234567"},
                                       HTTP_ACCEPT_LANGUAGE="kk").json()
    plans = [p for match in body["matches"] for p in match["standing_plans"]]
    assert [p["rrule_text"] for p in plans] == ["айдың 1-ші және 3-ші дүйсенбісі"]


def test_the_volunteers_api_adds_the_shift_sentence(api):
    volunteer = VolunteerFactory()
    ShiftFactory(volunteer=volunteer, rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR")
    response = api.as_role("coordinator").get(f"/api/v1/volunteers/{volunteer.pk}/",
                                              HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    shift = response.json()["shifts"][0]
    assert shift["rrule"] == "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert shift["rrule_text"] == "по понедельникам, средам и пятницам"
    assert_documented(response, "get", "/api/v1/volunteers/{id}/")


def test_the_volunteers_app_gets_its_shifts_in_words():
    from tests.mobile_api.conftest import app_for, make_volunteer

    app = app_for(make_volunteer())
    response = app.get("/api/mobile/v1/me/availability/", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 200
    assert [s["rrule_text"] for s in response.json()["shifts"]] == ["күн сайын"]
    assert_documented(response, "get", "/api/mobile/v1/me/availability/")
