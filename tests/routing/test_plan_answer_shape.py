"""The day plan answered as plain dicts (routing.plan_answers.plan_answer / plan_answers, read by
selectors.plan_read) is what DRF writes field by field with PlanOutputSerializer and its
routes' and stops' serializers over selectors.plan_queryset(): every kind and status of
stop, unserved stops with each reason, family cards, stops with and without coordinates
and expected times, in Russian and Kazakh and in more than one time zone; through the API
(detail, list, plan_body) with the same card access log as before."""
import datetime
import zoneinfo

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIRequestFactory

from backend.orders.models import Order
from backend.readers.models import CardAccess
from backend.routing import selectors
from backend.routing.apis import (
    PlanOutputSerializer,
    RouteOutputSerializer,
    StopOutputSerializer,
    plan_body,
    stops_shown,
)
from backend.routing.models import DayPlan, Route, Stop, UnservedReason
from backend.routing.plan_answers import plan_answer, plan_answers
from tests.answer_shape import as_json, assert_same_answer, field_by_field
from tests.factories import BranchFactory, FamilyCardFactory, ReaderFactory, UserFactory
from tests.reports.factories import VolunteerFactory

UTC = datetime.UTC
AT = datetime.datetime(2026, 12, 8, 3, 30, 15, 250000, tzinfo=UTC)
ZONES = ["Asia/Almaty", "UTC", "Asia/Qostanay"]


def _stop(plan, route, sequence, *, family=None, reader=None, orders=(), **fields):
    reader = reader or ReaderFactory(branch=plan.branch)
    stop = Stop.objects.create(
        plan=plan, route=route, sequence=sequence, reader=reader, family_card=family,
        household=f"F{family.pk}" if family else f"R{reader.pk}",
        lat=fields.pop("lat", 54.78), lon=fields.pop("lon", 69.1),
        window_start=fields.pop("window_start", datetime.time(10, 0)),
        window_end=fields.pop("window_end", datetime.time(12, 30, 45)), **fields)
    stop.orders.add(*orders)
    return stop


def _order(reader, branch, created_at):
    order = Order.objects.create(reader=reader, branch=branch)
    Order.objects.filter(pk=order.pk).update(created_at=created_at)
    return order


@pytest.fixture
def city_day(db):
    """A day the planner is working on: four routes (one with every kind and status of
    stop, one of a volunteer with no name, one whose stops are all cancelled, one with no
    stop), unserved stops with each reason, family cards, stops with and without
    coordinates, expected times, pins and orders."""
    branch = BranchFactory(name="Филиал «Сарыарқа»")
    plan = DayPlan.objects.create(
        branch=branch, date=datetime.date(2026, 12, 8), status="draft", solve_status="running",
        progress={"phase": "search", "percent": 40, "served": 7, "best": {"km": 12.5}},
        figures={"served": 7, "unserved": 10, "distance_km": 41.25, "volunteers": 3,
                 "late": None},
        solved_at=AT)
    named = VolunteerFactory(branch=branch, languages=["kk", "ru"], capacity=25,
                             transport="car",
                             user=UserFactory(first_name="Айгерим", last_name="Сәрсенова"))
    nameless = VolunteerFactory(branch=branch, languages=[], transport="bicycle",
                                user=UserFactory(first_name="", last_name="", username="v-77"))
    third = VolunteerFactory(branch=branch, user=UserFactory(first_name="Олег", last_name=""))
    fourth = VolunteerFactory(branch=branch)
    full = Route.objects.create(plan=plan, volunteer=named, status="started", departure=AT,
                                end=AT + datetime.timedelta(hours=5, seconds=7),
                                distance_m=18250, duration_s=18007, travel_s=5400, max_load=9)
    bare = Route.objects.create(plan=plan, volunteer=nameless, status="draft")
    emptied = Route.objects.create(plan=plan, volunteer=third, status="published",
                                   departure=AT, end=AT + datetime.timedelta(hours=1))
    Route.objects.create(plan=plan, volunteer=fourth, status="draft")
    family = FamilyCardFactory(branch=branch, name="Семья Омаровых", street="Абая",
                               house="7", apartment="12")
    bare_family = FamilyCardFactory(branch=branch, name="Семья Ким", settlement="",
                                    street="", house="", apartment="")
    member = ReaderFactory(branch=branch, family_card=family, patronymic="",
                           apartment="3", card_number="K-0001")
    reader = ReaderFactory(branch=branch, apartment="45", last_name="Жақсыбекова")
    older, newer = (_order(reader, branch, AT - datetime.timedelta(days=2)),
                    _order(reader, branch, AT - datetime.timedelta(days=1)))
    same_time = [_order(reader, branch, AT) for _ in range(2)]
    _stop(plan, full, 1, reader=reader, orders=[older, newer, *same_time], kind="delivery",
          status="completed", expected_arrival=AT + datetime.timedelta(minutes=20),
          service_minutes=15, load_out=3, load_back=1, languages=["kk", "ru"],
          pinned_volunteer=named)
    _stop(plan, full, 2, family=family, reader=member, kind="pickup", status="arrived",
          expected_arrival=AT + datetime.timedelta(minutes=45), load_back=2,
          orders=[_order(member, branch, AT)])
    _stop(plan, full, 3, kind="delivery", status="failed", lat=None, lon=None,
          expected_arrival=None, window_start=datetime.time(9, 5),
          window_end=datetime.time(17, 59, 59))
    _stop(plan, full, 4, kind="delivery", status="planned", lat=54.0, lon=69.0,
          expected_arrival=AT + datetime.timedelta(hours=2, microseconds=1))
    _stop(plan, full, 5, kind="pickup", status="cancelled")  # not shown
    _stop(plan, bare, 1, family=bare_family,
          reader=ReaderFactory(branch=branch, family_card=bare_family, settlement="",
                               street="", house=""),
          status="planned", expected_arrival=AT, lat=0.0, lon=-0.5)
    # A route whose every stop was cancelled shows them (it reads its own stops).
    _stop(plan, emptied, 2, kind="pickup", status="cancelled", orders=[
        _order(reader, branch, AT)])
    _stop(plan, emptied, 1, kind="delivery", status="cancelled", expected_arrival=AT)
    for reason in UnservedReason.values:
        _stop(plan, None, 0, unserved_reason=reason,
              lat=None if reason == "no_coordinates" else 54.7,
              lon=None if reason == "no_coordinates" else 69.2,
              pinned_volunteer=nameless if reason == "pinned_vehicle_unavailable" else None)
    _stop(plan, None, 0, unserved_reason="", kind="pickup")  # not planned yet
    _stop(plan, None, 0, family=FamilyCardFactory(branch=branch, street="Мира", house="1"),
          unserved_reason="too_heavy", load_out=40)
    _stop(plan, None, 0, unserved_reason="not_routed", status="cancelled")  # not shown
    return plan


