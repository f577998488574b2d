"""The planner running out of time hands back the best plan it has found so far.

The solver's own tests (tests/routing/solver/test_solver.py) bound it by iterations, so they
never see the clock stop it; here only the time limit stops the search, on days too big to
finish in it:

* the solver alone: 200 stops in 0.5 s: it stops on time, and what it returns is the last
  (best) plan it reported while searching, feasible, every stop served or given a reason;
* the product path: a 40-stop day planned with 0.2 s: the plan is done, not failed, and its
  routes and unserved stops add up to the day.
"""
import random
import time

import pytest

from backend.routing import services
from backend.routing.models import Stop
from backend.routing.solver import Stop as SolverStop
from backend.routing.solver import Vehicle, solve
from tests.factories import BranchFactory
from tests.routing.solver.helpers import assert_consistent, day
from tests.routing.test_planning import next_weekday, reader_at, ready_order, volunteer


def a_big_day(seed: int = 5):
    rng = random.Random(seed)
    points = [(rng.uniform(0, 4000), rng.uniform(0, 4000)) for _ in range(201)]
    stops = []
    for i in range(1, 201):
        start = rng.uniform(0, 20000)
        stops.append(SolverStop(f"s{i}", i, service_time=300, earliest=start,
                                latest=start + rng.uniform(1800, 7200), delivery=1))
    vehicles = [Vehicle(f"v{k}", 0, 0, capacity=20, shift_end=30000) for k in range(14)]
    return day(points, stops, vehicles, speeds={"default": 1.4})


def test_solver_out_of_time_returns_the_best_plan_it_reported():
    problem = a_big_day()
    reported = []
    started = time.monotonic()
    solution = solve(problem, time_limit=0.5, progress=reported.append)
    took = time.monotonic() - started

    assert solution.seconds >= 0.45  # stopped by the clock, not by running out of ideas
    assert took < 0.5 + 5  # and promptly: setup and decoding only on top
    assert reported, "no plan was reported while searching"
    best = reported[-1]
    assert (solution.objective.served, solution.objective.vehicles, solution.objective.cost) \
        == (best.served, best.vehicles, best.cost)
    assert best.served == max(p.served for p in reported)
    assert solution.feasible, solution.violations
    assert_consistent(problem, solution)
    served = {sid for route in solution.routes for sid in route.stop_ids}
    assert served | {u.stop_id for u in solution.unassigned} == {s.id for s in problem.stops}
    assert len(served) >= 100


@pytest.mark.django_db
def test_day_planned_with_too_little_time_is_done_with_every_stop_placed_or_explained():
    depot, day = BranchFactory(code="DEP", lat=54.0, lon=69.0), next_weekday()
    volunteers = [volunteer(depot) for _ in range(3)]
    rng = random.Random(2)
    for _ in range(40):
        ready_order(reader_at(depot, 69.0 + rng.uniform(-0.05, 0.05),
                              lat=54.0 + rng.uniform(-0.03, 0.03)), day)

    plan = services.plan_get_or_create(branch=depot, date=day)
    figures = services.plan_solve(plan=plan, time_limit=0.2)

    plan.refresh_from_db()
    assert plan.solve_status == "done"
    assert figures["stops"] == 40 and figures["feasible"]
    stops = Stop.objects.filter(plan=plan)
    on_routes = stops.filter(route__isnull=False)
    assert on_routes.count() == figures["served"] > 0
    assert all(s.unserved_reason for s in stops.filter(route__isnull=True))
    assert {s.route.volunteer_id for s in on_routes} <= {v.pk for v in volunteers}
