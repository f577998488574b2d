"""Idempotency-Key: the same key answers the same and changes nothing; another body is 422."""
import pytest

from backend.circulation.models import Loan
from mobile_api.models import IdempotencyRecord
from tests.mobile_api.conftest import due_back, post, stops_of, to_hand_over

API = "/api/mobile/v1/"


def nothing_of_the_complete_kept(stop, route, order, version: int) -> None:
    """The refused complete left the stop, the route, its order, events, loans and lines as
    they were."""
    from backend.orders.models import Order, OrderEvent

    stop.refresh_from_db()
    route.refresh_from_db()
    assert (stop.status, route.status, route.version) == ("planned", "published", version)
    assert Order.objects.get(pk=order.pk).status == "scheduled"
    assert not OrderEvent.objects.filter(order=order).exists()
    assert not Loan.objects.filter(order_line__order=order).exists()
    assert set(order.lines.values_list("status", flat=True)) == {"reserved"}


def test_same_key_same_body_answers_the_first_answer_and_changes_nothing(app, route):
    stop = stops_of(route)[0]
    body = {"delivered": to_hand_over(stop), "collected": due_back(stop), "note": "ok"}
    first = post(app, f"{API}stops/{stop.pk}/complete/", body, key="same-1")
    assert first.status_code == 200, first.content
    loans = Loan.objects.count()
    second = post(app, f"{API}stops/{stop.pk}/complete/", body, key="same-1")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Loan.objects.count() == loans
    assert IdempotencyRecord.objects.filter(key="same-1").count() == 1


def test_a_new_key_for_the_same_action_gets_the_conflict(app, route):
    stop = stops_of(route)[0]
    body = {"delivered": to_hand_over(stop), "collected": []}
    post(app, f"{API}stops/{stop.pk}/complete/", body)
    again = post(app, f"{API}stops/{stop.pk}/complete/", body)
    assert again.status_code == 409
    assert again.json()["code"] == "stop.already_completed"


def test_same_key_different_body_is_422(app, route):
    stop = stops_of(route)[0]
    post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "not_home"}, key="k-422")
    response = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "refused"}, key="k-422")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency.key_reused"
    other = stops_of(route)[1]
    response = post(app, f"{API}stops/{other.pk}/fail/", {"reason": "not_home"}, key="k-422")
    assert response.status_code == 422
    stop.refresh_from_db()
    other.refresh_from_db()
    assert (stop.fail_reason, other.status) == ("not_home", "planned")


def test_a_refusal_is_an_answer_too(app, route):
    """A 409 is recorded: the same key answers the same 409 even after the state changed."""
    stop = stops_of(route)[0]
    finish = post(app, f"{API}routes/{route.pk}/finish/", key="early-finish")
    assert finish.status_code == 409 and finish.json()["code"] == "route.not_started"
    post(app, f"{API}routes/{route.pk}/start/")
    again = post(app, f"{API}routes/{route.pk}/finish/", key="early-finish")
    assert again.status_code == 409 and again.json() == finish.json()
    stop.refresh_from_db()
    assert stop.status == "planned"


def test_bad_input_is_not_recorded(app, route):
    stop = stops_of(route)[0]
    bad = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "bored"}, key="fix-me")
    assert bad.status_code == 400 and bad.json()["fields"]["reason"]
    good = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "refused"}, key="fix-me")
    assert good.status_code == 200