@pytest.fixture
def published_day(db):
    """A published day with no route and no stop, nothing in its progress or figures."""
    return DayPlan.objects.create(branch=BranchFactory(), date=datetime.date(2026, 12, 8),
                                  status="published", solve_status="done", solved_at=AT,
                                  published_at=AT + datetime.timedelta(minutes=3))


def _reference(plan) -> dict:
    return field_by_field(PlanOutputSerializer, selectors.plan_queryset().get(pk=plan.pk))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("language", ["ru", "kk"])
@pytest.mark.parametrize("which", ["city_day", "published_day"])
def test_the_plan_is_what_the_fields_write(db, request, which, language, zone):
    plan = request.getfixturevalue(which)
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        plain = plan_answer(plan)
        assert_same_answer(plain, _reference(plan))
        assert_same_answer(plain, PlanOutputSerializer(
            selectors.plan_queryset().get(pk=plan.pk)).data)


def test_the_texts_are_in_the_active_language(city_day):
    """The reasons and the words of an address change with the language (so the two
    languages compared above are not the same text twice)."""
    answers = {}
    for language in ("ru", "kk"):
        with translation.override(language):
            answers[language] = plan_answer(city_day)
    displays = {language: [s["unserved_reason_display"] for s in answer["unserved"]
                           if s["unserved_reason"]]
                for language, answer in answers.items()}
    assert all(ru != kk for ru, kk in zip(displays["ru"], displays["kk"], strict=True))
    with translation.override("kk"):
        assert displays["kk"][0] == str(UnservedReason.NO_VOLUNTEER_IN_WINDOW.label)
    addresses = {language: answer["routes"][0]["stops"][0]["address"]
                 for language, answer in answers.items()}
    assert addresses["ru"] != addresses["kk"]


def test_the_city_day_sets_every_field(city_day):
    """Every field of a stop and of a route is set somewhere and empty somewhere else
    where it can be, so no field is compared as an empty value only."""
    data = as_json(_reference(city_day))
    routes = data["routes"]
    stops = [stop for route in routes for stop in route["stops"]] + data["unserved"]
    assert all(value not in (None, "", [], {}) for key, value in data.items()
               if key != "published_at"), data
    for name in StopOutputSerializer().fields:
        assert any(stop[name] not in (None, "", [], {}, 0) for stop in stops), name
    for name in ("family_card", "lat", "expected_arrival", "languages", "pinned_volunteer",
                 "route", "unserved_reason", "unserved_reason_display"):
        assert any(stop[name] in (None, "", []) for stop in stops), name
    assert {stop["kind"] for stop in stops} == {"delivery", "pickup"}
    assert {stop["status"] for stop in stops} == {"planned", "arrived", "completed", "failed",
                                                  "cancelled"}
    assert {stop["unserved_reason"] for stop in data["unserved"]} == {
        "", *UnservedReason.values}
    assert [route["volunteer"]["name"] for route in routes][:3] == [
        "Айгерим Сәрсенова", "v-77", "Олег"]
    assert [len(route["stops"]) for route in routes] == [4, 1, 2, 0]
    assert [stop["sequence"] for stop in routes[2]["stops"]] == [1, 2]
    assert len(routes[0]["stops"][0]["orders"]) == 4
    assert routes[1]["departure"] is None and routes[0]["departure"]


