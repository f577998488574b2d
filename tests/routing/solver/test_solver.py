"""Known-answer tests of the route solver on small generated days."""

from __future__ import annotations

import random

import pytest

from backend.routing.solver import Problem, Reason, Stop, Vehicle, solve

from .helpers import FAST, assert_consistent, day


def test_points_on_a_line_are_visited_in_order():
    # Start at x=0, end at x=7: the only shortest route visits the stops left to right.
    xs = [3, 1, 6, 2, 5, 4]
    points = [(0, 0), (7, 0)] + [(x, 0) for x in xs]
    stops = [Stop(f"s{x}", 2 + i) for i, x in enumerate(xs)]
    problem = day(points, stops, [Vehicle("a", 0, 1)], objective="distance")
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)
    assert sol.routes[0].stop_ids == [f"s{x}" for x in sorted(xs)]
    assert sol.objective.distance == pytest.approx(7.0)
    assert sol.objective.unserved == 0


def test_a_window_only_one_vehicle_can_meet():
    points = [(0, 0), (10, 0), (-10, 0)]
    stops = [
        Stop("late", 1, earliest=600, latest=700, service_time=30),
        Stop("early", 2, earliest=10, latest=50, service_time=30),
    ]
    vehicles = [
        Vehicle("morning", 0, 0, shift_start=0, shift_end=300),
        Vehicle("evening", 0, 0, shift_start=500, shift_end=1000),
    ]
    sol = solve(day(points, stops, vehicles), **FAST)
    assert sol.assignment() == {"late": "evening", "early": "morning"}
    visit = sol.routes[1].visits[0]
    assert 600 <= visit.start <= 700


def test_fewest_vehicles_beats_shorter_travel():
    # Two volunteers living next to one reader each; one volunteer can do both (long walk).
    points = [(0, 0), (100, 0), (1, 0), (101, 0)]
    stops = [Stop("near_a", 2), Stop("near_b", 3)]
    vehicles = [Vehicle("a", 0, 0), Vehicle("b", 1, 1)]
    sol = solve(day(points, stops, vehicles), **FAST)
    assert sol.objective.vehicles == 1
    assert sol.objective.served == 2


def test_pinned_stop_stays_on_its_vehicle():
    points = [(0, 0), (50, 0), (1, 0), (2, 0)]
    stops = [Stop("p", 2, vehicle_id="far"), Stop("q", 3)]
    vehicles = [Vehicle("near", 0, 0), Vehicle("far", 1, 1)]
    sol = solve(day(points, stops, vehicles), **FAST)
    assert sol.assignment()["p"] == "far"
    # Without the pin the near vehicle would take it.
    unpinned = solve(day(points, [Stop("p", 2), Stop("q", 3)], vehicles), **FAST)
    assert unpinned.assignment()["p"] == "near"


def test_pinned_to_a_missing_vehicle():
    points = [(0, 0), (1, 0)]
    sol = solve(day(points, [Stop("p", 1, vehicle_id="ghost")], [Vehicle("a", 0, 0)]), **FAST)
    assert sol.reason("p") is Reason.PINNED_VEHICLE_UNAVAILABLE


def test_stop_needing_kazakh_goes_to_the_kazakh_speaker():
    points = [(0, 0), (40, 0), (1, 0), (2, 0), (3, 0)]
    stops = [Stop("kk", 2, languages={"kk"}), Stop("any", 3), Stop("ru", 4, languages={"ru"})]
    vehicles = [
        Vehicle("ru_only", 0, 0, languages={"ru"}),
        Vehicle("kk_speaker", 1, 1, languages={"kk", "ru"}),
    ]
    problem = day(points, stops, vehicles)
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)
    assert sol.assignment()["kk"] == "kk_speaker"
    assert sol.assignment()["ru"] in ("ru_only", "kk_speaker")
    # Nobody speaks German.
    sol = solve(day(points, [Stop("de", 2, languages={"de"})], vehicles), **FAST)
    assert sol.reason("de") is Reason.NO_LANGUAGE


def test_too_heavy_and_out_of_window_stops_get_reasons():
    points = [(0, 0), (5, 0), (100, 0), (6, 0)]
    stops = [
        Stop("heavy", 1, delivery=50),
        Stop("late", 2, earliest=0, latest=5),  # 100 s away, window closes at 5 s
        Stop("fine", 3, delivery=3),
    ]
    vehicles = [Vehicle("a", 0, 0, capacity=10), Vehicle("b", 0, 0, capacity=20)]
    sol = solve(day(points, stops, vehicles), **FAST)
    assert sol.reason("heavy") is Reason.TOO_HEAVY
    assert sol.reason("late") is Reason.NO_VEHICLE_IN_WINDOW
    assert sol.reason("fine") is None
    assert sol.assignment().keys() == {"fine"}


