"""The route answer kept between reads (mobile_api.route_cache): the same answer as built
fresh, never for another volunteer, and never older than the last change, whether the change
is the volunteer's own, the coordinator's or the library's (a reader card, a copy returned at
the desk)."""
import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from backend.catalog import services as catalog_services
from backend.catalog.models import Title
from backend.circulation import services as circulation_services
from backend.readers import services as reader_services
from backend.routing import services as routing_services
from backend.routing.doors import live_stop_rows
from mobile_api import route_cache, selectors
from mobile_api import serializers as s
from tests.mobile_api.conftest import (
    app_for,
    due_back,
    make_volunteer,
    post,
    published_route,
    route_reads,
    stops_of,
    to_hand_over,
)

API = "/api/mobile/v1/"


def read(app, route):
    response = app.get(f"{API}routes/{route.pk}/")
    assert response.status_code == 200
    return response


def fresh_body(route):
    """The answer built without the cache, as the endpoint built it before."""
    route = selectors.own_route(route.volunteer, route.pk)
    return s.RouteSerializer(selectors.route_body(route)).data


def test_the_kept_answer_is_the_fresh_one_field_for_field(app, route):
    first = read(app, route)
    with CaptureQueriesContext(connection) as queries:
        second = read(app, route)
    assert second.json() == first.json() == fresh_body(route)
    assert second["ETag"] == first["ETag"]
    # Kept: the token's user, the volunteer and the route itself, no stops, no loans (and
    # the card access log written).
    assert len(route_reads(queries)) <= 3, [q["sql"] for q in queries]
    assert app.get(f"{API}routes/{route.pk}/",
                   HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_kept_json_is_sent_as_the_renderer_writes_it(app, route):
    first, second = read(app, route), read(app, route)  # built, then kept
    for response in (first, second):
        assert response["Content-Type"] == "application/json"
        assert response.content == JSONRenderer().render(fresh_body(route))
    # Asked indented, or as the browsable page, it is rendered as any answer is.
    indented = app.get(f"{API}routes/{route.pk}/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content == JSONRenderer().render(fresh_body(route),
                                                     "application/json; indent=2")
    page = app.get(f"{API}routes/{route.pk}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert route.stops.order_by("sequence").first().reader.last_name in page.content.decode()


def test_another_volunteer_never_gets_the_kept_answer(app, route):
    read(app, route)  # kept now
    stranger = app_for(make_volunteer(branch=route.volunteer.branch))
    refused = stranger.get(f"{API}routes/{route.pk}/")
    assert refused.status_code == 404 and "stops" not in refused.json()
    assert refused.json()["code"] == "not_found"


def test_the_volunteers_own_actions_show_at_once(app, route):
    first, second = stops_of(route)[:2]
    read(app, route)
    post(app, f"{API}stops/{first.pk}/arrive/")
    assert read(app, route).json()["stops"][0]["status"] == "arrived"
    post(app, f"{API}stops/{second.pk}/fail/", {"reason": "not_home"})
    body = read(app, route).json()
    assert body["stops"][1]["status"] == "failed"
    assert body == fresh_body(route)


def test_the_coordinators_new_order_of_stops_shows_at_once(app, route):
    stops = stops_of(route)
    read(app, route)
    routing_services.route_resequence(route=route, stop_ids=[s.pk for s in reversed(stops)])
    body = read(app, route).json()
    assert [stop["id"] for stop in body["stops"]] == [s.pk for s in reversed(stops)]


def test_a_reader_card_changed_at_the_library_shows_at_once(app, route,
                                                           django_capture_on_commit_callbacks):
    stop = stops_of(route)[0]
    read(app, route)
    with django_capture_on_commit_callbacks(execute=True):
        reader_services.reader_update(reader=stop.reader, data={
            "last_name": "Жаңабаева", "phones": [{"number": "+77015550101", "kind": "home"}]})
    body = read(app, route).json()
    assert "Жаңабаева" in body["stops"][0]["name"]
    assert body["stops"][0]["phone"]["number"] == "+77015550101"
    assert body == fresh_body(route)


@pytest.mark.parametrize("shown", ["hand_over", "collect"])
def test_a_title_renamed_in_the_catalog_shows_at_once(app, route, shown,
                                                      django_capture_on_commit_callbacks):
    read(app, route)
    door = read(app, route).json()["stops"][0]
    book = door[shown][0]
    title = Title.objects.get(items__barcode=book["barcode"]) if book["barcode"] else (
        Title.objects.get(order_lines__order__stops=stops_of(route)[0], title=book["title"]))
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.title_update(title=title, data={"title": "Абай жолы (жаңа басылым)"})
    body = read(app, route).json()
    assert "Абай жолы (жаңа басылым)" in [b["title"] for b in body["stops"][0][shown]]
    assert body == fresh_body(route)


def test_a_copy_returned_at_the_desk_leaves_the_list_at_once(app, route,
                                                            django_capture_on_commit_callbacks):
    read(app, route)
    stop = read(app, route).json()["stops"][0]
    barcode = stop["collect"][0]["barcode"]
    with django_capture_on_commit_callbacks(execute=True):
        circulation_services.loan_return(barcode=barcode)
    body = read(app, route).json()
    assert barcode not in [c["barcode"] for c in body["stops"][0]["collect"]]
    assert body["stops"][0]["items_to_collect"] == stop["items_to_collect"] - 1


def test_details_go_by_the_clock_not_the_kept_copy(app, volunteer, settings):
    from django.utils import timezone

    route = published_route(volunteer, stops=1)
    assert read(app, route).json()["details_visible"] is True
    route.refresh_from_db()
    route.status, route.finished_at = "finished", timezone.now() - datetime.timedelta(hours=7)
    # Written past the services, version untouched: only the clock and the row say it.
    type(route).objects.filter(pk=route.pk).update(status=route.status,
                                                   finished_at=route.finished_at)
    settings.MOBILE_DETAILS_HOURS_AFTER = 6
    body = read(app, route).json()
    assert body["details_visible"] is False and "name" not in body["stops"][0]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def same_as_fresh(response, route):
    """The answer is, byte for byte, the one built afresh without anything kept."""
    fresh = fresh_body(route)
    assert response.content == JSONRenderer().render(fresh)
    assert response["ETag"] == route_cache.etag_of(fresh)


def test_after_each_action_the_answer_is_the_fresh_one_byte_for_byte(
        app, route, django_capture_on_commit_callbacks):
    first, second, third = stops_of(route)
    with django_capture_on_commit_callbacks(execute=True):  # what making the route noted
        same_as_fresh(read(app, route), route)
    with django_capture_on_commit_callbacks(execute=True):
        post(app, f"{API}stops/{first.pk}/arrive/")
    same_as_fresh(read(app, route), route)
    with django_capture_on_commit_callbacks(execute=True):
        post(app, f"{API}stops/{first.pk}/complete/",
             {"delivered": to_hand_over(first), "collected": due_back(first), "note": ""})
    body = read(app, route)
    same_as_fresh(body, route)
    assert body.json()["stops"][0]["items_delivered"] == 2
    assert body.json()["stops"][0]["collect"] == []
    with django_capture_on_commit_callbacks(execute=True):
        post(app, f"{API}stops/{second.pk}/fail/", {"reason": "not_home"})
    same_as_fresh(read(app, route), route)
    routing_services.route_resequence(route=route, stop_ids=[third.pk, second.pk, first.pk])
    body = read(app, route)
    same_as_fresh(body, route)
    assert [stop["number"] for stop in body.json()["stops"]] == [1, 2, 3]


def test_a_read_after_an_arrive_reads_no_door_again(app, route,
                                                    django_capture_on_commit_callbacks):
    first = stops_of(route)[0]
    with django_capture_on_commit_callbacks(execute=True):
        read(app, route)
        post(app, f"{API}stops/{first.pk}/arrive/")
    with CaptureQueriesContext(connection) as queries:
        body = read(app, route).json()
    assert body["stops"][0]["status"] == "arrived"
    # The token's user, the volunteer, the route and its stops' own columns: no reader,
    # phone, order line or loan (the card access log written aside).
    reads = route_reads(queries)
    assert len(reads) <= 4, reads
    assert not any("readers_" in sql or "circulation_" in sql for sql in reads)


def test_a_kept_door_is_kept_for_one_volunteer_language_and_visibility(route):
    route = selectors.own_route(route.volunteer, route.pk)
    row = live_stop_rows(route)[0]
    with translation.override("ru"):
        key = route_cache.door_key(route, row, "t", visible=True)
        assert route_cache.door_key(route, row, "t", visible=False) != key
        assert route_cache.door_key(route, row, "u", visible=True) != key
        assert route_cache.door_key(route, {**row, "reader_id": 0}, "t", visible=True) != key
        own = route.volunteer_id
        route.volunteer_id = make_volunteer(branch=route.volunteer.branch).pk
        assert route_cache.door_key(route, row, "t", visible=True) != key
        route.volunteer_id = own
        assert route_cache.door_key(route, row, "t", visible=True) == key
    with translation.override("kk"):
        assert route_cache.door_key(route, row, "t", visible=True) != key
