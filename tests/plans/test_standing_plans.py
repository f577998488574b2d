"""Standing plans: RRULE checks, occurrences (pauses, holidays), card history, the API."""
import datetime
from types import SimpleNamespace

import pytest
from django.urls import include, path
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.calendar import is_holiday
from backend.core.exceptions import ApplicationError
from backend.plans.models import StandingPlan
from backend.plans.selectors import standing_plan_calendar, standing_plan_occurrences
from backend.plans.services import (
    standing_plan_check_rrule,
    standing_plan_create,
    standing_plan_pause_add,
    standing_plan_pause_remove,
    standing_plan_update,
)
from backend.readers.models import CardChange
from tests.factories import FamilyCardFactory, ReaderFactory

# The plan URLs are included by backend/config/urls.py; this urlconf lets the API tests run
# on their own as well.
urlpatterns = [path("api/v1/", include("backend.plans.urls"))]

D = datetime.date
T = datetime.time
TODAY = D(2026, 12, 10)


@pytest.fixture
def frozen_today(db, monkeypatch):
    """Today is 2026-12-10 in Almaty (the services and order_create read the clock)."""
    moment = datetime.datetime(2026, 12, 10, 4, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    return TODAY


def plan_data(**overrides):
    data = {
        "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        "starts_on": D(2026, 12, 1),
        "window_start": T(10, 0),
        "window_end": T(12, 0),
        "items_per_visit": 2,
    }
    data.update(overrides)
    return data


def fake_plan(rrule, starts_on, pauses=(), ends_on=None):
    """A plan that is not in the database: the occurrences are plain computation."""
    pause_objs = [SimpleNamespace(id=i + 1, starts_on=a, ends_on=b, reason="r")
                  for i, (a, b) in enumerate(pauses)]
    return SimpleNamespace(rrule=rrule, starts_on=starts_on, ends_on=ends_on,
                           pauses=SimpleNamespace(all=lambda: pause_objs))


# RRULE checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, words",
    [
        ("", "FREQ=WEEKLY"),
        ("FREQ=HOURLY", "HOURLY"),
        ("FREQ=MINUTELY;INTERVAL=30", "MINUTELY"),
        ("FREQ=SECONDLY", "SECONDLY"),
        ("FREQ=DAILY;COUNT=5;UNTIL=20271231", "COUNT or UNTIL"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("BYDAY=TU", "FREQ is missing"),
        ("FREQ=WEEKLY;BYHOUR=10", "BYHOUR"),
        ("DTSTART:20261201T000000\nRRULE:FREQ=DAILY", "RRULE only"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "6MO"),
        ("FREQ=WEEKLY;BYDAY=1MO", "numbered weekday"),
        ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2", "BYSETPOS"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no visit date"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "no visit date"),
        ("FREQ=MONTHLY;INTERVAL=12;BYMONTH=3", "no visit date"),
        ("FREQ=DAILY;UNTIL=20250101", "no visit date"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "no visit date"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
    ],
)
def test_unusable_rrule_is_refused_naming_the_rrule_field(rule, words, frozen_today):
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        standing_plan_check_rrule(rrule=rule, starts_on=D(2026, 12, 1))
    error = caught.value
    assert error.code == "plan.invalid_rrule"
    assert list(error.fields) == ["rrule"]
    assert "rrule" in str(error.message)
    assert words in " ".join(error.fields["rrule"])


def test_a_rule_that_never_matches_is_refused_quickly(frozen_today):
    """dateutil alone searches up to the year 9999 for such a rule (seconds)."""
    import time

    started = time.monotonic()
    with pytest.raises(ApplicationError):
        standing_plan_check_rrule(rrule="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
                                  starts_on=D(2026, 12, 1))
    assert time.monotonic() - started < 1


def test_rrule_is_stored_in_normal_form(frozen_today):
    text = standing_plan_check_rrule(rrule="rrule:freq=weekly;byday=tu;interval=2",
                                     starts_on=D(2026, 12, 1))
    assert text == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    # An UNTIL in UTC counts as its day.
    text = standing_plan_check_rrule(rrule="FREQ=DAILY;UNTIL=20270110T000000Z",
                                     starts_on=D(2026, 12, 1))
    assert text == "FREQ=DAILY;UNTIL=20270110"


# Occurrences -----------------------------------------------------------------------------------


def test_every_second_tuesday_gives_the_right_dates():
    plan = fake_plan("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", D(2026, 12, 1))
    assert standing_plan_occurrences(plan, D(2026, 12, 1), D(2027, 2, 28)) == [
        D(2026, 12, 1), D(2026, 12, 15), D(2026, 12, 29), D(2027, 1, 12), D(2027, 1, 26),
        D(2027, 2, 9), D(2027, 2, 23),
    ]
    # Asked from the middle of the plan, the fortnightly rhythm holds.
    assert standing_plan_occurrences(plan, D(2026, 12, 2), D(2026, 12, 31)) == [
        D(2026, 12, 15), D(2026, 12, 29),
    ]


def test_holidays_move_the_visit_to_the_next_working_day():
    plan = fake_plan("FREQ=DAILY", D(2026, 12, 14))
    # Independence Day (Wednesday 16th) moves onto Thursday's visit: one visit, not two.
    assert standing_plan_occurrences(plan, D(2026, 12, 14), D(2026, 12, 18)) == [
        D(2026, 12, 14), D(2026, 12, 15), D(2026, 12, 17), D(2026, 12, 18),
    ]
    merged = standing_plan_calendar(plan, D(2026, 12, 17), D(2026, 12, 17))
    assert [(e["date"], e["moved_from"], e["merged"]) for e in merged] == [
        (D(2026, 12, 17), D(2026, 12, 16), True)]
    first_monday = fake_plan("FREQ=MONTHLY;BYDAY=1MO", D(2026, 12, 1))
    calendar = standing_plan_calendar(first_monday, D(2026, 12, 1), D(2027, 2, 28))
    assert [(e["date"], e["skipped"], e["reason"], e["moved_from"]) for e in calendar] == [
        (D(2026, 12, 7), False, None, None),
        # New Year's Day (observed) on Monday 4 January: the visit is on Tuesday instead.
        (D(2027, 1, 5), False, "holiday", D(2027, 1, 4)),
        (D(2027, 2, 1), False, None, None),
    ]


def test_pauses_skip_dates_and_bounds_are_kept():
    plan = fake_plan("FREQ=WEEKLY;BYDAY=TH", D(2026, 12, 1),
                     pauses=[(D(2026, 12, 10), D(2026, 12, 24))], ends_on=D(2027, 1, 14))
    calendar = standing_plan_calendar(plan, D(2026, 11, 1), D(2027, 3, 1))
    assert [(e["date"], e["reason"]) for e in calendar] == [
        (D(2026, 12, 3), None), (D(2026, 12, 10), "pause"), (D(2026, 12, 17), "pause"),
        (D(2026, 12, 24), "pause"), (D(2026, 12, 31), None),
        (D(2027, 1, 8), "holiday"), (D(2027, 1, 14), None),  # Christmas, moved to Friday
    ]
    assert standing_plan_occurrences(plan, D(2026, 11, 1), D(2027, 3, 1)) == [
        D(2026, 12, 3), D(2026, 12, 31), D(2027, 1, 8), D(2027, 1, 14),
    ]


WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def plans(draw):
    starts_on = draw(st.dates(min_value=D(2026, 1, 1), max_value=D(2028, 12, 31)))
    if draw(st.booleans()):
        days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
        interval = draw(st.integers(1, 4))
        rule = (f"FREQ=WEEKLY;INTERVAL={interval};"
                f"BYDAY={','.join(WEEKDAY_CODES[d] for d in sorted(days))}")

        def expected(day):
            monday0 = starts_on - datetime.timedelta(days=starts_on.weekday())
            weeks = (day - monday0).days // 7
            return day.weekday() in days and weeks % interval == 0
    else:
        monthday = draw(st.one_of(st.integers(1, 31), st.just(-1)))
        interval = draw(st.integers(1, 3))
        rule = f"FREQ=MONTHLY;INTERVAL={interval};BYMONTHDAY={monthday}"

        def expected(day):
            months = (day.year - starts_on.year) * 12 + day.month - starts_on.month
            last = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) \
                - datetime.timedelta(days=1)
            hit = day.day == monthday if monthday > 0 else day == last
            return hit and months % interval == 0
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        first = starts_on + datetime.timedelta(days=draw(st.integers(0, 150)))
        pauses.append((first, first + datetime.timedelta(days=draw(st.integers(0, 30)))))
    return rule, starts_on, pauses, expected


