"""A real day (our ``Problem``) given to vroom and to OR-Tools, for side-by-side figures.

``peers.py`` does the same for Solomon files; this module translates the whole day model:

* **travel** - each volunteer's own profile (durations, seconds); the cost of travel is its
  duration, as in our planner (``objective="duration"``).  Times are rounded as our integer
  model does: travel and service up, window ends down, so a peer's plan holds with real times.
  Unreachable pairs become a duration longer than any shift.
* **windows** - a stop's window is for the start of service; a volunteer's shift bounds the
  departure and the return.
* **bag** - simultaneous delivery and pickup: what is handed over leaves the start on board,
  what is collected rides to the end; the load is checked at every point.  ``max_stops`` is a
  second dimension where every stop counts one.
* **languages and pins as skills** - a stop may only go to a volunteer who speaks one of its
  languages (and to its pinned volunteer): vroom gets one skill per distinct requirement that
  the volunteers able to meet it carry; OR-Tools gets the allowed volunteers of each stop.
* **priorities** - every stop is worth more than any number of volunteers, a required stop more
  than all optional ones (vroom: priority 100 against 0, and it serves as many as it can first;
  OR-Tools: prizes as penalties for leaving a stop out).
* **costs** - a fixed cost per volunteer used larger than any total of travel (fewest
  volunteers first), plus the volunteer's own ``fixed_cost``.

Not translated: ``initial_load`` and ``preferred_vehicle`` (re-planning only).

Each peer's routes come back as our ``Solution``, re-scheduled and checked by ``schedule``
(real times, loads, windows, shifts, languages, each stop once), the same check our own plans
pass.  ``check.py`` reads Solomon files and does not apply to a real day.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from .model import Objective, Problem, Reason, Route, Solution, Stop, Unassigned, Vehicle
from .precheck import compatible
from .schedule import check_routes, evaluate_route

PRIORITY_REQUIRED = 100


def _durations(problem: Problem) -> tuple[dict[str, np.ndarray], int]:
    """Integer duration matrix of every profile (seconds, rounded up) and the value that
    stands for "unreachable"."""
    finite_ends = [v.shift_end for v in problem.vehicles if math.isfinite(v.shift_end)]
    finite_ends += [s.latest for s in problem.stops if math.isfinite(s.latest)]
    horizon = math.ceil(max(finite_ends, default=86400.0))
    mats: dict[str, np.ndarray] = {}
    biggest = 0
    for p in problem.profiles:
        m = np.array([[np.nan if x is None else float(x) for x in row] for row in p.durations],
                     dtype=float)
        bad = ~np.isfinite(m) | (m < 0)
        m = np.ceil(np.where(bad, 0, m)).astype(np.int64)
        biggest = max(biggest, int(m.max(initial=0)))
        mats[p.name] = (m, bad)
    unreachable = max(horizon, biggest) * 4 + 1
    out = {}
    for name, (m, bad) in mats.items():
        m[bad] = unreachable
        np.fill_diagonal(m, 0)
        out[name] = m
    return out, unreachable


def _big_fixed(mats: dict[str, np.ndarray], unreachable: int, stops: int) -> int:
    """A fixed cost per vehicle larger than the travel of any plan."""
    reach = [int(m[m < unreachable].max(initial=0)) for m in mats.values()]
    return max(reach, default=0) * (stops + 1) + 1


def _window(stop: Stop) -> tuple[int, int | None]:
    latest = math.floor(stop.latest) if math.isfinite(stop.latest) else None
    return math.ceil(stop.earliest), latest


def _shift(vehicle: Vehicle, horizon: int) -> tuple[int, int]:
    end = math.floor(vehicle.shift_end) if math.isfinite(vehicle.shift_end) else horizon
    return math.ceil(vehicle.shift_start), end


def to_solution(problem: Problem, assignment: dict[str, list[str]], seconds: float) -> Solution:
    """A peer's routes (``{vehicle id: [stop ids in order]}``) as our ``Solution``: every
    route re-scheduled from the volunteer's shift start and checked with real times."""
    stops = {s.id: s for s in problem.stops}
    routes: list[Route] = []
    violations: list[str] = []
    for vehicle in problem.vehicles:
        ids = assignment.get(vehicle.id)
        if not ids:
            continue
        route, errs = evaluate_route(problem, vehicle, [stops[i] for i in ids if i in stops])
        routes.append(route)
        violations += errs
    violations += check_routes(problem, routes)
    served = {sid for r in routes for sid in r.stop_ids}
    unassigned = tuple(Unassigned(s.id, Reason.NOT_ROUTED) for s in problem.stops
                       if s.id not in served)
    objective = Objective.of(problem.stops, routes, len(unassigned))
    return Solution(routes=tuple(routes), unassigned=unassigned, objective=objective,
                    feasible=not violations, seconds=seconds,
                    violations=tuple(dict.fromkeys(violations)))


