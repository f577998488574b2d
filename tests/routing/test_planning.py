"""Planning small generated days whose best answer is known."""
import datetime

from django.utils import timezone

from backend.orders.models import LineStatus, Order, OrderLine
from backend.routing import revisions, services
from backend.routing.models import RouteChange, Stop, StopStatus
from tests.factories import FamilyCardFactory, ItemFactory, ReaderFactory
from tests.volunteers.factories import ShiftFactory, VolunteerFactory

LIMIT = 1.5


def next_weekday(weekday: int = 2) -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=7)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return day


def volunteer(branch, start="09:00", end="18:00", **kwargs):
    v = VolunteerFactory(branch=branch, **kwargs)
    ShiftFactory(volunteer=v, rrule="FREQ=DAILY", starts_on=datetime.date(2026, 1, 1),
                 start_time=datetime.time.fromisoformat(start),
                 end_time=datetime.time.fromisoformat(end))
    return v


def ready_order(reader, day, window=("09:00", "18:00"), items=1, family=None):
    order = Order.objects.create(
        reader=reader, branch=reader.branch, status="ready", preferred_date=day,
        family_card=family,
        window_start=datetime.time.fromisoformat(window[0]),
        window_end=datetime.time.fromisoformat(window[1]),
    )
    for _ in range(items):
        OrderLine.objects.create(order=order, reader=reader, kind="title",
                                 item=(item := ItemFactory(branch=reader.branch,
                                                           status="reserved")),
                                 title=item.title, status=LineStatus.RESERVED)
    return order


def reader_at(branch, lon, lat=54.0, **kwargs):
    return ReaderFactory(branch=branch, lat=lat, lon=lon, availability=[], **kwargs)


def plan_and_solve(branch, day, limit=LIMIT):
    plan = services.plan_get_or_create(branch=branch, date=day)
    figures = services.plan_solve(plan=plan, time_limit=limit)
    return plan, figures


def route_of(plan, v):
    return list(Stop.objects.filter(plan=plan, route__volunteer=v).order_by("sequence")
                .values_list("reader__lon", flat=True))


def test_one_obviously_best_order(depot, day):
    home = {"ends_at": "home", "home_lat": 54.0, "home_lon": 69.08}
    v = volunteer(depot, **home)
    for lon in (69.03, 69.01, 69.05, 69.02):
        ready_order(reader_at(depot, lon), day)
    plan, figures = plan_and_solve(depot, day)
    assert figures["served"] == 4
    assert route_of(plan, v) == [69.01, 69.02, 69.03, 69.05]
    stops = list(Stop.objects.filter(plan=plan).order_by("sequence"))
    times = [s.expected_arrival for s in stops]
    assert times == sorted(times)
    # Walking 4.5 km/h with a 1.3 detour: ~0.64 km between the first stops -> > 8 minutes.
    assert (times[1] - times[0]).total_seconds() >= 8 * 60 + stops[0].service_minutes * 60


def test_window_only_one_volunteer_can_meet(depot, day):
    morning = volunteer(depot, "09:00", "13:00")
    afternoon = volunteer(depot, "14:00", "18:00")
    ready_order(reader_at(depot, 69.01), day, window=("15:00", "16:00"))
    ready_order(reader_at(depot, 69.012), day, window=("10:00", "11:00"))
    plan, figures = plan_and_solve(depot, day)
    assert figures["served"] == 2
    assert route_of(plan, afternoon) == [69.01]
    assert route_of(plan, morning) == [69.012]
    late = Stop.objects.get(plan=plan, reader__lon=69.01)
    local = timezone.localtime(late.expected_arrival)
    assert datetime.time(15) <= local.time() <= datetime.time(16)


def test_pinned_stop_stays_with_its_volunteer(depot, day):
    near = volunteer(depot)
    other = volunteer(depot)
    orders = [ready_order(reader_at(depot, lon), day) for lon in (69.01, 69.011, 69.012)]
    plan = services.plan_get_or_create(branch=depot, date=day)
    services.plan_solve(plan=plan, time_limit=LIMIT)
    # Without a pin one volunteer takes all three; pin one to the other volunteer.
    stop = Stop.objects.get(plan=plan, orders=orders[1])
    busy = stop.route.volunteer
    free = other if busy == near else near
    services.stop_pin(stop=stop, volunteer=free)
    services.plan_solve(plan=plan, time_limit=LIMIT)
    stop.refresh_from_db()
    assert stop.route.volunteer == free


def test_reader_without_coordinates_is_listed_not_dropped(api, depot, day):
    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    lost = ReaderFactory(branch=depot, lat=None, lon=None)
    ready_order(lost, day)
    plan, figures = plan_and_solve(depot, day)
    assert (figures["served"], figures["unserved"]) == (1, 1)
    body = api.as_role("coordinator").get(f"/api/v1/plans/{plan.pk}/").json()
    assert [(u["reader"]["id"], u["unserved_reason"]) for u in body["unserved"]] == [
        (lost.pk, "no_coordinates")]
    assert body["unserved"][0]["unserved_reason_display"]