def test_unreachable_stop():
    problem = day([(0, 0), (1, 0)], [Stop("island", 1)], [Vehicle("a", 0, 0)])
    durations = [[0.0, None], [None, 0.0]]
    problem = Problem(
        locations=problem.locations,
        profiles=[type(problem.profiles[0])("default", durations)],
        stops=problem.stops,
        vehicles=problem.vehicles,
    )
    assert solve(problem, **FAST).reason("island") is Reason.UNREACHABLE


def test_not_routed_when_the_fleet_is_full():
    # Each stop alone fits, but both windows are at the same time far apart: one vehicle.
    points = [(0, 0), (100, 0), (-100, 0)]
    stops = [Stop("east", 1, earliest=100, latest=110), Stop("west", 2, earliest=100, latest=110)]
    sol = solve(day(points, stops, [Vehicle("a", 0, 0)]), **FAST)
    assert sol.objective.served == 1
    assert [u.reason for u in sol.unassigned] == [Reason.NOT_ROUTED]


def test_required_stops_are_served_first():
    points = [(0, 0), (100, 0), (-100, 0)]
    stops = [
        Stop("optional", 1, earliest=100, latest=110, required=False),
        Stop("required", 2, earliest=100, latest=110, required=True),
    ]
    sol = solve(day(points, stops, [Vehicle("a", 0, 0)]), **FAST)
    assert sol.assignment().keys() == {"required"}


def test_pickups_and_deliveries_respect_capacity_everywhere():
    # Start x=0, end x=3.  P collects 8 books at x=1, D receives 8 at x=2.  Going P first
    # (shortest) would carry 16 > 10 after P, so the solver must go to D first.
    points = [(0, 0), (3, 0), (1, 0), (2, 0)]
    stops = [Stop("P", 2, pickup=8), Stop("D", 3, delivery=8)]
    problem = day(points, stops, [Vehicle("a", 0, 1, capacity=10)], objective="distance")
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)
    route = sol.routes[0]
    assert route.stop_ids == ["D", "P"]
    assert route.start_load == 8
    assert [v.load for v in route.visits] == [0, 8]
    # With a big bag the short order is chosen.
    problem = day(points, stops, [Vehicle("a", 0, 1, capacity=16)], objective="distance")
    assert solve(problem, **FAST).routes[0].stop_ids == ["P", "D"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_days_are_feasible(seed):
    rng = random.Random(seed)
    points = [(rng.uniform(0, 1000), rng.uniform(0, 1000)) for _ in range(25)]
    stops = []
    for i in range(2, 25):
        start = rng.uniform(0, 5000)
        stops.append(
            Stop(
                f"s{i}",
                i,
                service_time=rng.choice([60, 300, 600]),
                earliest=start,
                latest=start + rng.uniform(600, 3600),
                delivery=rng.randint(0, 6),
                pickup=rng.randint(0, 6),
                languages=rng.choice([set(), set(), {"kk"}, {"ru"}]),
            )
        )
    vehicles = [
        Vehicle(
            f"v{k}",
            k % 2,
            k % 2,
            shift_start=0,
            shift_end=rng.uniform(6000, 9000),
            capacity=rng.randint(8, 15),
            max_stops=rng.choice([None, 4, 6]),
            profile=rng.choice(["foot", "car"]),
            languages=rng.choice([{"kk"}, {"ru"}, {"kk", "ru"}]),
        )
        for k in range(5)
    ]
    problem = day(points, stops, vehicles, speeds={"foot": 1.4, "car": 8.0})
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)
    assert sol.objective.served >= 1


def test_max_stops_holds():
    points = [(0, 0)] + [(i, 1) for i in range(1, 7)]
    stops = [Stop(f"s{i}", i) for i in range(1, 7)]
    vehicles = [Vehicle("a", 0, 0, max_stops=3), Vehicle("b", 0, 0, max_stops=3)]
    problem = day(points, stops, vehicles)
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)
    assert sol.objective.served == 6
    assert sorted(len(r.visits) for r in sol.routes) == [3, 3]
    # One vehicle with room for 4: two stops are left out, as not_routed.
    sol = solve(day(points, stops, [Vehicle("a", 0, 0, max_stops=4)]), **FAST)
    assert sol.objective.served == 4
    assert {u.reason for u in sol.unassigned} == {Reason.NOT_ROUTED}


def _random_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    points = [(rng.uniform(0, 500), rng.uniform(0, 500)) for _ in range(30)]
    stops = [
        Stop(f"s{i}", i, service_time=120, earliest=0, latest=rng.uniform(2000, 8000), delivery=1)
        for i in range(1, 30)
    ]
    vehicles = [Vehicle(f"v{k}", 0, 0, capacity=8, shift_end=9000) for k in range(6)]
    return day(points, stops, vehicles)