@settings(max_examples=150, deadline=None)
@given(plans(), st.integers(0, 200), st.integers(0, 120))
def test_occurrences_follow_the_rule_avoid_pauses_and_move_off_holidays(plan_case, offset, length):
    rule, starts_on, pauses, expected = plan_case
    plan = fake_plan(rule, starts_on, pauses=pauses)
    start = starts_on + datetime.timedelta(days=offset)
    end = start + datetime.timedelta(days=length)
    dates = standing_plan_occurrences(plan, start, end)
    assert dates == sorted(set(dates))
    for day in dates:
        assert start <= day <= end
        assert not is_holiday(day)
        assert not any(a <= day <= b for a, b in pauses)
    def paused(day):
        return any(a <= day <= b for a, b in pauses)

    # The rule's days, each on its own day or, on a holiday, on the next weekday that is
    # not one (within two weeks; a pause there drops it); from two weeks before `start`,
    # since a holiday just before may move its visit in.
    wanted = set()
    for i in range(-14, length + 1):
        day = start + datetime.timedelta(days=i)
        if day < starts_on or not expected(day) or paused(day):
            continue
        if is_holiday(day):
            later = [day + datetime.timedelta(days=k) for k in range(1, 15)]
            later = [d for d in later if d.weekday() < 5 and not is_holiday(d)]
            if not later or paused(later[0]):
                continue
            day = later[0]
        if start <= day <= end:
            wanted.add(day)
    assert dates == sorted(wanted)


