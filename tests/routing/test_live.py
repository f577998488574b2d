"""The day as it happens: the plan page's live endpoint and "plan again" for a failed stop."""
import datetime
import zoneinfo

import pytest
from django.utils import timezone

from backend.orders.models import Order
from backend.routing import concerns, services
from backend.routing.models import ConcernKind, Stop
from tests.routing.test_planning import plan_and_solve, reader_at, ready_order, volunteer


@pytest.fixture
def live_day(depot, day):
    v = volunteer(depot)
    orders = [ready_order(reader_at(depot, lon), day) for lon in (69.01, 69.02, 69.03)]
    plan, _ = plan_and_solve(depot, day)
    services.plan_publish(plan=plan)
    stops = list(Stop.objects.filter(plan=plan).order_by("sequence"))
    return plan, v, stops, orders


def live(client, plan, **params):
    response = client.get(f"/api/v1/plans/{plan.pk}/live/", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("role, code", [("coordinator", 200), ("librarian", 200),
                                        ("operator", 403), ("volunteer", 403), (None, 403)])
def test_who_may_watch_the_day(api, live_day, role, code):
    plan = live_day[0]
    assert api.as_role(role).get(f"/api/v1/plans/{plan.pk}/live/").status_code == code


def test_anonymous_and_missing_plan_are_refused(api, live_day):
    plan = live_day[0]
    assert api.get(f"/api/v1/plans/{plan.pk}/live/").status_code in (401, 403)
    assert api.as_role("coordinator").get("/api/v1/plans/999999/live/").status_code == 404
    assert api.as_role("coordinator").post("/api/v1/stops/999999/plan-again/",
                                           {"date": "2030-01-01"}, format="json").status_code == 404


def test_states_reasons_progress_and_cursor(api, live_day):
    plan, v, (first, second, third), _orders = live_day
    client = api.as_role("coordinator")
    start = live(client, plan)
    assert {s["state"] for s in start["stops"]} == {"planned"}
    assert start["volunteers"][0]["progress"] == "0 из 3 остановок выполнено"
    cursor = start["cursor"]
    assert live(client, plan, since=cursor)["stops"] == []

    services.stop_arrive(stop=first)
    services.stop_complete(stop=first)
    services.stop_arrive(stop=second)
    services.stop_fail(stop=second, reason="not_home", note="звонили, не открыли")
    concerns.concern_raise(stop=second, volunteer=v, kind="unwell")
    body = live(client, plan, since=cursor)
    by_id = {s["id"]: s for s in body["stops"]}
    assert set(by_id) == {first.pk, second.pk}  # only what changed since the cursor
    assert (by_id[first.pk]["state"], by_id[first.pk]["state_display"]) == ("done", "Выполнено")
    failed = by_id[second.pk]
    assert (failed["state"], failed["reason"], failed["note"]) == (
        "failed", "Никого нет дома", "звонили, не открыли")
    assert failed["concern"]["at"] and failed["editable"] is False
    assert failed["concern"]["kind"] == ""  # what worries the volunteer: librarians only
    row = body["volunteers"][0]
    assert (row["done"], row["total"]) == (2, 3)
    assert row["progress"] == "2 из 3 остановок выполнено"
    assert "остановк" in row["last_action"]
    assert body["summary"] == {"done": 1, "failed": 1, "open": 1}
    everything = live(client, plan)
    third_row = next(s for s in everything["stops"] if s["id"] == third.pk)
    assert third_row["state"] == "on_the_way"  # the route has started
    librarian = live(api.as_role("librarian"), plan, since=cursor)
    kinds = {s["id"]: s["concern"] for s in librarian["stops"]}
    assert kinds[second.pk]["kind"] == str(ConcernKind.UNWELL.label)


def test_times_in_the_branchs_zone(api, live_day):
    plan, _v, (first, *_rest), _orders = live_day
    at = datetime.datetime(2026, 3, 2, 5, 7, tzinfo=datetime.UTC)  # 10:07 or 11:07 in Almaty
    services.stop_arrive(stop=first, at=at)
    body = live(api.as_role("coordinator"), plan)
    row = next(s for s in body["stops"] if s["id"] == first.pk)
    assert body["zone"] == "Asia/Almaty"
    assert row["arrived"] == f"{at.astimezone(zoneinfo.ZoneInfo('Asia/Almaty')):%H:%M}"
    assert row["arrived"] != "05:07"


def test_late_stops(api, live_day):
    plan, _v, stops, _orders = live_day
    stops[0].expected_arrival = timezone.now() - datetime.timedelta(minutes=20)
    stops[0].save(update_fields=["expected_arrival"])
    stops[1].expected_arrival = timezone.now() + datetime.timedelta(minutes=20)
    stops[1].save(update_fields=["expected_arrival"])
    assert live(api.as_role("coordinator"), plan)["late"] == [stops[0].pk]
    services.stop_arrive(stop=stops[0])
    assert live(api.as_role("coordinator"), plan)["late"] == []


def test_a_done_stop_cannot_be_changed(api, live_day):
    plan, v, (first, second, _third), _orders = live_day
    services.stop_arrive(stop=first)
    services.stop_complete(stop=first)
    client = api.as_role("coordinator")
    pinned = client.post(f"/api/v1/stops/{first.pk}/pin/", {"volunteer": v.pk}, format="json")
    assert (pinned.status_code, pinned.json()["code"]) == (409, "stop.locked")
    moved = client.post(f"/api/v1/stops/{first.pk}/move/", {"route": first.route_id},
                        format="json")
    assert (moved.status_code, moved.json()["code"]) == (409, "stop.locked")
    first.refresh_from_db()
    assert first.status == "completed" and first.sequence == 1


def test_plan_again_for_another_day(api, live_day, day):
    plan, _v, (first, second, _third), orders = live_day
    services.stop_arrive(stop=first)
    services.stop_complete(stop=first)
    services.stop_fail(stop=second, reason="refused")
    client = api.as_role("coordinator")
    url = f"/api/v1/stops/{second.pk}/plan-again/"
    later = day + datetime.timedelta(days=2)
    same = client.post(url, {"date": day.isoformat()}, format="json")
    assert same.status_code == 400 and "date" in same.json()["fields"]
    missing = client.post(url, {}, format="json")
    assert missing.status_code == 400 and "date" in missing.json()["fields"]
    assert api.as_role("librarian").post(url, {"date": later.isoformat()},
                                         format="json").status_code == 403
    done = client.post(f"/api/v1/stops/{first.pk}/plan-again/", {"date": later.isoformat()},
                       format="json")
    assert (done.status_code, done.json()["code"]) == (409, "stop.not_failed")
    answer = client.post(url, {"date": later.isoformat()}, format="json")
    assert answer.status_code == 200, answer.json()
    order = Order.objects.get(stops=second)
    assert answer.json()["orders"] == [order.pk]
    assert (order.status, order.preferred_date, order.scheduled_date) == ("ready", later, None)
    # The next day's plan takes it; the failed day's plan does not.
    later_plan, _ = plan_and_solve(plan.branch, later)
    assert Stop.objects.filter(plan=later_plan, orders=order).exists()