def test_deterministic_for_a_seed_with_max_iterations():
    problem = _random_problem(7)
    a = solve(problem, time_limit=60, max_iterations=400, seed=3)
    b = solve(problem, time_limit=60, max_iterations=400, seed=3)
    assert [r.stop_ids for r in a.routes] == [r.stop_ids for r in b.routes]
    assert [r.vehicle_id for r in a.routes] == [r.vehicle_id for r in b.routes]
    assert a.objective == b.objective
    assert a.iterations == b.iterations


def test_progress_is_reported_and_warm_start_does_not_lose_quality():
    problem = _random_problem(11)
    events = []
    first = solve(problem, progress=events.append, **FAST)
    assert events, "progress was never called"
    assert events[-1].vehicles == first.objective.vehicles
    assert all(e.elapsed >= 0 for e in events)
    # Progress reports improvements: served never decreases.
    assert [e.served for e in events] == sorted(e.served for e in events)
    again = solve(problem, initial=first, time_limit=5, max_iterations=50)
    assert again.objective.served >= first.objective.served
    assert (again.objective.served, -again.objective.vehicles) >= (
        first.objective.served,
        -first.objective.vehicles,
    )


def test_fractional_travel_times_stay_feasible_in_real_time():
    # Legs of 0.4 s are rounded up to 1 s inside the engine: plans stay feasible for real.
    points = [(0, 0)] + [(0.4 * i, 0) for i in range(1, 6)]
    stops = [Stop(f"s{i}", i, earliest=0, latest=0.4 * i + 0.6) for i in range(1, 6)]
    problem = day(points, stops, [Vehicle("a", 0, 0, shift_end=10)])
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)


def test_no_vehicle_at_all_leaves_every_stop_out_with_its_reason():
    problem = day([(0, 0), (1, 0), (2, 0)], [Stop("s1", 1), Stop("s2", 2, vehicle_id="a")], [])
    sol = solve(problem, **FAST)
    assert sol.routes == () and sol.feasible
    assert sol.reason("s1") is Reason.NO_VEHICLE_IN_WINDOW
    assert sol.reason("s2") is Reason.PINNED_VEHICLE_UNAVAILABLE
    assert (sol.objective.served, sol.objective.unserved) == (0, 2)


def test_an_overbooked_day_keeps_improving_with_more_search():
    # 40 stops, three volunteers of 8 stops each: at most 24 can be served.  Stops left out
    # keep their prize, and the search must still shorten the routes as it goes on (it used
    # to pack the left-out stops in late and keep its first feasible plan to the end).
    rng = random.Random(3)
    points = [(0, 0)] + [(rng.uniform(-500, 500), rng.uniform(-500, 500)) for _ in range(40)]
    stops = []
    for i in range(40):
        early = rng.choice([0, 1800, 3600, 5400])
        stops.append(
            Stop(f"s{i}", i + 1, earliest=early, latest=early + 1800, service_time=300, delivery=1)
        )
    vehicles = [
        Vehicle(f"v{k}", 0, 0, shift_start=0, shift_end=7200, capacity=10, max_stops=8)
        for k in range(3)
    ]
    problem = day(points, stops, vehicles)
    short = solve(problem, time_limit=60, max_iterations=100, seed=0)
    long = solve(problem, time_limit=60, max_iterations=1000, seed=0)
    for sol in (short, long):
        assert_consistent(problem, sol)
        assert sol.objective.served == 24
    assert long.objective.travel_time < short.objective.travel_time


def test_a_day_the_only_speakers_of_a_language_cannot_all_serve_is_overbooked():
    # Four stops, room for seven in the whole fleet, but only the Russian speaker (room for two)
    # may serve the three stops in Russian: not every stop can be served.
    from backend.routing.solver.engine import _overbooked, build
    from backend.routing.solver.ints import IntModel

    points = [(0, 0), (1, 0), (2, 0), (3, 0), (4, 0)]
    stops = [Stop(f"ru{i}", i + 1, languages={"ru"}) for i in range(3)] + [
        Stop("kk", 4, languages={"kk"})
    ]

    def problem_with(ru_room: int) -> Problem:
        vehicles = [
            Vehicle("kk_only", 0, 0, languages={"kk"}, max_stops=5),
            Vehicle("ru_only", 0, 0, languages={"ru"}, max_stops=ru_room),
        ]
        return day(points, stops, vehicles)

    def built(problem: Problem):
        return build(problem, IntModel(problem), [s.id for s in stops])

    short = built(problem_with(2))
    assert _overbooked(short.data, short.allowed)
    assert not _overbooked(short.data)  # the fleet as a whole has room
    enough = built(problem_with(3))
    assert not _overbooked(enough.data, enough.allowed)
    problem = problem_with(2)
    sol = solve(problem, **FAST)
    assert_consistent(problem, sol)
    assert sol.objective.served == 3