def test_language_need_goes_to_a_speaker(depot, day):
    volunteer(depot, languages=["ru"])
    kk = volunteer(depot, languages=["kk"])
    ready_order(reader_at(depot, 69.01, language="kk"), day)
    plan, _ = plan_and_solve(depot, day)
    assert route_of(plan, kk) == [69.01]


def test_too_heavy_and_no_volunteer_in_window_have_reasons(depot, day):
    volunteer(depot, "09:00", "12:00", capacity=3)
    ready_order(reader_at(depot, 69.01), day, items=5)
    ready_order(reader_at(depot, 69.02), day, window=("15:00", "17:00"))
    plan, _ = plan_and_solve(depot, day)
    reasons = dict(Stop.objects.filter(plan=plan).values_list("reader__lon", "unserved_reason"))
    assert reasons == {69.01: "too_heavy", 69.02: "no_vehicle_in_window"}


def test_family_is_one_stop_with_its_items(depot, day):
    volunteer(depot)
    family = FamilyCardFactory(branch=depot, lat=54.0, lon=69.02)
    a = ReaderFactory(branch=depot, family_card=family)
    b = ReaderFactory(branch=depot, family_card=family)
    ready_order(a, day, items=2, family=family)
    ready_order(b, day, items=1, family=family)
    plan, figures = plan_and_solve(depot, day)
    stops = list(Stop.objects.filter(plan=plan))
    assert len(stops) == 1
    assert (stops[0].household, stops[0].load_out, stops[0].orders.count()) == (
        f"F{family.pk}", 3, 2)
    assert stops[0].service_minutes == 10 + 2 * 3


def test_publish_schedules_orders_and_tells_the_volunteer(depot, day):
    v = volunteer(depot)
    order = ready_order(reader_at(depot, 69.01), day)
    plan, _ = plan_and_solve(depot, day)
    services.plan_publish(plan=plan)
    order.refresh_from_db()
    assert (order.status, order.scheduled_date) == ("scheduled", day)
    assert RouteChange.objects.filter(volunteer=v, kind="published").count() == 1


def test_replan_after_drop_out_keeps_finished_stops(depot, day):
    a = volunteer(depot)
    b = volunteer(depot)
    for lon in (69.01, 69.012, 69.014, 69.016):
        ready_order(reader_at(depot, lon), day)
    plan, _ = plan_and_solve(depot, day)
    services.plan_publish(plan=plan)
    stops = list(Stop.objects.filter(plan=plan).exclude(route=None).order_by("route", "sequence"))
    first_route = stops[0].route
    worker = first_route.volunteer
    done = Stop.objects.filter(route=first_route).order_by("sequence").first()
    Stop.objects.filter(pk=done.pk).update(status=StopStatus.COMPLETED)
    before = Stop.objects.get(pk=done.pk)
    placed = dict(Stop.objects.filter(plan=plan).values_list("pk", "route_id"))
    result = services.plan_replan(plan=plan, drop_volunteers=[worker.pk], time_limit=LIMIT)
    # The day is published: the re-plan is a draft until the coordinator publishes it.
    assert dict(Stop.objects.filter(plan=plan).values_list("pk", "route_id")) == placed
    revisions.revision_publish(plan=plan)
    after = Stop.objects.get(pk=done.pk)
    assert (after.route_id, after.sequence, after.expected_arrival, after.status) == (
        before.route_id, before.sequence, before.expected_arrival, "completed")
    other = b if worker == a else a
    remaining = Stop.objects.filter(plan=plan).exclude(pk=done.pk)
    assert {s.route.volunteer_id for s in remaining} == {other.pk}
    assert result["changes"]["dropped"] == [worker.pk]
    moved = {m["stop"] for m in result["changes"]["moved"]}
    assert moved == set(Stop.objects.filter(plan=plan, route__volunteer=other)
                        .exclude(pk__in=[s.pk for s in stops if s.route.volunteer == other])
                        .values_list("pk", flat=True))
    assert RouteChange.objects.filter(volunteer=other, kind="stop_added").exists()


def test_move_and_resequence_by_hand(depot, day):
    v = volunteer(depot)
    for lon in (69.01, 69.02, 69.03):
        ready_order(reader_at(depot, lon), day)
    plan, _ = plan_and_solve(depot, day)
    route = Stop.objects.filter(plan=plan).first().route
    ids = list(Stop.objects.filter(route=route).order_by("sequence").values_list("pk", flat=True))
    result = services.route_resequence(route=route, stop_ids=list(reversed(ids)))
    assert list(Stop.objects.filter(route=route).order_by("sequence")
                .values_list("pk", flat=True)) == list(reversed(ids))
    assert result["warnings"] == []
    assert v == route.volunteer