def solve_vroom(problem: Problem, time_limit: float) -> Solution:
    import vroom

    started = time.perf_counter()
    mats, unreachable = _durations(problem)
    horizon = unreachable - 1
    inp = vroom.Input()
    for name, m in mats.items():
        inp.set_durations_matrix(name, m)
        inp.set_costs_matrix(name, m)
    fixed = _big_fixed(mats, unreachable, len(problem.stops))
    # One skill per distinct requirement (a set of languages, a pin): a vehicle carries it
    # when it may serve such a stop, since vroom asks for all of a job's skills.
    needs: dict[tuple, int] = {}

    def need(stop: Stop) -> tuple:
        return (tuple(sorted(stop.languages)), stop.vehicle_id)

    for s in problem.stops:
        if s.languages or s.vehicle_id is not None:
            needs.setdefault(need(s), len(needs) + 1)
    limited = any(v.max_stops is not None for v in problem.vehicles)
    for k, v in enumerate(problem.vehicles):
        skills = {
            skill for (languages, pin), skill in needs.items()
            if compatible(Stop("probe", 0, languages=frozenset(languages), vehicle_id=pin), v)
        }
        capacity = [v.capacity] + ([v.max_stops if v.max_stops is not None else
                                    len(problem.stops)] if limited else [])
        inp.add_vehicle(vroom.Vehicle(
            k + 1, start=v.start_location, end=v.end_location, profile=v.profile,
            capacity=capacity, skills=skills or None, time_window=_shift(v, horizon),
            max_tasks=v.max_stops if v.max_stops is not None else len(problem.stops),
            costs=vroom.VehicleCosts(fixed=fixed + max(0, round(v.fixed_cost)))))
    for i, s in enumerate(problem.stops):
        earliest, latest = _window(s)
        extra = [1] if limited else []
        inp.add_job(vroom.Job(
            i + 1, location=s.location, default_service=math.ceil(s.service_time),
            delivery=[s.delivery, *extra], pickup=[s.pickup, *([0] if limited else [])],
            skills={needs[need(s)]} if need(s) in needs else None,
            priority=PRIORITY_REQUIRED if s.required else 0,
            time_windows=[(earliest, latest if latest is not None else horizon)]))
    sol = inp.solve(exploration_level=5, nb_threads=1,
                    timeout=datetime.timedelta(seconds=max(time_limit, 0.001)))
    assignment: dict[str, list[str]] = {}
    df = sol.routes
    for vid, typ, jid in zip(df["vehicle_id"], df["type"], df["id"], strict=True):
        if typ == "job":
            vehicle = problem.vehicles[int(vid) - 1].id
            assignment.setdefault(vehicle, []).append(problem.stops[int(jid) - 1].id)
    return to_solution(problem, assignment, time.perf_counter() - started)


