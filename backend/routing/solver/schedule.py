"""Float (real-valued) evaluation of routes: times, loads and every constraint.

This is independent of the engine: the solver uses it to report expected times and to re-check
the plan PyVRP returns with real travel times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .model import Problem, Route, Stop, Vehicle, Visit
from .precheck import compatible

EPS = 1e-6


def evaluate_route(
    problem: Problem, vehicle: Vehicle, stops: Sequence[Stop], departure: float | None = None
) -> tuple[Route, list[str]]:
    """Schedule ``stops`` on ``vehicle`` leaving at ``departure`` (default: shift start).

    Returns the route and the list of violated constraints (empty when feasible).
    """
    problems: list[str] = []
    dep = vehicle.shift_start if departure is None else max(departure, vehicle.shift_start)
    load = vehicle.initial_load + sum(s.delivery for s in stops)
    start_load = load
    if load > vehicle.capacity:
        problems.append(f"{vehicle.id}: load {load} > capacity {vehicle.capacity} at start")
    if vehicle.max_stops is not None and len(stops) > vehicle.max_stops:
        problems.append(f"{vehicle.id}: {len(stops)} stops > max_stops {vehicle.max_stops}")
    t = dep
    here = vehicle.start_location
    distance = travel = 0.0
    visits: list[Visit] = []
    for s in stops:
        if not compatible(s, vehicle):
            problems.append(f"{vehicle.id}: may not serve {s.id} (language or pin)")
        leg = problem.duration(vehicle, here, s.location)
        if not math.isfinite(leg):
            problems.append(f"{vehicle.id}: {s.id} unreachable")
        arrival = t + leg
        begin = max(arrival, s.earliest)
        if begin > s.latest + EPS:
            problems.append(f"{vehicle.id}: {s.id} starts at {begin:.3f} > latest {s.latest}")
        t = begin + s.service_time
        load += s.pickup - s.delivery
        if load > vehicle.capacity:
            problems.append(f"{vehicle.id}: load {load} > capacity after {s.id}")
        visits.append(Visit(s.id, arrival, begin, t, load))
        distance += problem.distance(vehicle, here, s.location)
        travel += leg
        here = s.location
    leg = problem.duration(vehicle, here, vehicle.end_location)
    end = t + leg
    travel += leg
    distance += problem.distance(vehicle, here, vehicle.end_location)
    if not math.isfinite(end):
        problems.append(f"{vehicle.id}: end location unreachable")
    elif end > vehicle.shift_end + EPS:
        problems.append(f"{vehicle.id}: ends at {end:.3f} > shift end {vehicle.shift_end}")
    route = Route(
        vehicle_id=vehicle.id,
        visits=tuple(visits),
        departure=dep,
        end=end,
        distance=distance,
        duration=end - dep,
        travel_time=travel,
        start_load=start_load,
    )
    return route, problems


def check_routes(problem: Problem, routes: Sequence[Route]) -> list[str]:
    """Re-check whole routes (each stop at most once, known ids, every route constraint)."""
    problems: list[str] = []
    seen: set[str] = set()
    stops = {s.id: s for s in problem.stops}
    vehicles = {v.id: v for v in problem.vehicles}
    used: set[str] = set()
    for r in routes:
        if r.vehicle_id not in vehicles:
            problems.append(f"unknown vehicle {r.vehicle_id}")
            continue
        if r.vehicle_id in used:
            problems.append(f"vehicle {r.vehicle_id} has two routes")
        used.add(r.vehicle_id)
        route_stops = []
        for sid in r.stop_ids:
            if sid not in stops:
                problems.append(f"unknown stop {sid}")
                continue
            if sid in seen:
                problems.append(f"stop {sid} served twice")
            seen.add(sid)
            route_stops.append(stops[sid])
        _, errs = evaluate_route(problem, vehicles[r.vehicle_id], route_stops, r.departure)
        problems += errs
    return problems