# Services ---------------------------------------------------------------------------------------


def test_create_records_the_plan_in_the_reader_card_history(frozen_today, make_user):
    librarian = make_user("librarian")
    reader = ReaderFactory()
    plan = standing_plan_create(data={"reader": reader, **plan_data(rrule="freq=weekly;byday=th")},
                                by=librarian)
    assert plan.rrule == "FREQ=WEEKLY;BYDAY=TH"
    change = CardChange.objects.get(reader=reader)
    old, new = change.changes["standing_plan"]
    assert old is None
    assert new["rrule"] == "FREQ=WEEKLY;BYDAY=TH" and new["window_start"] == "10:00"
    assert change.actor == librarian


def test_update_pause_add_and_remove_are_in_the_history(frozen_today):
    reader = ReaderFactory()
    plan = standing_plan_create(data={"reader": reader, **plan_data()})
    standing_plan_update(plan=plan, data={"window_start": T(9, 0), "note": "позвонить"})
    pause = standing_plan_pause_add(plan=plan, starts_on=D(2027, 1, 1), ends_on=D(2027, 1, 31),
                                    reason="больница")
    standing_plan_pause_remove(pause=pause)
    history = [c.changes["standing_plan"] for c in
               CardChange.objects.filter(reader=reader).order_by("id")]
    assert len(history) == 4
    assert history[1][0]["window_start"] == "10:00" and history[1][1]["window_start"] == "09:00"
    assert history[2][1]["pauses"][0]["reason"] == "больница"
    assert history[3][1]["pauses"] == []


def test_family_plan_change_goes_to_the_family_card_history(frozen_today):
    head = ReaderFactory()
    family = FamilyCardFactory(head=head)
    head.family_card = family
    head.save()
    standing_plan_create(data={"family_card": family, **plan_data()})
    assert CardChange.objects.filter(family_card=family).count() == 1


@pytest.mark.parametrize("owner", ["none", "both"])
def test_exactly_one_of_reader_or_family_card(owner, frozen_today):
    reader = ReaderFactory()
    data = plan_data()
    if owner == "both":
        data.update(reader=reader, family_card=FamilyCardFactory(head=reader))
    with pytest.raises(ApplicationError) as caught:
        standing_plan_create(data=data)
    assert caught.value.code == "plan.reader_or_family"
    assert StandingPlan.objects.count() == 0


