"""Our day model given to vroom and OR-Tools: a tiny day with windows, a small bag, languages
and a pin, whose served counts are known."""

import pytest

from backend.routing.solver import Stop, Vehicle, solve
from backend.routing.solver.daypeers import DAY_PEERS, missing
from backend.routing.solver.schedule import check_routes

from .helpers import FAST, assert_consistent, day

PEERS = sorted(DAY_PEERS)


def peer(name: str):
    absent = missing([name])
    if absent:
        pytest.skip(f"the {name} library is not installed (requirements/dev.txt)")
    return DAY_PEERS[name]


def tiny_day():
    # Branch at 0; five readers on a line; two volunteers with a bag of 4 books.
    points = [(0, 0), (100, 0), (200, 0), (300, 0), (400, 0), (500, 0)]
    stops = [
        Stop("a", 1, service_time=60, delivery=2, pickup=1),
        Stop("b", 2, service_time=60, delivery=2, earliest=600, latest=1800),
        Stop("c", 3, service_time=60, delivery=1, pickup=2, languages={"kk"}),
        Stop("d", 4, service_time=60, delivery=1, vehicle_id="v2"),
        Stop("e", 5, service_time=60, delivery=1, pickup=3, languages={"ru"}),
    ]
    vehicles = [
        Vehicle("v1", 0, 0, shift_start=0, shift_end=7200, capacity=4, languages={"kk", "ru"}),
        Vehicle("v2", 0, 0, shift_start=0, shift_end=7200, capacity=4, languages={"ru"},
                fixed_cost=50),
    ]
    return day(points, stops, vehicles)


def unservable_day():
    """Stop "x" speaks a language nobody speaks and "y" is heavier than the bag: both stay
    out; "z" is served."""
    points = [(0, 0), (100, 0), (200, 0), (300, 0)]
    stops = [
        Stop("x", 1, languages={"de"}),
        Stop("y", 2, delivery=9),
        Stop("z", 3, delivery=1),
    ]
    vehicles = [Vehicle("v1", 0, 0, shift_start=0, shift_end=3600, capacity=5)]
    return day(points, stops, vehicles)


@pytest.mark.parametrize("name", PEERS)
def test_each_peer_serves_the_tiny_day_within_its_rules(name):
    problem = tiny_day()
    solution = peer(name)(problem, 2.0)
    assert solution.feasible, solution.violations
    assert solution.objective.served == 5
    assert check_routes(problem, solution.routes) == []
    assert_consistent(problem, solution)
    for route in solution.routes:
        assert route.max_load <= problem.vehicle(route.vehicle_id).capacity
    assignment = solution.assignment()
    assert assignment["d"] == "v2"  # pinned
    assert assignment["c"] == "v1"  # only v1 speaks Kazakh


@pytest.mark.parametrize("name", PEERS)
def test_each_peer_leaves_out_what_nobody_may_serve(name):
    problem = unservable_day()
    solution = peer(name)(problem, 1.0)
    assert solution.feasible, solution.violations
    assert solution.objective.served == 1
    assert {u.stop_id for u in solution.unassigned} == {"x", "y"}


def test_our_planner_serves_the_tiny_day_as_the_peers_do():
    problem = tiny_day()
    ours = solve(problem, **FAST)
    assert ours.objective.served == 5
    for name in PEERS:
        if not missing([name]):
            assert ours.objective.vehicles <= DAY_PEERS[name](problem, 2.0).objective.vehicles


@pytest.mark.parametrize("name", PEERS)
def test_each_peer_fills_the_bag_but_never_overfills_it(name):
    # One bag of 5: three stops each hand over 2 books and the last collects 3 more.
    points = [(0, 0), (100, 0), (200, 0), (300, 0), (400, 0)]
    stops = [Stop("a", 1, delivery=2), Stop("b", 2, delivery=2), Stop("c", 3, delivery=2),
             Stop("d", 4, pickup=3)]
    problem = day(points, stops, [Vehicle("v1", 0, 0, shift_end=3600, capacity=5)])
    solution = peer(name)(problem, 1.0)
    assert solution.feasible, solution.violations
    assert solution.objective.served == 3  # two deliveries and the pickup
    assert solution.routes[0].max_load <= 5
    assert "d" in solution.assignment()
