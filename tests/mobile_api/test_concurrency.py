"""Two phones at the same moment, on real PostgreSQL connections."""
import threading

import pytest
from django.db import connection

from backend.circulation.models import Loan
from mobile_api.models import IdempotencyRecord
from tests.mobile_api.conftest import (
    app_for,
    make_volunteer,
    post,
    published_route,
    stops_of,
    to_hand_over,
)

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    """Run the calls in threads released at once; each thread has its own DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_phones_completing_one_stop_one_wins_one_gets_409():
    volunteer = make_volunteer()
    stop = stops_of(published_route(volunteer, stops=1))[0]
    body = {"delivered": to_hand_over(stop), "collected": []}
    phones = [app_for(volunteer), app_for(volunteer)]
    url = f"/api/mobile/v1/stops/{stop.pk}/complete/"
    responses = run_together(*(lambda c=c: post(c, url, body) for c in phones))
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "stop.already_completed"
    assert Loan.objects.filter(order_line__order__stops=stop).count() == 2


def test_two_doors_of_one_route_at_once_each_answer_the_version_it_made():
    """The version in an action's answer is read back by the UPDATE that bumps it: two
    actions on one route at once answer two versions one apart, the later one the route's."""
    from backend.routing.models import Route

    volunteer = make_volunteer()
    route = published_route(volunteer, stops=3)
    first, second, third = stops_of(route)
    phone = app_for(volunteer)
    assert post(phone, f"/api/mobile/v1/stops/{first.pk}/arrive/").status_code == 200
    phones = [app_for(volunteer), app_for(volunteer)]
    sent = [(f"/api/mobile/v1/stops/{second.pk}/arrive/", {}),
            (f"/api/mobile/v1/stops/{third.pk}/fail/", {"reason": "not_home"})]
    responses = run_together(*(lambda c=c, u=u, b=b: post(c, u, b)
                               for c, (u, b) in zip(phones, sent, strict=True)))
    assert [r.status_code for r in responses] == [200, 200]
    versions = sorted(r.json()["route"]["version"] for r in responses)
    assert versions[1] == versions[0] + 1
    assert Route.objects.get(pk=route.pk).version == versions[1]


def test_the_same_key_twice_at_once_runs_the_action_once():
    volunteer = make_volunteer()
    stop = stops_of(published_route(volunteer, stops=1))[0]
    body = {"delivered": to_hand_over(stop), "collected": []}
    phones = [app_for(volunteer), app_for(volunteer)]
    url = f"/api/mobile/v1/stops/{stop.pk}/complete/"
    responses = run_together(*(lambda c=c: post(c, url, body, key="twin") for c in phones))
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == ["", "true"]
    assert IdempotencyRecord.objects.filter(key="twin").count() == 1
    assert Loan.objects.filter(order_line__order__stops=stop).count() == 2


def test_one_refresh_token_sent_twice_at_once_is_honoured_once():
    from rest_framework.test import APIClient

    from mobile_api.auth import tokens_for

    refresh = tokens_for(make_volunteer().user)["refresh"]
    url = "/api/mobile/v1/auth/refresh/"
    responses = run_together(*(lambda: APIClient().post(url, {"refresh": refresh},
                                                        format="json") for _ in range(2)))
    assert sorted(r.status_code for r in responses) == [200, 401]
    assert next(r for r in responses if r.status_code == 401).json()["code"] == \
        "auth.token_invalid"


def test_the_same_key_twice_at_once_on_a_refusal_records_it_once():
    """A refusal rolls its transaction back, the key's claim included, and is then recorded in
    a new one: the twin may claim the key in between and be refused too, but both answer the
    same refusal, one record holds it and nothing of the action is kept."""
    volunteer = make_volunteer()
    stop = stops_of(published_route(volunteer, stops=1))[0]
    body = {"delivered": to_hand_over(stop), "collected": ["NOT-ON-LOAN-1"]}
    phones = [app_for(volunteer), app_for(volunteer)]
    url = f"/api/mobile/v1/stops/{stop.pk}/complete/"
    responses = run_together(*(lambda c=c: post(c, url, body, key="twin-refused")
                               for c in phones))
    assert [r.status_code for r in responses] == [409, 409]
    assert responses[0].json() == responses[1].json()
    assert responses[0].json()["code"] == "loan.not_on_loan"
    record = IdempotencyRecord.objects.get(key="twin-refused")
    assert (record.status, record.response) == (409, responses[0].json())
    assert not Loan.objects.filter(order_line__order__stops=stop).exists()
    stop.refresh_from_db()
    assert stop.status == "planned"