def solve_ortools(problem: Problem, time_limit: float) -> Solution:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    mats, unreachable = _durations(problem)
    horizon = unreachable - 1
    vehicles = list(problem.vehicles)
    stops = list(problem.stops)
    depots = sorted({v.start_location for v in vehicles} | {v.end_location for v in vehicles})
    node_of_depot = {loc: i for i, loc in enumerate(depots)}
    locs = depots + [s.location for s in stops]
    nd = len(depots)
    service = [0] * nd + [math.ceil(s.service_time) for s in stops]
    manager = pywrapcp.RoutingIndexManager(
        len(locs), len(vehicles), [node_of_depot[v.start_location] for v in vehicles],
        [node_of_depot[v.end_location] for v in vehicles])
    routing = pywrapcp.RoutingModel(manager)
    node = manager.IndexToNode
    idx = np.array(locs, dtype=np.int64)
    travel = {name: m[np.ix_(idx, idx)].tolist() for name, m in mats.items()}

    def arc(m: list[list[int]]) -> Callable[[int, int], int]:
        return lambda i, j: m[node(i)][node(j)]

    def busy(m: list[list[int]]) -> Callable[[int, int], int]:
        return lambda i, j: m[node(i)][node(j)] + service[node(i)]

    cost_cb = {name: routing.RegisterTransitCallback(arc(m)) for name, m in travel.items()}
    time_cb = {name: routing.RegisterTransitCallback(busy(m)) for name, m in travel.items()}
    fixed = _big_fixed(mats, unreachable, len(stops))
    for k, v in enumerate(vehicles):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[v.profile], k)
        routing.SetFixedCostOfVehicle(fixed + max(0, round(v.fixed_cost)), k)
    routing.AddDimensionWithVehicleTransits(
        [time_cb[v.profile] for v in vehicles], horizon, horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for k, v in enumerate(vehicles):
        start, end = _shift(v, horizon)
        clock.CumulVar(routing.Start(k)).SetRange(start, end)
        clock.CumulVar(routing.End(k)).SetRange(start, end)

    # The bag: "out" counts what was handed over so far; "bag" is what is on board, starting
    # with everything the route hands over (the end of "out") and changing by pickup - delivery.
    delivery = [0] * nd + [s.delivery for s in stops]
    change = [0] * nd + [s.pickup - s.delivery for s in stops]
    total_out = sum(delivery)
    out_cb = routing.RegisterUnaryTransitCallback(lambda i: delivery[node(i)])
    bag_cb = routing.RegisterUnaryTransitCallback(lambda i: change[node(i)])
    routing.AddDimension(out_cb, 0, total_out + 1, True, "out")
    routing.AddDimensionWithVehicleCapacity(bag_cb, 0, [v.capacity for v in vehicles], False,
                                            "bag")
    out = routing.GetDimensionOrDie("out")
    bag = routing.GetDimensionOrDie("bag")
    for k in range(len(vehicles)):
        routing.solver().Add(bag.CumulVar(routing.Start(k)) == out.CumulVar(routing.End(k)))
    if any(v.max_stops is not None for v in vehicles):
        one = [0] * nd + [1] * len(stops)
        count_cb = routing.RegisterUnaryTransitCallback(lambda i: one[node(i)])
        routing.AddDimensionWithVehicleCapacity(
            count_cb, 0, [len(stops) if v.max_stops is None else v.max_stops for v in vehicles],
            True, "stops")

    prize = fixed * (len(vehicles) + 1)
    prize_required = prize * (len(stops) + 1)
    for c, s in enumerate(stops):
        index = manager.NodeToIndex(nd + c)
        earliest, latest = _window(s)
        clock.CumulVar(index).SetRange(earliest, horizon if latest is None else latest)
        allowed = [k for k, v in enumerate(vehicles) if compatible(s, v)]
        routing.VehicleVar(index).SetValues([-1, *allowed])
        routing.AddDisjunction([index], prize_required if s.required else prize)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    left = time_limit - (time.perf_counter() - started)
    params.time_limit.FromMilliseconds(max(1, int(left * 1000)))
    sol = routing.SolveWithParameters(params)
    assignment: dict[str, list[str]] = {}
    if sol is not None:
        for k, v in enumerate(vehicles):
            index = sol.Value(routing.NextVar(routing.Start(k)))
            while not routing.IsEnd(index):
                assignment.setdefault(v.id, []).append(stops[node(index) - nd].id)
                index = sol.Value(routing.NextVar(index))
    return to_solution(problem, assignment, time.perf_counter() - started)


DAY_PEERS: dict[str, Callable[[Problem, float], Solution]] = {
    "vroom": solve_vroom,
    "ortools": solve_ortools,
}


def missing(names: Sequence[str]) -> list[str]:
    """The peers among ``names`` whose library is not installed."""
    modules = {"vroom": "vroom", "ortools": "ortools"}
    absent = []
    for name in names:
        try:
            __import__(modules[name])
        except ImportError:
            absent.append(name)
    return absent
