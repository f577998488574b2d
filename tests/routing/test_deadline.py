"""The time limit of a plan is a promise from the request to the routes written."""
import time

from backend.routing import services
from backend.routing.deadline import Deadline, write_reserve
from backend.routing.models import Route, Stop
from tests.routing.test_planning import reader_at, ready_order, volunteer


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_budgets_shrink_as_time_passes_and_never_go_negative():
    clock = Clock()
    deadline = Deadline(10, clock=clock)
    assert deadline.left() == 10
    assert deadline.budget(reserve=2) == 8
    clock.now += 3
    assert deadline.elapsed() == 3
    assert deadline.left() == 7
    assert deadline.budget(reserve=2) == 5
    clock.now += 6.5
    assert deadline.budget(reserve=2) == 0
    assert deadline.left() == 0.5
    clock.now += 100
    assert deadline.left() == 0
    assert deadline.budget(reserve=2) == 0
    assert deadline.budget(reserve=-5) == 0  # a negative reserve gives nothing back


def test_a_deadline_carried_to_a_worker_counts_the_time_already_spent():
    clock = Clock(5000.0)
    deadline = Deadline(90, started=4970.0, clock=clock)
    assert deadline.elapsed() == 30
    assert deadline.left() == 60


def test_the_write_reserve_grows_with_the_stops():
    assert write_reserve(0) == 0.5
    assert write_reserve(1000) > write_reserve(60) > write_reserve(0)
    assert write_reserve(-3) == 0.5


def test_the_solver_gets_the_limit_less_what_was_spent_before_it(depot, day):
    volunteer(depot)
    for lon in (69.01, 69.02, 69.03):
        ready_order(reader_at(depot, lon), day)
    plan = services.plan_get_or_create(branch=depot, date=day)
    figures = services.plan_solve(plan=plan, time_limit=2)
    timing = figures["timing"]
    assert figures["served"] == 3
    assert timing["limit"] == 2
    assert timing["before_solver"] > 0  # gathering the stops and the matrix took some time
    assert timing["write_reserve"] == write_reserve(3)
    assert timing["solver_budget"] < 2 - timing["write_reserve"]
    assert timing["solver_budget"] <= \
        2 - timing["before_solver"] - timing["write_reserve"] + 1e-3
    assert timing["written"] >= timing["before_solver"]
    plan.refresh_from_db()
    assert plan.figures["timing"] == timing


def test_a_request_whose_time_is_spent_still_writes_a_plan(depot, day):
    v = volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    plan = services.plan_get_or_create(branch=depot, date=day)
    late = Deadline(5, started=time.time() - 60)  # it waited a minute in the queue
    figures = services.plan_solve(plan=plan, time_limit=5, deadline=late)
    assert figures["timing"]["solver_budget"] == 0
    assert figures["timing"]["before_solver"] >= 60
    # Even with no time to search, the answer is a whole plan, written.
    stop = Stop.objects.get(plan=plan)
    assert stop.route is not None or stop.unserved_reason
    assert Route.objects.filter(plan=plan).count() == (1 if stop.route else 0)
    assert not Route.objects.filter(plan=plan).exclude(volunteer=v).exists()


def test_time_waiting_in_the_queue_comes_out_of_the_limit(depot, day):
    from backend.routing.tasks import plan_day_task

    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    plan = services.plan_get_or_create(branch=depot, date=day)
    figures = plan_day_task(plan.pk, 32, None, [], time.time() - 30)  # queued 30 s ago
    timing = figures["timing"]
    assert timing["before_solver"] >= 30
    assert timing["solver_budget"] <= 2 - timing["write_reserve"] + 1e-3
    assert figures["served"] == 1


def test_the_api_asks_with_its_limit(api, depot, day):
    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    client = api.as_role("coordinator")
    plan = services.plan_get_or_create(branch=depot, date=day)
    solved = client.post(f"/api/v1/plans/{plan.pk}/solve/", {"time_limit": 2}, format="json")
    assert solved.status_code == 200, solved.json()
    timing = solved.json()["figures"]["timing"]
    assert timing["limit"] == 2
    assert 0 < timing["before_solver"] <= timing["written"]
    assert timing["solver_budget"] < 2 - timing["write_reserve"]