def test_paused_reader_gets_no_plan(frozen_today):
    reader = ReaderFactory(status="paused")
    with pytest.raises(ApplicationError) as caught:
        standing_plan_create(data={"reader": reader, **plan_data()})
    assert caught.value.code == "reader.not_active"
    assert caught.value.status_code == 409


def test_bad_window_and_dates(frozen_today):
    reader = ReaderFactory()
    with pytest.raises(ApplicationError) as caught:
        standing_plan_create(data={"reader": reader, **plan_data(window_end=T(9, 0))})
    assert caught.value.code == "plan.bad_window"
    with pytest.raises(ApplicationError) as caught:
        standing_plan_create(data={"reader": reader,
                                   **plan_data(ends_on=D(2026, 11, 1))})
    assert caught.value.code == "plan.bad_dates"


def test_pauses_must_be_in_order_and_not_overlap(frozen_today):
    plan = standing_plan_create(data={"reader": ReaderFactory(), **plan_data()})
    standing_plan_pause_add(plan=plan, starts_on=D(2027, 1, 10), ends_on=D(2027, 1, 20))
    with pytest.raises(ApplicationError) as caught:
        standing_plan_pause_add(plan=plan, starts_on=D(2027, 1, 5), ends_on=D(2027, 1, 4))
    assert caught.value.code == "plan.pause_dates"
    for start, end in [(D(2027, 1, 5), D(2027, 1, 10)), (D(2027, 1, 20), D(2027, 1, 25)),
                       (D(2027, 1, 12), D(2027, 1, 13)), (D(2027, 1, 1), D(2027, 2, 1))]:
        with pytest.raises(ApplicationError) as caught:
            standing_plan_pause_add(plan=plan, starts_on=start, ends_on=end)
        assert caught.value.code == "plan.pause_overlap"
    # Touching is not overlapping.
    standing_plan_pause_add(plan=plan, starts_on=D(2027, 1, 21), ends_on=D(2027, 1, 22))
    assert plan.pauses.count() == 2


# API ----------------------------------------------------------------------------------------------

pytestmark_api = pytest.mark.urls(__name__)


