"""Ejection-pool route elimination on the engine's integer model."""

from __future__ import annotations

import math
import random

import pytest
import pyvrp

from backend.routing.solver import Stop, Vehicle, engine, solve
from backend.routing.solver.check import check
from backend.routing.solver.ejection import Eliminator, Model
from backend.routing.solver.engine import build
from backend.routing.solver.ints import IntModel
from backend.routing.solver.precheck import precheck
from backend.routing.solver.schedule import evaluate_route
from backend.routing.solver.solomon import parse, to_problem
from backend.routing.solver.squeeze import penalty, squeeze

from .helpers import assert_consistent, day
from .test_solomon import solomon_text


def _built(problem):
    im = IntModel(problem)
    pre = precheck(problem, im)
    return build(problem, im, [s.id for s in problem.stops if s.id in pre.candidates])


def _one_route_per_stop(built):
    """A wasteful plan: every stop alone, on a vehicle type that may serve it."""
    data = built.data
    left = [data.vehicle_type(t).num_available for t in range(data.num_vehicle_types)]
    fits = {
        c: [t for t in range(data.num_vehicle_types) if pyvrp.Route(data, [c], t).is_feasible()]
        for c in range(data.num_clients)
    }
    plan = []
    for c in sorted(fits, key=lambda c: (len(fits[c]), c)):  # the choosiest stops first
        t = next(t for t in fits[c] if left[t])
        left[t] -= 1
        plan.append((t, [c]))
    return plan


class _Watched(Eliminator):
    """Checks the whole state after every change the elimination makes."""

    def __init__(self, *args, verify, **kwargs):
        super().__init__(*args, **kwargs)
        self.verify = verify
        self.checked = 0

    def _insert(self, u):
        done = super()._insert(u)
        self.verify(self.plan())
        self.checked += 1
        return done

    def _squeeze(self, u):
        done = super()._squeeze(u)
        self.verify(self.plan())
        self.checked += 1
        return done

    def _eject(self, u, p):
        out = super()._eject(u, p)
        self.verify(self.plan())
        self.checked += 1
        return out

    def _shake(self, tries):
        super()._shake(tries)
        self.verify(self.plan())
        self.checked += 1


def _eliminate_all(elim, steps):
    removed = 0
    while len(elim.plan()) > 1 and elim.eliminate_one(None, steps):
        removed += 1
    return removed


def test_routes_are_removed_and_every_plan_on_the_way_passes_the_checker():
    inst = parse(solomon_text(3, n=14, vehicles=14, capacity=60), "GEN3")
    built = _built(to_problem(inst))
    number = [int(s.id) for s in built.clients]

    def verify(plan):
        routes = [[number[c] for c in visits] for _, visits in plan]
        verdict = check(inst, routes)
        # Stops in the pool are not served yet; nothing else may be wrong.
        assert all(e.endswith("not served") for e in verdict.errors), verdict.errors
        assert len({c for r in routes for c in r}) == sum(len(r) for r in routes)

    start = _one_route_per_stop(built)
    elim = _Watched(built.data, start, seed=1, verify=verify)
    removed = _eliminate_all(elim, steps=300)
    assert removed >= 6
    assert elim.checked > 0
    final = [[number[c] for c in visits] for _, visits in elim.plan()]
    verdict = check(inst, final)
    assert verdict.feasible, verdict.errors
    assert verdict.vehicles == len(start) - removed


