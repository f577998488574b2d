"""Reading the day: my routes, a route with its stops (only what the work needs, only around
its day), in a fixed number of queries, with ETag; and the change feed."""
import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.routing.models import RouteChange
from tests.mobile_api.conftest import (
    app_for,
    make_volunteer,
    post,
    published_route,
    route_reads,
    stops_of,
)

API = "/api/mobile/v1/"
DETAILS = {"name", "members", "address", "access_notes", "phone", "lat", "lon", "hand_over",
           "collect", "note"}
ALWAYS = {"id", "number", "sequence", "kind", "status", "window_start", "window_end",
          "expected_arrival", "arrived_at", "completed_at", "fail_reason", "items_to_hand_over",
          "items_to_collect", "items_delivered", "details"}


def test_my_routes_default_to_today_and_take_a_date(app, volunteer, route):
    today = route.plan.date
    listed = app.get(API + "me/routes/").json()
    assert listed["date"] == today.isoformat()
    assert [r["id"] for r in listed["routes"]] == [route.pk]
    assert listed["routes"][0]["stops_total"] == 3
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert app.get(API + "me/routes/", {"date": tomorrow}).json()["routes"] == []
    bad = app.get(API + "me/routes/", {"date": "25.11.2026"})
    assert bad.status_code == 400 and "date" in bad.json()["fields"]


def test_a_stop_shows_only_what_the_work_needs(app, route):
    body = app.get(f"{API}routes/{route.pk}/").json()
    assert body["details_visible"] is True
    stop = body["stops"][0]
    assert set(stop) == ALWAYS | DETAILS
    assert stop["address"]["entrance"] == "2" and stop["address"]["door_code"] == "35К"
    assert stop["address"]["floor"] == 3 and stop["address"]["elevator"] is False
    assert stop["address"]["landmark"] == "зелёные ворота"
    assert stop["access_notes"] == ["Собака во дворе"]
    assert stop["phone"]["number"].startswith("+7")
    assert {"title", "authors", "format", "barcode", "for"} == set(stop["hand_over"][0])
    assert {"title", "authors", "barcode", "due_date", "from"} == set(stop["collect"][0])
    text = str(body)
    reader = stops_of(route)[0].reader
    for secret in ("1945", "elderly", "birth", "category", "document", reader.card_number):
        assert secret not in text


def test_family_members_are_named(volunteer, app):
    route = published_route(volunteer, stops=2, family_every=2)
    family_stop = app.get(f"{API}routes/{route.pk}/").json()["stops"][1]
    assert len(family_stop["members"]) == 1
    assert family_stop["address"]["street"] == "Абая"


def test_details_are_hidden_hours_after_the_route_is_finished(app, route, settings):
    settings.MOBILE_DETAILS_HOURS_AFTER = 6
    stop = stops_of(route)[0]
    post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "refused"})
    post(app, f"{API}routes/{route.pk}/finish/")
    assert app.get(f"{API}routes/{route.pk}/").json()["details_visible"] is True
    route.refresh_from_db()
    route.finished_at = timezone.now() - datetime.timedelta(hours=6, minutes=1)
    route.save()
    body = app.get(f"{API}routes/{route.pk}/").json()
    assert body["details_visible"] is False
    for hidden in body["stops"]:
        assert set(hidden) == ALWAYS
    assert body["stops"][0]["status"] == "failed"
    assert stop.reader.full_name not in str(body)
    assert stop.reader.street not in str(body)


def test_details_are_hidden_before_the_day_before(volunteer, app):
    from mobile_api.selectors import branch_today

    later = branch_today(volunteer.branch) + datetime.timedelta(days=3)
    route = published_route(volunteer, day=later, stops=1)
    body = app.get(f"{API}routes/{route.pk}/").json()
    assert body["details_visible"] is False and "name" not in body["stops"][0]
    soon = published_route(volunteer, day=later - datetime.timedelta(days=2), stops=1)
    assert app.get(f"{API}routes/{soon.pk}/").json()["details_visible"] is True