def test_the_orders_come_in_the_orders_own_order(city_day):
    """Newest first, the higher id first at the same moment (Order.Meta.ordering)."""
    stop = Stop.objects.get(plan=city_day, sequence=1, status="completed")
    expected = list(Order.objects.filter(stops=stop).order_by("-created_at", "-id")
                    .values_list("id", flat=True))
    answer = plan_answer(city_day)
    assert answer["routes"][0]["stops"][0]["orders"] == expected
    assert expected[:2] == sorted(expected[:2], reverse=True)  # the two of the same moment


def test_the_plain_answer_has_every_declared_field_in_order(city_day):
    """A field added to a serializer (the schema) and not to the plain answer shows here,
    at each level."""
    answer = plan_answer(city_day)
    assert list(answer) == list(PlanOutputSerializer().fields)
    assert list(answer["routes"][0]) == list(RouteOutputSerializer().fields)
    assert list(answer["routes"][0]["stops"][0]) == list(StopOutputSerializer().fields)
    assert list(answer["unserved"][0]) == list(StopOutputSerializer().fields)


def test_plans_answer_each_plan_in_one_read(city_day, published_day, django_assert_num_queries):
    ids = [published_day.pk, city_day.pk, 999999]
    with django_assert_num_queries(4):
        read = selectors.plan_read(ids)
    answers = plan_answers(read)
    assert set(answers) == {city_day.pk, published_day.pk}
    for plan in (city_day, published_day):
        assert_same_answer(answers[plan.pk], _reference(plan))
    with django_assert_num_queries(1):
        assert plan_answer(999999) is None


def _log(access: CardAccess) -> dict:
    """An access log row as a person reading the log sees it, links in their order."""
    return {
        "user": access.user_id, "action": access.action, "channel": access.channel,
        "path": access.path, "count": access.count, "ip": access.ip,
        "readers": list(CardAccess.readers.through.objects.filter(cardaccess=access)
                        .order_by("id").values_list("reader_id", flat=True)),
        "family_cards": list(CardAccess.family_cards.through.objects.filter(cardaccess=access)
                             .order_by("id").values_list("familycard_id", flat=True)),
    }


def _as_before(user, path: str, stops) -> dict:
    """The row `stops_shown` writes for these stops (the way the plan read wrote it)."""
    request = APIRequestFactory().get(path)
    request.user = user
    before = set(CardAccess.objects.values_list("id", flat=True))
    stops_shown(request, stops)
    return _log(CardAccess.objects.exclude(id__in=before).get())


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_api_sends_the_fields_answer_and_logs_the_cards_as_before(api, city_day,
                                                                      language):
    client = api.as_role("coordinator")
    path = f"/api/v1/plans/{city_day.pk}/"
    answer = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200
    logged = CardAccess.objects.get()
    with translation.override(language):
        reference = as_json(_reference(city_day))
    assert list(answer.json().items()) == list(reference.items())
    plan = selectors.plan_queryset().get(pk=city_day.pk)
    assert _log(logged) == _as_before(client.user, path, plan.stops.all())
    assert _log(logged)["action"] == "route" and _log(logged)["count"] == len(
        set(_log(logged)["readers"])) + len(set(_log(logged)["family_cards"]))


def test_the_list_sends_the_fields_answers_and_logs_the_cards_as_before(api, city_day):
    other = DayPlan.objects.create(branch=BranchFactory(), date=city_day.date)
    _stop(other, Route.objects.create(plan=other, volunteer=VolunteerFactory()), 1)
    _stop(other, None, 0, unserved_reason="no_volunteers")
    client = api.as_role("operator")
    page = client.get("/api/v1/plans/", {"date": city_day.date.isoformat()})
    assert page.status_code == 200
    logged = CardAccess.objects.get()
    plans = list(selectors.plan_queryset().filter(pk__in=[city_day.pk, other.pk]))
    assert [plan["id"] for plan in page.json()["results"]] == [p.pk for p in plans]
    for sent, plan in zip(page.json()["results"], plans, strict=True):
        assert list(sent.items()) == list(as_json(_reference(plan)).items())
    assert _log(logged) == _as_before(client.user, "/api/v1/plans/",
                                      [stop for p in plans for stop in p.stops.all()])


def test_plan_body_is_the_fields_answer_and_logs_the_cards(city_day, make_user):
    request = APIRequestFactory().get("/plan/")
    request.user = make_user("coordinator")
    with translation.override("kk"):
        body = plan_body(city_day, request, CardAccess.Channel.PAGES)
        assert_same_answer(body, _reference(city_day))
    logged = _log(CardAccess.objects.get())
    assert logged["channel"] == "pages"
    plan = selectors.plan_queryset().get(pk=city_day.pk)
    assert set(logged["readers"]) == {stop.reader_id for stop in plan.stops.all()}


def test_a_missing_plan_is_a_404_and_logs_nothing(api):
    missing = api.as_role("coordinator").get("/api/v1/plans/999999/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert not CardAccess.objects.exists()
