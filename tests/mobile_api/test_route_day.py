"""A route's actions are for its day: not before it (409 route.not_today), still after it
(a queue synced late), and never with a phone time before the day that could be real."""
import datetime

import pytest
from django.utils import timezone

from backend.routing.models import Route, Stop
from mobile_api.selectors import branch_zone
from tests.mobile_api.conftest import branch_today, post, published_route, stops_of, to_hand_over
from tests.openapi import assert_documented

API = "/api/mobile/v1/"


@pytest.fixture
def tomorrow_route(volunteer):
    return published_route(volunteer, day=branch_today(volunteer.branch)
                           + datetime.timedelta(days=1))


@pytest.mark.parametrize("kind", ["start", "finish", "arrive", "complete", "fail"])
def test_actions_on_a_route_of_tomorrow_are_refused(app, tomorrow_route, kind):
    stop = stops_of(tomorrow_route)[0]
    scope, target = (("routes", tomorrow_route.pk) if kind in ("start", "finish")
                     else ("stops", stop.pk))
    url = f"{API}{scope}/{target}/{kind}/"
    body = {"reason": "not_home"} if kind == "fail" else {}
    response = post(app, url, body)
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "route.not_today"
    assert response.json()["message"]
    assert_documented(response, "post", f"{API}{scope}/{{id}}/{kind}/")
    assert Route.objects.get(pk=tomorrow_route.pk).status == "published"
    assert Stop.objects.get(pk=stop.pk).status == "planned"


def test_the_refusal_is_translated(app, tomorrow_route):
    response = post(app, f"{API}routes/{tomorrow_route.pk}/start/", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.json()["code"] == "route.not_today"
    english = post(app, f"{API}routes/{tomorrow_route.pk}/start/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] != english.json()["message"]


def test_sync_refuses_tomorrow_per_action(app, tomorrow_route, route):
    tomorrow_stop, today_stop = stops_of(tomorrow_route)[0], stops_of(route)[0]
    now = timezone.now().replace(microsecond=0).isoformat()
    response = post(app, API + "sync/", {"actions": [
        {"key": "t-1", "type": "arrive", "stop": tomorrow_stop.pk, "happened_at": now},
        {"key": "t-2", "type": "arrive", "stop": today_stop.pk, "happened_at": now},
    ]})
    results = response.json()["results"]
    assert [(r["status"], r["body"].get("code")) for r in results] == [
        (409, "route.not_today"), (200, None)]
    assert Stop.objects.get(pk=tomorrow_stop.pk).status == "planned"


def test_a_queue_of_yesterday_synced_today_is_applied(app, volunteer):
    yesterday = branch_today(volunteer.branch) - datetime.timedelta(days=1)
    route = published_route(volunteer, day=yesterday, stops=2)
    Route.objects.filter(pk=route.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3))
    zone = branch_zone(volunteer.branch)
    at = datetime.datetime.combine(yesterday, datetime.time(10, 15), tzinfo=zone)
    first, second = stops_of(route)
    results = post(app, API + "sync/", {"actions": [
        {"key": "y-1", "type": "arrive", "stop": first.pk, "happened_at": at.isoformat()},
        {"key": "y-2", "type": "complete", "stop": first.pk,
         "body": {"delivered": to_hand_over(first)},
         "happened_at": (at + datetime.timedelta(minutes=5)).isoformat()},
        {"key": "y-3", "type": "fail", "stop": second.pk, "body": {"reason": "not_home"},
         "happened_at": (at + datetime.timedelta(minutes=40)).isoformat()},
        {"key": "y-4", "type": "finish", "route": route.pk,
         "happened_at": (at + datetime.timedelta(hours=2)).isoformat()},
    ]}).json()["results"]
    assert [r["status"] for r in results] == [200, 200, 200, 200], results
    first.refresh_from_db()
    assert first.status == "completed" and first.arrived_at == at
    assert Route.objects.get(pk=route.pk).finished_at == at + datetime.timedelta(hours=2)


def test_a_real_time_before_the_routes_day_is_refused(app, route):
    """The route was made three days ago; a phone saying the door was reached yesterday
    evening is a real clock telling of an action before its day."""
    Route.objects.filter(pk=route.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3))
    zone = branch_zone(route.plan.branch)
    evening_before = datetime.datetime.combine(route.plan.date - datetime.timedelta(days=1),
                                               datetime.time(20), tzinfo=zone)
    stop = stops_of(route)[0]
    url = f"{API}stops/{stop.pk}/arrive/"
    response = post(app, url, {"happened_at": evening_before.isoformat()})
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["happened_at"]
    assert_documented(response, "post", "/api/mobile/v1/stops/{id}/arrive/")
    assert Stop.objects.get(pk=stop.pk).status == "planned"
    # In the queue: that action alone is refused.
    results = post(app, API + "sync/", {"actions": [
        {"key": "e-1", "type": "start", "route": route.pk,
         "happened_at": evening_before.isoformat()}]}).json()["results"]
    assert results[0]["status"] == 400 and "happened_at" in results[0]["body"]["fields"]
    assert Route.objects.get(pk=route.pk).status == "published"


def test_a_clock_from_before_the_route_existed_is_still_recorded_as_now(app, route):
    """1970 (a reset phone) cannot be real: the action is kept, at our time."""
    stop = stops_of(route)[0]
    before = timezone.now()
    response = post(app, f"{API}stops/{stop.pk}/arrive/",
                    {"happened_at": "1970-01-01T00:00:00Z"})
    assert response.status_code == 200, response.content
    stop.refresh_from_db()
    assert stop.arrived_at >= before