def test_languages_pickups_and_max_stops_hold_on_every_plan():
    n = 16
    points = [(0.0, 0.0)] + [
        (300 * math.cos(2 * math.pi * i / n), 300 * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]
    stops = [
        Stop(
            f"s{i}",
            i,
            service_time=60,
            delivery=2 + i % 3,
            pickup=3 - i % 3,
            languages={"kk"} if i % 4 == 0 else set(),
        )
        for i in range(1, n + 1)
    ]
    vehicles = [
        Vehicle(f"kk{k}", 0, 0, capacity=9, max_stops=5, languages={"kk", "ru"}, shift_end=20000)
        for k in range(8)
    ] + [
        Vehicle(f"ru{k}", 0, 0, capacity=9, max_stops=5, languages={"ru"}, shift_end=20000)
        for k in range(12)
    ]
    problem = day(points, stops, vehicles)
    built = _built(problem)

    def verify(plan):
        by_type = {t: list(vs) for t, vs in enumerate(built.types)}
        for t, visits in plan:
            vehicle = by_type[t].pop()  # vehicles of one type are identical; one each
            route_stops = [built.clients[c] for c in visits]
            _, errors = evaluate_route(problem, vehicle, route_stops)
            assert not errors, errors

    start = _one_route_per_stop(built)
    elim = _Watched(built.data, start, seed=2, verify=verify)
    removed = _eliminate_all(elim, steps=300)
    plan = elim.plan()
    assert removed > 0 and elim.checked > 0
    assert sorted(c for _, v in plan for c in v) == list(range(n))
    # Capacity 9 with these loads and at most 5 stops: at least 4 routes remain.
    assert len(plan) >= math.ceil(n / 5)
    for t, visits in plan:
        vehicle = built.types[t][0]
        assert all(not built.clients[c].languages or "kk" in vehicle.languages for c in visits)


def test_a_step_bound_makes_it_deterministic_and_failure_leaves_the_plan_alone():
    inst = parse(solomon_text(4, n=14, vehicles=14, capacity=60), "GEN4")
    built = _built(to_problem(inst))
    start = _one_route_per_stop(built)
    runs = []
    for _ in range(2):
        elim = Eliminator(built.data, start, seed=5)
        _eliminate_all(elim, steps=200)
        runs.append((elim.plan(), elim.steps))
    assert runs[0] == runs[1]
    # No step at all: nothing can be removed, and the plan is as it was.
    elim = Eliminator(built.data, runs[0][0], seed=5)
    assert not elim.eliminate_one(None, 0)
    assert elim.plan() == runs[0][0]


def test_a_given_pool_goes_into_a_short_plan_without_taking_a_route_away():
    inst = parse(solomon_text(3, n=14, vehicles=14, capacity=60), "GEN3")
    built = _built(to_problem(inst))
    number = [int(s.id) for s in built.clients]
    elim = Eliminator(built.data, _one_route_per_stop(built), seed=3)
    _eliminate_all(elim, steps=300)
    full = elim.plan()
    # Take two stops out of the longest route: a feasible plan that leaves them out.
    k = max(range(len(full)), key=lambda i: len(full[i][1]))
    out = full[k][1][:2]
    short = [(t, [c for c in v if c not in out]) for t, v in full]
    elim = Eliminator(built.data, short, seed=3)
    assert elim.eliminate_one(None, 300, pool=out)
    plan = elim.plan()
    assert sorted(c for _, v in plan for c in v) == list(range(len(built.clients)))
    assert len(plan) <= len([v for _, v in short if v])
    verdict = check(inst, [[number[c] for c in v] for _, v in plan])
    assert verdict.feasible, verdict.errors


def test_the_squeeze_serves_the_stop_feasibly_or_changes_nothing():
    inst = parse(solomon_text(5, n=14, vehicles=14, capacity=60), "GEN5")
    built = _built(to_problem(inst))
    m = Model(built.data)
    number = [int(s.id) for s in built.clients]
    elim = Eliminator(built.data, _one_route_per_stop(built), seed=4, model=m)
    _eliminate_all(elim, steps=300)
    full = elim.plan()
    outcomes = set()
    for _, visits in full:
        for u in visits:
            short = [(t, [c for c in v if c != u]) for t, v in full]
            routes = Eliminator(built.data, short, seed=4, model=m).routes
            before = [(r.t, list(r.seq)) for r in routes]
            done = squeeze(m, routes, u)
            outcomes.add(done)
            plan = [(r.t, list(r.seq)) for r in routes if r.seq]
            if done:
                assert sorted(c for _, v in plan for c in v) == list(range(len(number)))
                verdict = check(inst, [[number[c] for c in v] for _, v in plan])
                assert verdict.feasible, verdict.errors
                assert all(penalty(m, r.t, r.seq) == 0 for r in routes)
            else:
                assert [(r.t, list(r.seq)) for r in routes] == before
    assert True in outcomes


def test_the_penalty_counts_time_warp_and_overload():
    inst = parse(solomon_text(5, n=14, vehicles=14, capacity=60), "GEN5")
    built = _built(to_problem(inst))
    m = Model(built.data)
    every = list(range(len(built.clients)))
    assert penalty(m, 0, []) == 0
    assert all(penalty(m, 0, [c]) == 0 for c in every)  # each stop alone is feasible
    assert penalty(m, 0, every) > 0  # all on one vehicle of capacity 60: overload at least


@pytest.mark.parametrize("first", [True, False])
def test_the_switch_in_the_engine_keeps_plans_feasible_and_deterministic(monkeypatch, first):
    monkeypatch.setattr(engine, "EJECTION", True)
    monkeypatch.setattr(engine, "EP_FIRST", first)
    calls = []
    through = engine.Search._eject

    def watched(self, *args):
        calls.append(args[1])
        return through(self, *args)

    monkeypatch.setattr(engine.Search, "_eject", watched)
    rng = random.Random(1)
    points = [(0.0, 0.0)] + [(rng.uniform(-300, 300), rng.uniform(-300, 300)) for _ in range(20)]
    stops = []
    for i in range(1, 21):
        early = rng.uniform(0, 1500)
        stops.append(Stop(f"s{i}", i, service_time=30, earliest=early, latest=early + 150))
    vehicles = [Vehicle(f"v{k}", 0, 0, capacity=50, shift_end=3000) for k in range(10)]
    problem = day(points, stops, vehicles)
    a = solve(problem, time_limit=60, max_iterations=300, seed=4)
    b = solve(problem, time_limit=60, max_iterations=300, seed=4)
    assert calls  # tight windows: the fleet reduction runs, so does the pool
    assert_consistent(problem, a)
    assert a.objective.served == 20
    assert [r.stop_ids for r in a.routes] == [r.stop_ids for r in b.routes]
    assert a.iterations == b.iterations