def count_queries(client, url) -> int:
    """The statements reading the route (the card access log written aside)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(route_reads(queries))


def test_route_queries_do_not_grow_with_stops(db):
    small_owner, big_owner = make_volunteer(), make_volunteer()
    small = published_route(small_owner, stops=5, family_every=3)
    big = published_route(big_owner, stops=40, family_every=3)
    small_count = count_queries(app_for(small_owner), f"{API}routes/{small.pk}/")
    big_count = count_queries(app_for(big_owner), f"{API}routes/{big.pk}/")
    assert small_count == big_count <= 12
    body = app_for(big_owner).get(f"{API}routes/{big.pk}/").json()
    assert len(body["stops"]) == 40


def test_the_signed_in_user_is_read_once_a_request(app, route):
    """The token's user is read by the authentication; the volunteer check reuses it."""
    with CaptureQueriesContext(connection) as queries:
        assert app.get(f"{API}routes/{route.pk}/").status_code == 200
    assert len([q for q in queries if '"accounts_user"' in q["sql"]]) == 1


def test_etag_and_if_none_match(app, route):
    url = f"{API}routes/{route.pk}/"
    first = app.get(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    unchanged = app.get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and not unchanged.content
    assert app.get(url, HTTP_IF_NONE_MATCH=f'W/{etag}, "other"').status_code == 304
    post(app, f"{API}stops/{stops_of(route)[0].pk}/arrive/")
    changed = app.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_changes_feed_with_cursor(app, volunteer, route):
    other = make_volunteer()
    other_route = published_route(other, stops=1)
    RouteChange.objects.create(route=other_route, volunteer=other, kind="published")
    stop = stops_of(route)[0]
    first = RouteChange.objects.create(route=route, volunteer=volunteer, kind="published")
    body = app.get(API + "changes/").json()
    assert [c["id"] for c in body["changes"]] == [first.pk]
    assert body["changes"][0]["date"] == route.plan.date.isoformat()
    cursor = body["cursor"]
    assert cursor == first.pk and body["more"] is False
    RouteChange.objects.create(route=route, volunteer=volunteer, stop=stop, kind="stop_moved",
                               data={"sequence": 2})
    RouteChange.objects.create(route=route, volunteer=volunteer, stop=stop,
                               kind="stop_cancelled")
    page = app.get(API + "changes/", {"since": cursor, "limit": 1}).json()
    assert [c["kind"] for c in page["changes"]] == ["stop_moved"] and page["more"] is True
    rest = app.get(API + "changes/", {"since": page["cursor"]}).json()
    assert [c["kind"] for c in rest["changes"]] == ["stop_cancelled"]
    assert rest["changes"][0]["stop"] == stop.pk
    empty = app.get(API + "changes/", {"since": rest["cursor"]}).json()
    assert empty == {"changes": [], "cursor": rest["cursor"], "more": False}
    assert app.get(API + "changes/", {"since": "x"}).status_code == 400


def test_planner_changes_reach_the_feed(depot, api):
    """Publishing and moving a stop by the coordinator appear in the volunteer's feed."""
    from backend.routing import services as routing_services
    from mobile_api.selectors import branch_today
    from tests.routing.test_planning import reader_at, ready_order

    first, second = make_volunteer(branch=depot), make_volunteer(branch=depot)
    day = branch_today(depot)
    for lon in (69.01, 69.02):
        ready_order(reader_at(depot, lon), day)
    plan = routing_services.plan_get_or_create(branch=depot, date=day)
    routing_services.plan_solve(plan=plan, time_limit=1)
    routing_services.plan_publish(plan=plan)
    owner = plan.routes.first().volunteer
    feed = app_for(owner).get(API + "changes/").json()
    assert [c["kind"] for c in feed["changes"]] == ["published"]
    other = first if owner == second else second
    target = published_route(other, day=day, stops=0)
    stop = plan.stops.filter(route__volunteer=owner).first()
    routing_services.stop_move(stop=stop, route=target)
    mine = app_for(owner).get(API + "changes/", {"since": feed["cursor"]}).json()
    assert [(c["kind"], c["stop"]) for c in mine["changes"]] == [("stop_removed", stop.pk)]
    theirs = app_for(other).get(API + "changes/").json()
    assert ("stop_added", stop.pk) in [(c["kind"], c["stop"]) for c in theirs["changes"]]
    # The stop moved away: acting on it says so, without its data.
    answer = post(app_for(owner), f"{API}stops/{stop.pk}/arrive/")
    assert answer.json()["code"] == "stop.not_on_your_route"
