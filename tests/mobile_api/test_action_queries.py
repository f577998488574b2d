"""What an action costs in queries (savepoints included), so a change that adds one is seen.
The route fixture: three stops, each with an order of two reserved copies and one loan due
back."""
import pytest

from tests.mobile_api.conftest import due_back, post, stops_of, to_hand_over

API = "/api/mobile/v1/"


def test_arrive_and_complete_queries(app, route, django_assert_num_queries):
    first, second = stops_of(route)[:2]
    # The first door also starts the route: its three orders go out for delivery. The token's
    # user is read with the volunteer and their branch (its time zone too): one query.
    with django_assert_num_queries(17):
        assert post(app, f"{API}stops/{first.pk}/arrive/").status_code == 200
    body = {"delivered": to_hand_over(first), "collected": due_back(first), "note": ""}
    with django_assert_num_queries(20):
        done = post(app, f"{API}stops/{first.pk}/complete/", body)
    assert done.status_code == 200
    assert done.json()["stop"]["status"] == "completed"
    assert len(done.json()["loans"]) == 2 and len(done.json()["returns"]) == 1
    with django_assert_num_queries(10):
        arrived = post(app, f"{API}stops/{second.pk}/arrive/")
    assert arrived.json()["stop"]["status"] == "arrived"
    assert arrived.json()["route"]["version"] == done.json()["route"]["version"] + 1


def test_each_action_stays_within_its_queries(app, route, django_assert_max_num_queries):
    """Arrive, complete (two copies handed over, one taken back), fail and finish on a
    started route. Two of the queries are the test's own (its transaction makes the action's
    transaction a savepoint); what runs on commit is not counted."""
    first, second, third = stops_of(route)
    post(app, f"{API}routes/{route.pk}/start/")
    with django_assert_max_num_queries(10):
        assert post(app, f"{API}stops/{first.pk}/arrive/").status_code == 200
    body = {"delivered": to_hand_over(first), "collected": due_back(first), "note": ""}
    assert len(body["delivered"]) == 2 and len(body["collected"]) == 1
    with django_assert_max_num_queries(20):
        assert post(app, f"{API}stops/{first.pk}/complete/", body).status_code == 200
    with django_assert_max_num_queries(13):
        assert post(app, f"{API}stops/{second.pk}/fail/",
                    {"reason": "not_home"}).status_code == 200
    # The third stop is not visited: finishing fails it and sends its order back.
    with django_assert_max_num_queries(15):
        finished = post(app, f"{API}routes/{route.pk}/finish/")
    assert finished.status_code == 200
    assert finished.json()["route"]["status"] == "finished"


def test_the_answer_says_what_the_database_holds(app, route):
    stop = stops_of(route)[0]
    answer = post(app, f"{API}stops/{stop.pk}/fail/",
                  {"reason": "not_home", "note": "Звонил дважды",
                   "happened_at": "2020-01-01T10:00:00+05:00"}).json()
    stop.refresh_from_db()
    route.refresh_from_db()
    assert answer["stop"]["status"] == stop.status == "failed"
    assert answer["stop"]["note"] == stop.note == "Звонил дважды"
    assert answer["stop"]["fail_reason"] == stop.fail_reason == "not_home"
    assert answer["route"]["version"] == route.version
    assert answer["route"]["status"] == route.status == "started"


def test_an_arrive_tells_the_next_reader_when_the_branch_wants_it(app, route, volunteer):
    """The branch's choice is read with the stop (mobile_api.selectors.own_stop): off by
    default, on once the branch says so."""
    from backend.notifications.models import BranchMessaging, Message

    first, second, third = stops_of(route)
    assert post(app, f"{API}stops/{first.pk}/arrive/").status_code == 200
    assert not Message.objects.filter(template="on_the_way").exists()
    BranchMessaging.objects.create(branch=volunteer.branch, on_the_way=True)
    assert post(app, f"{API}stops/{second.pk}/arrive/").status_code == 200
    assert list(Message.objects.filter(template="on_the_way")
                .values_list("reader", flat=True)) == [third.reader_id]


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "update-then-read"])
def test_the_route_state_is_right_whether_or_not_an_update_can_return_rows(
        app, route, monkeypatch, returning):
    """SQLite before 3.35 (Django supports 3.31) has no UPDATE ... RETURNING: the version's
    bump is then a plain UPDATE and the answer reads the route again, with the same result."""
    from backend.routing import route_version

    monkeypatch.setattr(route_version, "update_returns_rows", lambda: returning)
    first, second, _third = stops_of(route)
    for stop in (first, second):
        answer = post(app, f"{API}stops/{stop.pk}/arrive/")
        assert answer.status_code == 200
        route.refresh_from_db()
        assert answer.json()["route"]["version"] == route.version
        assert answer.json()["route"]["status"] == route.status == "started"


def test_an_actions_stop_is_read_once_under_its_lock(app, route):
    """The stop of an action is read with its row locked (where the database locks rows),
    with the branch's messaging choices, by the same SQL each time
    (mobile_api.selectors.own_stop)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first, second, _third = stops_of(route)
    reads = []
    for stop in (first, second):
        with CaptureQueriesContext(connection) as captured:
            assert post(app, f"{API}stops/{stop.pk}/arrive/").status_code == 200
        reads.append([q["sql"] for q in captured.captured_queries
                      if q["sql"].startswith("SELECT") and '"routing_stop"."id"' in q["sql"]
                      and '"routing_stop"."id" = ' in q["sql"]])
    assert len(reads[0]) == len(reads[1]) == 1
    assert (reads[0][0].rsplit('"routing_stop"."id" = ', 1)[0]
            == reads[1][0].rsplit('"routing_stop"."id" = ', 1)[0])
    assert ("FOR UPDATE" in reads[1][0]) is connection.features.has_select_for_update
    assert "messaging" in reads[1][0]


@pytest.mark.django_db(transaction=True)
def test_an_action_in_its_own_transaction_opens_no_savepoint(app, route):
    """Outside any atomic block, as a request is when no test transaction is around it, the
    action runs in the key's transaction itself (mobile_api.idempotency): no SAVEPOINT, no
    RELEASE. Counted: the token's user, BEGIN, the key's claim, the action, the answer,
    COMMIT, and what runs on commit (after a complete: the routes of its reader touched)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first, second, _third = stops_of(route)
    assert post(app, f"{API}routes/{route.pk}/start/").status_code == 200
    counts = {}
    for kind, url, body in [
        ("arrive", f"{API}stops/{first.pk}/arrive/", {}),
        ("complete", f"{API}stops/{first.pk}/complete/",
         {"delivered": to_hand_over(first), "collected": due_back(first), "note": ""}),
        ("fail", f"{API}stops/{second.pk}/fail/", {"reason": "not_home"}),
        ("finish", f"{API}routes/{route.pk}/finish/", {}),
    ]:
        with CaptureQueriesContext(connection) as captured:
            assert post(app, url, body).status_code == 200
        statements = [q["sql"] for q in captured.captured_queries]
        assert not [sql for sql in statements if "SAVEPOINT" in sql], kind
        counts[kind] = len(statements)
    # After a complete, the routes of its reader are touched: on PostgreSQL the stops read and
    # the routes updated in one statement (routing.receivers), elsewhere two.
    touched = 1 if connection.vendor == "postgresql" else 2
    assert counts == {"arrive": 8, "complete": 18 + touched, "fail": 11, "finish": 13}