def test_the_key_is_required(app, route):
    response = app.post(f"{API}routes/{route.pk}/start/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency.key_missing"
    route.refresh_from_db()
    assert route.status == "published"
    bad = app.post(f"{API}routes/{route.pk}/start/", {}, format="json",
                   HTTP_IDEMPOTENCY_KEY="no spaces allowed")
    assert bad.json()["code"] == "idempotency.key_invalid"


def test_keys_are_per_user(app, route, volunteer):
    from tests.mobile_api.conftest import app_for, make_volunteer, published_route

    other = make_volunteer()
    other_route = published_route(other, stops=1)
    post(app, f"{API}routes/{route.pk}/start/", key="shared")
    response = post(app_for(other), f"{API}routes/{other_route.pk}/start/", key="shared")
    assert response.status_code == 200
    assert response.json()["route"]["id"] == other_route.pk


def test_availability_is_idempotent_too(app, volunteer):
    body = {"kind": "absence", "starts_on": "2026-12-28", "ends_on": "2026-12-30",
            "reason": "Болею"}
    first = post(app, f"{API}me/availability/", body, key="abs-1")
    assert first.status_code == 201, first.content
    second = post(app, f"{API}me/availability/", body, key="abs-1")
    assert (second.status_code, second.json()) == (201, first.json())
    assert volunteer.absences.count() == 1
    overlap = post(app, f"{API}me/availability/", body)
    assert overlap.status_code == 409 and overlap.json()["code"] == "absence.overlap"
    shift = post(app, f"{API}me/availability/", {
        "kind": "shift", "rrule": "FREQ=WEEKLY;BYDAY=SA", "starts_on": "2026-12-05",
        "start_time": "10:00", "end_time": "14:00"})
    assert shift.status_code == 201 and shift.json()["shift"]["rrule"] == "FREQ=WEEKLY;BYDAY=SA"
    seen = app.get(f"{API}me/availability/").json()
    assert len(seen["shifts"]) == 2 and seen["absences"][0]["reason"] == "Болею"
    assert len(seen["days"]) == 14
    missing = post(app, f"{API}me/availability/", {"kind": "shift"})
    assert missing.status_code == 400 and "rrule" in missing.json()["fields"]


def test_a_refusal_after_writes_keeps_none_of_them_and_is_recorded(app, route):
    """The services inside an action share its savepoint (backend.core.atomic): a copy
    collected that is not on loan is refused after the route started, the order went out and
    two loans began, and all of that is undone; the refusal itself is kept for the key."""

    stop = stops_of(route)[0]
    order = stop.orders.get()
    version = route.version
    body = {"delivered": to_hand_over(stop), "collected": ["NOT-ON-LOAN-1"]}
    refused = post(app, f"{API}stops/{stop.pk}/complete/", body, key="late-refusal")
    assert refused.status_code == 409
    assert refused.json()["code"] == "loan.not_on_loan"
    nothing_of_the_complete_kept(stop, route, order, version)
    again = post(app, f"{API}stops/{stop.pk}/complete/", body, key="late-refusal")
    assert again.status_code == 409 and again.json() == refused.json()
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("returning", [True, False], ids=["insert-returning", "insert-savepoint"])
def test_the_first_answer_is_kept_whether_or_not_an_insert_can_return_rows(
        app, route, monkeypatch, returning):
    """The key's record is written by INSERT ... ON CONFLICT DO NOTHING RETURNING where the
    database can (PostgreSQL, SQLite from 3.35), else by a plain INSERT in a savepoint: the
    same answers both ways."""
    from backend.core import inserts

    monkeypatch.setattr(inserts, "insert_returns_rows", lambda connection: returning)
    stop = stops_of(route)[0]
    first = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "not_home"}, key="k-both")
    assert first.status_code == 200
    again = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "not_home"}, key="k-both")
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    other = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "refused"}, key="k-both")
    assert other.status_code == 422
    record = IdempotencyRecord.objects.get(key="k-both")
    assert (record.status, record.response) == (200, first.json())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("returning", [True, False], ids=["insert-returning", "insert-savepoint"])
def test_a_refusal_in_the_requests_own_transaction_keeps_nothing_and_is_recorded(
        app, route, monkeypatch, returning):
    """With no transaction around the request, a refusal rolls back the whole transaction
    (the key's claim too) and a new one records the refusal: the same as in a savepoint,
    nothing of the action kept, the same key answering the same refusal."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.core import inserts

    monkeypatch.setattr(inserts, "insert_returns_rows", lambda connection: returning)
    stop = stops_of(route)[0]
    order = stop.orders.get()
    version = route.version
    body = {"delivered": to_hand_over(stop), "collected": ["NOT-ON-LOAN-1"]}
    with CaptureQueriesContext(connection) as captured:
        refused = post(app, f"{API}stops/{stop.pk}/complete/", body, key="own-refusal")
    assert refused.status_code == 409
    assert refused.json()["code"] == "loan.not_on_loan"
    statements = [q["sql"] for q in captured.captured_queries]
    assert "ROLLBACK" in statements  # the transaction's, not a savepoint's
    assert not [sql for sql in statements if sql.startswith("ROLLBACK TO SAVEPOINT")]
    nothing_of_the_complete_kept(stop, route, order, version)
    record = IdempotencyRecord.objects.get(key="own-refusal")
    assert (record.status, record.response) == (409, refused.json())
    again = post(app, f"{API}stops/{stop.pk}/complete/", body, key="own-refusal")
    assert again.status_code == 409 and again.json() == refused.json()
    assert again["Idempotent-Replayed"] == "true"
    other = post(app, f"{API}stops/{stop.pk}/complete/", {**body, "note": "x"},
                 key="own-refusal")
    assert other.status_code == 422 and other.json()["code"] == "idempotency.key_reused"
    assert IdempotencyRecord.objects.filter(key="own-refusal").count() == 1


@pytest.mark.django_db(transaction=True)
def test_bad_input_and_unknown_ids_in_the_requests_own_transaction_are_not_recorded(app, route):
    """Outside any transaction too, a 400 or a 404 keeps neither the key nor any write."""
    stop = stops_of(route)[0]
    bad = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "bored"}, key="fix-me-own")
    assert bad.status_code == 400
    missing = post(app, f"{API}stops/{stop.pk + 1000}/fail/", {"reason": "refused"},
                   key="fix-me-own")
    assert missing.status_code == 404
    assert not IdempotencyRecord.objects.filter(key="fix-me-own").exists()
    good = post(app, f"{API}stops/{stop.pk}/fail/", {"reason": "refused"}, key="fix-me-own")
    assert good.status_code == 200
    stop.refresh_from_db()
    assert (stop.status, stop.fail_reason) == ("failed", "refused")
