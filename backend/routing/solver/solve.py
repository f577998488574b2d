"""The single entry point: ``solve(problem, time_limit=...) -> Solution``."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyvrp

from .engine import Built, Plan, Search, _Budget, build
from .ints import IntModel
from .model import Objective, Problem, Progress, Reason, Route, Solution, Unassigned
from .precheck import precheck
from .schedule import check_routes, evaluate_route


def solve(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    initial: Solution | None = None,
    whole_call: bool = False,
) -> Solution:
    """Plan the routes of ``problem``.

    Objective, in strict order: serve as many required stops, then as many stops as possible;
    use as few vehicles as possible; then least total travel (``Problem.objective``: travel time
    or distance; plus the vehicles' ``fixed_cost``).

    * ``time_limit`` - seconds of search (wall clock; a little is added for setup and decoding).
    * ``seed`` - random seed.  With ``max_iterations`` set (and a ``time_limit`` generous enough
      not to bind first) the result is deterministic for a seed.  With only a time limit the
      number of iterations, hence the result, depends on the machine's speed and load.
    * ``max_iterations`` - total search iterations over all phases.
    * ``progress`` - called with a ``Progress`` every time the best plan improves.
    * ``initial`` - a previous solution to start from (warm start); its routes are reused for
      the vehicles and stops that still exist.
    * ``whole_call`` - ``time_limit`` bounds the whole call, not the search alone: the time
      spent translating the problem and a reserve for decoding the answer come out of it (how
      a real day keeps its promise; the benchmark gives the search its full limit).

    Stops that no vehicle can serve even alone are not sent to the engine and come back in
    ``Solution.unassigned`` with a precise ``Reason``; stops that could be served alone but are
    left out come back with ``Reason.NOT_ROUTED``.
    """
    entered = time.perf_counter()
    if not problem.vehicles:
        return _nobody_to_plan_for(problem)
    im = IntModel(problem)
    pre = precheck(problem, im)
    ids = [s.id for s in problem.stops if s.id in pre.candidates]
    built = build(problem, im, ids)
    if whole_call:
        setup = time.perf_counter() - entered
        time_limit = max(0.0, time_limit - setup - decode_reserve(len(ids)))
    budget = _Budget(time_limit, max_iterations)

    def report(plan: Plan) -> None:
        assert progress is not None
        routes = []
        for t, visits in plan:
            if visits:
                vehicle = built.types[t][0]  # vehicles of one type are identical
                stops = [built.clients[c] for c in visits]
                routes.append(evaluate_route(problem, vehicle, stops)[0])
        served = sum(len(r.visits) for r in routes)
        sol = _to_solution(built, plan)
        progress(
            Progress(
                elapsed=budget.elapsed(),
                served=served,
                unserved=len(problem.stops) - served,
                vehicles=len(routes),
                distance=sum(r.distance for r in routes),
                duration=sum(r.duration for r in routes),
                cost=int(sol.distance_cost() + sol.fixed_vehicle_cost()),
            )
        )

    search = Search(built, budget, seed, report if progress else None)
    search.run(_initial_plan(built, initial))
    return decode(problem, built, im, search.best, pre.reasons, budget, initial)


def decode_reserve(stops: int) -> float:
    """Seconds kept for reading the engine's answer back and re-checking it (about 0.1 s and
    0.3 ms a stop measured on a 1,000-stop day), and for PyVRP stopping a little after its
    limit (each phase's first local search runs to its end: a few tenths of a second on
    1,000 stops)."""
    return 0.1 + 0.001 * stops


def _nobody_to_plan_for(problem: Problem) -> Solution:
    """No vehicle at all (everyone away, or the last one dropped out): every stop is left out
    with its reason, and the engine, which needs a vehicle, is not asked."""
    unassigned = tuple(
        Unassigned(s.id, Reason.PINNED_VEHICLE_UNAVAILABLE if s.vehicle_id is not None
                   else Reason.NO_VEHICLE_IN_WINDOW)
        for s in problem.stops
    )
    objective = Objective(served=0, served_required=0, unserved=len(unassigned), vehicles=0,
                          distance=0.0, duration=0.0, travel_time=0.0, cost=0)
    return Solution(routes=(), unassigned=unassigned, objective=objective, feasible=True)


def _to_solution(built: Built, plan: Plan) -> pyvrp.Solution:
    data = built.data
    return pyvrp.Solution(data, [pyvrp.Route(data, v, t) for t, v in plan if v])


def _initial_plan(built: Built, initial: Solution | None) -> Plan | None:
    if initial is None:
        return None
    client = {s.id: i for i, s in enumerate(built.clients)}
    type_of = {v.id: t for t, vs in enumerate(built.types) for v in vs}
    plan: Plan = []
    used: set[int] = set()
    for r in initial.routes:
        if r.vehicle_id not in type_of:
            continue
        visits = [client[s] for s in r.stop_ids if s in client and client[s] not in used]
        used.update(visits)
        if visits:
            plan.append((type_of[r.vehicle_id], visits))
    return plan


def _assign_vehicles(built: Built, plan: Plan, initial: Solution | None) -> list[str]:
    """Vehicle id for each route: identical vehicles share a PyVRP type, so pick, within the
    type, the vehicle whose previous route (``initial``) shares the most stops."""
    previous = initial.assignment() if initial is not None else {}
    result: list[str | None] = [None] * len(plan)
    for t, vehicles in enumerate(built.types):
        idx = [i for i, (tt, _) in enumerate(plan) if tt == t]
        pairs = []
        for i in idx:
            counts: dict[str, int] = {}
            for c in plan[i][1]:
                vid = previous.get(built.clients[c].id)
                if vid is not None:
                    counts[vid] = counts.get(vid, 0) + 1
            for pos, v in enumerate(vehicles):
                pairs.append((-counts.get(v.id, 0), i, pos))
        free = set(range(len(vehicles)))
        for _, i, pos in sorted(pairs):
            if result[i] is None and pos in free:
                result[i] = vehicles[pos].id
                free.discard(pos)
    return [r for r in result if r is not None]


def decode(
    problem: Problem,
    built: Built,
    im: IntModel,
    plan: Plan,
    reasons: dict[str, Reason],
    budget: _Budget,
    initial: Solution | None = None,
) -> Solution:
    plan = [(t, v) for t, v in plan if v]
    data = built.data
    vehicle_ids = _assign_vehicles(built, plan, initial)
    routes: list[Route] = []
    violations: list[str] = []
    cost = 0
    for (t, visits), vid in zip(plan, vehicle_ids, strict=True):
        pr = pyvrp.Route(data, visits, t)
        cost += pr.distance_cost() + pr.fixed_vehicle_cost()
        if not pr.is_feasible():
            violations.append(f"{vid}: engine route infeasible")
        vehicle = problem.vehicle(vid)
        stops = [built.clients[c] for c in visits]
        route, errs = evaluate_route(problem, vehicle, stops, pr.start_time() / im.ts)
        violations += errs
        routes.append(route)
    order = {v.id: i for i, v in enumerate(problem.vehicles)}
    routes.sort(key=lambda r: order[r.vehicle_id])
    violations += check_routes(problem, routes) if not violations else []
    served = {sid for r in routes for sid in r.stop_ids}
    unassigned = [
        Unassigned(s.id, reasons.get(s.id, Reason.NOT_ROUTED))
        for s in problem.stops
        if s.id not in served
    ]
    objective = Objective.of(problem.stops, routes, len(unassigned), cost=int(cost))
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        objective=objective,
        feasible=not violations,
        seconds=budget.elapsed(),
        iterations=budget.iterations,
        violations=tuple(violations),
    )
