"""The offline queue: the same batch sent three times, shuffled, or with duplicates, has
one set of effects (loans, returns, stop and order states)."""
import datetime
import itertools
import random
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from backend.circulation.models import Loan
from backend.orders.models import Order
from backend.routing.models import Route, Stop
from tests.mobile_api.conftest import due_back, post, stops_of, to_hand_over
from tests.openapi import assert_documented

SYNC = "/api/mobile/v1/sync/"


def earlier_today(route, hours: float) -> datetime.datetime:
    """`hours` ago by the clock, but never before the route's day began in its branch's zone
    (an action dated before the route's day is refused), whatever the hour the suite runs."""
    branch = route.plan.branch
    midnight = datetime.datetime.combine(
        route.plan.date, datetime.time(0), tzinfo=ZoneInfo(branch.time_zone or "UTC"))
    return max(timezone.now().replace(microsecond=0) - datetime.timedelta(hours=hours),
               midnight)


def batch_for(route) -> list[dict]:
    first, second = stops_of(route)[:2]
    # Earlier today by the phone's clock, one step apart, none of them in the future.
    t0 = earlier_today(route, 2)
    step = min(datetime.timedelta(minutes=1), (timezone.now() - t0) / 100)

    def at(minutes):
        return (t0 + step * minutes).replace(microsecond=0).isoformat()

    return [
        {"key": "q-1", "type": "arrive", "stop": first.pk, "body": {}, "happened_at": at(10)},
        {"key": "q-2", "type": "complete", "stop": first.pk,
         "body": {"delivered": to_hand_over(first), "collected": due_back(first), "note": "ok"},
         "happened_at": at(18)},
        {"key": "q-3", "type": "fail", "stop": second.pk,
         "body": {"reason": "not_home", "note": ""}, "happened_at": at(40)},
        {"key": "q-4", "type": "finish", "route": route.pk, "body": {}, "happened_at": at(90)},
    ]


def effects(route) -> dict:
    stops = Stop.objects.filter(route=route).order_by("sequence")
    readers = [s.reader_id for s in stops]
    return {
        "stops": [(s.status, s.fail_reason, s.completed_at is not None) for s in stops],
        "route": Route.objects.get(pk=route.pk).status,
        "loans": sorted(Loan.objects.filter(reader_id__in=readers)
                        .values_list("item__barcode", "status")),
        "orders": sorted(Order.objects.filter(reader_id__in=readers)
                         .values_list("reader_id", "status", "failed_attempts")),
    }


def send(app, actions):
    response = post(app, SYNC, {"actions": actions})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_one_batch_applies_each_action_with_a_result(app, route):
    batch = batch_for(route)
    results = send(app, batch)
    completed_at = datetime.datetime.fromisoformat(batch[1]["happened_at"])
    assert [(r["key"], r["status"]) for r in results] == [
        ("q-1", 200), ("q-2", 200), ("q-3", 200), ("q-4", 200)]
    assert results[1]["body"]["stop"]["status"] == "completed"
    assert len(results[1]["body"]["loans"]) == 2 and len(results[1]["body"]["returns"]) == 1
    got = effects(route)
    assert got["route"] == "finished"
    assert [s[0] for s in got["stops"]] == ["completed", "failed", "failed"]
    # The phone's time is what is recorded.
    stop = stops_of(route)[0]
    assert stop.completed_at == completed_at


def test_the_same_batch_three_times_has_one_set_of_effects(app, route):
    batch = batch_for(route)
    first = send(app, batch)
    once = effects(route)
    for _ in range(2):
        again = send(app, batch)
        assert again == first
        assert effects(route) == once


def _effects_of(app, route, actions) -> dict:
    """Effects of sending `actions`, then rolled back."""
    with transaction.atomic():
        send(app, actions)
        result = effects(route)
        transaction.set_rollback(True)
    return result


def test_every_order_of_the_batch_has_the_same_effects(app, route):
    batch = batch_for(route)
    expected = _effects_of(app, route, batch)
    for order in itertools.permutations(batch):
        assert _effects_of(app, route, list(order)) == expected, [a["key"] for a in order]


@pytest.mark.parametrize("seed", range(6))
def test_duplicates_shuffled_and_resent_have_the_same_effects(app, route, seed):
    """The queue sends what it has so far (a prefix of the day, duplicated and in any order),
    the connection drops, then it sends everything again, also duplicated and shuffled."""
    batch = batch_for(route)
    expected = _effects_of(app, route, batch)
    rng = random.Random(seed)
    prefix = batch[:rng.randrange(1, len(batch))] * 2
    rng.shuffle(prefix)
    noisy = batch * 3
    rng.shuffle(noisy)
    with transaction.atomic():
        send(app, prefix)
        send(app, noisy)
        send(app, noisy[::-1])
        assert effects(route) == expected
        transaction.set_rollback(True)


def test_a_key_used_by_hand_and_then_in_the_queue_counts_once(app, route):
    stop = stops_of(route)[0]
    body = {"delivered": to_hand_over(stop), "collected": []}
    direct = post(app, f"/api/mobile/v1/stops/{stop.pk}/complete/", body, key="hand-1")
    loans = Loan.objects.count()
    results = send(app, [{"key": "hand-1", "type": "complete", "stop": stop.pk, "body": body,
                          "happened_at": "2026-01-05T09:00:00Z"}])
    assert results[0] == {"key": "hand-1", "status": 200, "body": direct.json()}
    assert Loan.objects.count() == loans


def test_bad_actions_get_their_own_error_and_the_rest_is_applied(app, route):
    stop = stops_of(route)[0]
    results = send(app, [
        {"key": "b-1", "type": "teleport", "stop": stop.pk, "happened_at": "2026-01-05T09:00Z"},
        {"key": "b-2", "type": "arrive", "happened_at": "2026-01-05T09:00Z"},
        {"key": "b-3", "type": "fail", "stop": stop.pk, "body": {"reason": "??"},
         "happened_at": "2026-01-05T09:00Z"},
        {"key": "b-4", "type": "arrive", "stop": stop.pk, "happened_at": "2026-01-05T09:01Z"},
        {"key": "b-5", "type": "complete", "stop": stop.pk, "body": {"delivered": ["NOPE"]},
         "happened_at": "2026-01-05T09:02Z"},
    ])
    assert [r["status"] for r in results] == [400, 400, 400, 200, 400]
    assert results[4]["body"]["code"] == "stop.unknown_barcode"
    stop.refresh_from_db()
    assert stop.status == "arrived"
    assert post(app, SYNC, {"actions": "nope"}).status_code == 400


def test_a_phone_clock_that_cannot_be_right_is_recorded_as_now(app, route):
    first, second = stops_of(route)[:2]
    url = f"/api/mobile/v1/stops/{first.pk}/arrive/"
    before = timezone.now()
    response = post(app, url, {"happened_at": "0443-04-23T08:40:42Z"})
    assert response.status_code == 200, response.content
    assert_documented(response, "post", "/api/mobile/v1/stops/{id}/arrive/")
    first.refresh_from_db()
    assert first.arrived_at >= before
    an_hour_ago = earlier_today(route, 1)
    post(app, f"/api/mobile/v1/stops/{second.pk}/arrive/",
         {"happened_at": an_hour_ago.isoformat()})
    second.refresh_from_db()
    assert second.arrived_at == an_hour_ago
