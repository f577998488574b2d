"""A standing plan's visit on a public holiday moves to the next working day the household
is at home, in the plan's window within that day's home hours, and the reader is told why."""
import datetime

import pytest
from django.test import Client
from django.urls import include, path

from backend.notifications.models import Message
from backend.notifications.texts import say_date
from backend.orders.models import Order
from backend.orders.services import order_create
from backend.plans.orders import standing_orders_generate
from backend.plans.selectors import standing_plan_calendar
from backend.plans.services import standing_plan_create, standing_plan_pause_add
from tests.factories import FamilyCardFactory, ReaderFactory, ReaderPhoneFactory, UserFactory

urlpatterns = [path("api/v1/", include("backend.plans.urls"))]

D = datetime.date
T = datetime.time
# Tuesday 6 July 2027 is Capital Day (День Столицы, Астана күні).
CAPITAL_DAY = D(2027, 7, 6)
JULY_1 = D(2027, 7, 1)
MON, TUE, WED, THU, FRI, SAT = range(6)


def freeze(monkeypatch, day: datetime.date) -> datetime.date:
    """Today is `day` in Almaty (order_create refuses dates before the branch's today)."""
    moment = datetime.datetime.combine(day, T(4, 0), tzinfo=datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    return day


@pytest.fixture
def july(db, monkeypatch):
    return freeze(monkeypatch, JULY_1)


def hours(*slots):
    return [{"weekday": day, "start": start, "end": end} for day, start, end in slots]


PLAN_WINDOW = (T(10), T(13))
JUNE_1 = D(2027, 6, 1)


def tuesday_plan(reader=None, *, window=PLAN_WINDOW, rrule="FREQ=WEEKLY;BYDAY=TU",
                 starts_on=JUNE_1, **owner):
    owner = owner or {"reader": reader}
    return standing_plan_create(data={
        "rrule": rrule, "starts_on": starts_on, "window_start": window[0],
        "window_end": window[1], "items_per_visit": 1, **owner,
    })


def visits(plan):
    return list(Order.objects.filter(standing_plan=plan).order_by("preferred_date")
                .values_list("preferred_date", "window_start", "window_end"))


@pytest.mark.parametrize("home, day, window", [
    # At home on Wednesday 11:00–14:00: the visit is on Wednesday, 11:00–13:00.
    (hours((TUE, "10:00", "13:00"), (WED, "11:00", "14:00")), D(2027, 7, 7), (T(11), T(13))),
    # Not at home on Wednesday or Thursday: Friday, 09:00–11:00 within 10:00–13:00.
    (hours((TUE, "10:00", "13:00"), (FRI, "09:00", "11:00")), D(2027, 7, 9), (T(10), T(11))),
    # At home on Thursday only after the plan's window: then when someone is in.
    (hours((TUE, "10:00", "13:00"), (THU, "14:00", "16:00")), D(2027, 7, 8), (T(14), T(16))),
    # No home hours on the card: the next working day, in the plan's window.
    ([], D(2027, 7, 7), (T(10), T(13))),
])
def test_a_tuesday_holiday_moves_to_the_next_working_day_at_home(july, home, day, window):
    plan = tuesday_plan(ReaderFactory(availability=home))
    result = standing_orders_generate(days=10, today=july)
    assert visits(plan) == [(day, *window)]
    assert result.created == [(plan.pk, day)]
    assert not Order.objects.filter(standing_plan=plan, preferred_date=CAPITAL_DAY).exists()


def test_a_family_cards_plan_follows_the_members_home_hours(july):
    family = FamilyCardFactory()
    head = ReaderFactory(family_card=family, availability=hours((TUE, "10:00", "12:00")))
    ReaderFactory(family_card=family, availability=hours((THU, "12:00", "15:00")))
    family.head = head
    family.save()
    plan = tuesday_plan(family_card=family)
    standing_orders_generate(days=10, today=july)
    assert visits(plan) == [(D(2027, 7, 8), T(12), T(13))]


def test_two_holidays_in_a_row_move_the_visit_past_both(db, monkeypatch):
    # Nauryz: Tuesday 23 March 2027 and the day off moved to Wednesday 24 March.
    today = freeze(monkeypatch, D(2027, 3, 20))
    plan = tuesday_plan(ReaderFactory(), starts_on=D(2027, 3, 1))
    standing_orders_generate(days=7, today=today)
    assert [v[0] for v in visits(plan)] == [D(2027, 3, 25)]


def test_a_moved_visit_joins_the_visit_the_household_already_has_that_day(july):
    reader = ReaderFactory()
    phoned = order_create(reader=reader, lines=[{"wish_text": "Абай"}],
                          preferred_date=D(2027, 7, 7), window_start=T(10), window_end=T(12))
    plan = tuesday_plan(reader)
    result = standing_orders_generate(days=10, today=july)
    assert visits(plan) == []
    assert result.merged == [(plan.pk, D(2027, 7, 7), phoned.pk)]
    assert Order.objects.filter(reader=reader).count() == 1


def test_a_moved_visit_onto_the_plans_own_day_is_one_visit(july):
    plan = tuesday_plan(ReaderFactory(), rrule="FREQ=WEEKLY;BYDAY=TU,WE")
    standing_orders_generate(days=10, today=july)
    assert [v[0] for v in visits(plan)] == [D(2027, 7, 7)]
    [entry] = standing_plan_calendar(plan, D(2027, 7, 7), D(2027, 7, 7))
    assert entry["moved_from"] == CAPITAL_DAY and entry["merged"] is True


def test_a_moved_visit_onto_another_plans_day_is_one_visit(july):
    reader = ReaderFactory()
    tuesdays = tuesday_plan(reader)
    wednesdays = tuesday_plan(reader, rrule="FREQ=WEEKLY;BYDAY=WE")
    result = standing_orders_generate(days=10, today=july)
    assert visits(tuesdays) == []
    assert [v[0] for v in visits(wednesdays)] == [D(2027, 7, 7)]
    assert [m[:2] for m in result.merged] == [(tuesdays.pk, D(2027, 7, 7))]


def test_a_pause_still_skips_and_a_move_into_a_pause_is_skipped(july):
    on_the_day = tuesday_plan(ReaderFactory())
    standing_plan_pause_add(plan=on_the_day, starts_on=D(2027, 7, 5), ends_on=D(2027, 7, 6))
    into_it = tuesday_plan(ReaderFactory())
    standing_plan_pause_add(plan=into_it, starts_on=D(2027, 7, 7), ends_on=D(2027, 7, 9),
                            reason="больница")
    standing_orders_generate(days=10, today=july)
    assert visits(on_the_day) == [] and visits(into_it) == []
    [entry] = standing_plan_calendar(into_it, CAPITAL_DAY, CAPITAL_DAY)
    assert (entry["skipped"], entry["reason"]) == (True, "pause")
    assert "больница" in entry["note"]


def test_nobody_at_home_on_a_working_day_soon_after_skips_with_the_reason(july):
    plan = tuesday_plan(ReaderFactory(availability=hours((SAT, "10:00", "14:00"))))
    result = standing_orders_generate(days=10, today=july)
    assert visits(plan) == []
    [skip] = [s for s in result.skipped if s.plan_id == plan.pk]
    assert (skip.date, skip.code) == (CAPITAL_DAY, "plan.holiday_no_day")
    assert "День Столицы" in skip.message


def test_running_the_job_again_makes_nothing_new(july, monkeypatch):
    reader = ReaderFactory(availability=hours((WED, "11:00", "14:00")))
    ReaderPhoneFactory(reader=reader)
    plan = tuesday_plan(reader)
    first = standing_orders_generate(days=10, today=july)
    assert first.created == [(plan.pk, D(2027, 7, 7))]
    again = standing_orders_generate(days=10, today=july)
    assert again.created == [] and again.existed == [(plan.pk, D(2027, 7, 7))]
    # The next day's run (the holiday itself now "today") finds it made too.
    freeze(monkeypatch, D(2027, 7, 2))
    later = standing_orders_generate(days=10, today=D(2027, 7, 2))
    assert later.created == []
    assert visits(plan) == [(D(2027, 7, 7), T(11), T(13))]
    assert Message.objects.filter(order__standing_plan=plan).count() == 1


def test_home_hours_changed_after_the_move_make_no_second_visit(july):
    reader = ReaderFactory(availability=hours((WED, "11:00", "14:00")))
    plan = tuesday_plan(reader)
    standing_orders_generate(days=10, today=july)
    reader.availability = hours((THU, "11:00", "14:00"))
    reader.save(update_fields=["availability"])
    again = standing_orders_generate(days=10, today=july)
    assert again.created == []
    assert [v[0] for v in visits(plan)] == [D(2027, 7, 7)]


@pytest.mark.parametrize("language, holiday", [("ru", "День Столицы"), ("kk", "Астана күні")])
def test_the_reader_is_told_the_visit_moved_and_which_holiday(july, language, holiday):
    reader = ReaderFactory(language=language, availability=hours((WED, "11:00", "14:00")))
    ReaderPhoneFactory(reader=reader)
    plan = tuesday_plan(reader)
    standing_orders_generate(days=10, today=july)
    message = Message.objects.get(order__standing_plan=plan)
    assert message.template == "visit_moved_holiday"
    assert message.language == language
    assert holiday in message.text
    assert say_date(CAPITAL_DAY, language) in message.text
    assert say_date(D(2027, 7, 7), language) in message.text
    assert "11:00–13:00" in message.text


def test_a_plain_visit_is_confirmed_as_before(july):
    reader = ReaderFactory()
    ReaderPhoneFactory(reader=reader)
    plan = tuesday_plan(reader, rrule="FREQ=WEEKLY;BYDAY=MO")
    standing_orders_generate(days=10, today=july)
    assert list(Message.objects.filter(order__standing_plan=plan)
                .values_list("template", flat=True)) == ["order_confirmed"]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language, note", [
    ("ru", "перенесено с 6 июля — День Столицы"),
    ("kk", "6 шілде күнінен ауыстырылды — Астана күні"),
])
def test_the_occurrences_show_the_moved_date_and_why(api, july, language, note):
    plan = tuesday_plan(ReaderFactory(availability=hours((THU, "09:00", "11:00"))))
    client = api.as_role("operator")
    response = client.get(f"/api/v1/standing-plans/{plan.pk}/occurrences/",
                          {"from": "2027-07-01", "to": "2027-07-14"},
                          HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    rows = [(r["date"], r["skipped"], r["reason"], r["moved_from"], r["note"],
             r["window_start"], r["window_end"]) for r in response.json()]
    assert rows == [
        ("2027-07-08", False, "holiday", "2027-07-06", note, "10:00", "11:00"),
        ("2027-07-13", False, None, None, "", "10:00", "13:00"),
    ]


def test_the_phone_desk_shows_the_moved_visit_and_why(api, july):
    reader = ReaderFactory(availability=hours((TUE, "10:00", "13:00"), (WED, "11:00", "14:00")))
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    plan = tuesday_plan(reader)
    standing_orders_generate(days=10, today=july)
    client = api.as_role("operator")
    response = client.get("/api/v1/desk/lookup/", {"phone": "87011234567"},
                          HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    [match] = response.json()["matches"]
    [order] = match["open_orders"]
    assert (order["preferred_date"], order["moved_note"]) == (
        "2027-07-07", "перенесено с 6 июля — День Столицы")
    [shown] = match["standing_plans"]
    assert shown["id"] == plan.pk
    assert [(v["date"], v["moved_from"], v["note"]) for v in shown["next_visits"]] == [
        ("2027-07-07", "2027-07-06", "перенесено с 6 июля — День Столицы"),
        ("2027-07-13", None, ""), ("2027-07-20", None, ""),
    ]


@pytest.mark.urls("tests.orders.urls_desk_pages")
def test_the_desk_page_says_why_the_visit_moved(july):
    reader = ReaderFactory(language="kk", availability=hours((WED, "11:00", "14:00")))
    tuesday_plan(reader)
    standing_orders_generate(days=10, today=july)
    client = Client()
    client.force_login(UserFactory(role="operator"))
    page = client.get(f"/desk/readers/{reader.pk}/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    text = page.content.decode()
    # The operator's language, not the reader's: the page speaks to the operator.
    assert text.count("перенесено с 6 июля — День Столицы") == 2  # the order and the plan