@pytestmark_api
def test_volunteer_gets_403_everywhere(api, frozen_today):
    plan = standing_plan_create(data={"reader": ReaderFactory(), **plan_data()})
    client = api.as_role("volunteer")
    assert client.get("/api/v1/standing-plans/").status_code == 403
    assert client.get(f"/api/v1/standing-plans/{plan.id}/").status_code == 403
    assert client.get(f"/api/v1/standing-plans/{plan.id}/occurrences/").status_code == 403
    response = client.post("/api/v1/standing-plans/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytestmark_api
def test_coordinator_reads_but_cannot_write(api, frozen_today):
    reader = ReaderFactory()
    plan = standing_plan_create(data={"reader": reader, **plan_data()})
    client = api.as_role("coordinator")
    response = client.get("/api/v1/standing-plans/", {"reader": reader.id})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [plan.id]
    body = {"reader": reader.id, "rrule": "FREQ=WEEKLY;BYDAY=TH", "window_start": "14:00",
            "window_end": "16:00"}
    assert client.post("/api/v1/standing-plans/", body, format="json").status_code == 403
    assert client.patch(f"/api/v1/standing-plans/{plan.id}/", {"note": "x"},
                        format="json").status_code == 403
    assert client.post(f"/api/v1/standing-plans/{plan.id}/pauses/",
                       {"starts_on": "2027-01-01", "ends_on": "2027-01-02"},
                       format="json").status_code == 403


@pytestmark_api
@pytest.mark.parametrize("role", ["operator", "librarian"])
def test_operator_and_librarian_create_and_change_plans(api, role, frozen_today):
    reader = ReaderFactory()
    client = api.as_role(role)
    body = {"reader": reader.id, "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "starts_on": "2026-12-01", "window_start": "10:00", "window_end": "12:00",
            "items_per_visit": 3}
    response = client.post("/api/v1/standing-plans/", body, format="json")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["reader"]["id"] == reader.id and plan["family_card"] is None
    assert plan["window_start"] == "10:00" and plan["active"] is True

    response = client.patch(f"/api/v1/standing-plans/{plan['id']}/",
                            {"rrule": "FREQ=WEEKLY;BYDAY=TH", "window_end": "13:00"},
                            format="json")
    assert response.status_code == 200
    assert response.json()["rrule"] == "FREQ=WEEKLY;BYDAY=TH"
    assert response.json()["window_end"] == "13:00"

    response = client.post(f"/api/v1/standing-plans/{plan['id']}/pauses/",
                           {"starts_on": "2026-12-20", "ends_on": "2026-12-31",
                            "reason": "больница"}, format="json")
    assert response.status_code == 201
    pause_id = response.json()["pauses"][0]["id"]

    response = client.get(f"/api/v1/standing-plans/{plan['id']}/occurrences/",
                          {"from": "2026-12-11", "to": "2027-01-10"})
    assert response.status_code == 200
    rows = [(r["date"], r["skipped"], r["reason"], r["moved_from"]) for r in response.json()]
    # Orthodox Christmas (Thursday 7 January) moves the visit to Friday: no home hours on
    # the card, so any working day will do.
    assert rows == [
        ("2026-12-17", False, None, None), ("2026-12-24", True, "pause", None),
        ("2026-12-31", True, "pause", None), ("2027-01-08", False, "holiday", "2027-01-07"),
    ]

    response = client.delete(f"/api/v1/standing-plans/{plan['id']}/pauses/{pause_id}/")
    assert response.status_code == 204
    assert client.get(f"/api/v1/standing-plans/{plan['id']}/").json()["pauses"] == []


@pytestmark_api
def test_api_errors_name_the_field(api, frozen_today):
    reader = ReaderFactory()
    client = api.as_role("librarian")
    body = {"reader": reader.id, "rrule": "FREQ=HOURLY", "window_start": "10:00",
            "window_end": "12:00"}
    response = client.post("/api/v1/standing-plans/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "plan.invalid_rrule"
    assert "rrule" in response.json()["fields"]

    plan = standing_plan_create(data={"reader": reader, **plan_data()})
    client.post(f"/api/v1/standing-plans/{plan.id}/pauses/",
                {"starts_on": "2027-01-01", "ends_on": "2027-01-10"}, format="json")
    response = client.post(f"/api/v1/standing-plans/{plan.id}/pauses/",
                           {"starts_on": "2027-01-05", "ends_on": "2027-01-20"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "plan.pause_overlap"

    response = client.get(f"/api/v1/standing-plans/{plan.id}/occurrences/",
                          {"from": "2027-01-10", "to": "2027-01-01"})
    assert response.status_code == 400
    assert "to" in response.json()["fields"]

    response = client.post("/api/v1/standing-plans/", {**body, "rrule": "FREQ=WEEKLY;BYDAY=TU",
                                                       "family_card": FamilyCardFactory().id},
                           format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "plan.reader_or_family"


@pytestmark_api
def test_list_filters(api, frozen_today):
    a = standing_plan_create(data={"reader": ReaderFactory(), **plan_data()})
    b = standing_plan_create(data={"reader": ReaderFactory(), **plan_data(active=False)})
    client = api.as_role("operator")
    ids = [p["id"] for p in client.get("/api/v1/standing-plans/", {"active": "true"})
           .json()["results"]]
    assert ids == [a.id]
    ids = [p["id"] for p in client.get("/api/v1/standing-plans/", {"active": "false"})
           .json()["results"]]
    assert ids == [b.id]
    assert client.get("/api/v1/standing-plans/").json()["count"] == 2


@pytestmark_api
@pytest.mark.parametrize("name", ["reader", "family_card"])
def test_an_id_no_database_can_hold_is_a_bad_parameter_not_a_500(api, name):
    response = api.as_role("operator").get("/api/v1/standing-plans/", {name: 10**30})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [name]


@pytestmark_api
def test_a_plan_id_no_database_can_hold_is_404_not_500(api):
    response = api.as_role("operator").delete(f"/api/v1/standing-plans/{10**30}/pauses/1/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
