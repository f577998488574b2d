"""Re-planning during the day: a volunteer drops out, stops are added or cancelled.

Stops already finished or started are *locked*: they must be a prefix of their previous route
and stay there, on the same vehicle, in the same order, with their planned times.  This is
modelled by moving the vehicle's start to the location of its last locked stop at the time it
leaves it (and carrying the items collected so far as ``initial_load``); the rest of the day is
solved again, warm-started from the previous routes, with a ``reassign_cost`` for serving a stop
with a different vehicle than before so that the new plan moves as little as possible.

Note: the model assumes the books of a stop moved to another vehicle can be handed over (the
plan does not model a transfer between volunteers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from .model import Objective, Problem, Progress, Route, Solution, Stop, Unassigned, Vehicle
from .schedule import check_routes, evaluate_route
from .solve import solve

DEFAULT_REASSIGN_COST = 600.0


@dataclass(frozen=True)
class Move:
    stop_id: str
    from_vehicle: str
    to_vehicle: str


@dataclass(frozen=True)
class Diff:
    """What changed between the previous and the new plan.

    * ``moved`` - stops served in both plans, by different vehicles;
    * ``added`` - new stops (``added_stops``) that are now served;
    * ``removed`` - cancelled stops (``removed_stops``);
    * ``unserved`` - stops of the new problem that are not served, with reasons;
    * ``newly_unserved`` - stops served before that are not served any more;
    * ``resequenced`` - vehicles (in both plans) whose order of kept stops changed.
    """

    moved: tuple[Move, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unserved: tuple[Unassigned, ...]
    newly_unserved: tuple[str, ...]
    resequenced: tuple[str, ...]


@dataclass(frozen=True)
class Replan:
    problem: Problem
    """The updated full problem (removed vehicles/stops gone, added stops in)."""
    solution: Solution
    diff: Diff


def replan(
    problem: Problem,
    previous: Solution,
    *,
    removed_vehicles: Iterable[str] = (),
    locked: Iterable[str] = (),
    added_stops: Sequence[Stop] = (),
    removed_stops: Iterable[str] = (),
    time_limit: float,
    seed: int = 0,
    max_iterations: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    reassign_cost: float = DEFAULT_REASSIGN_COST,
    whole_call: bool = False,
) -> Replan:
    """Re-plan ``problem`` (the problem ``previous`` was planned for) after changes.

    ``locked`` stop ids must each be a prefix of their route in ``previous``; a removed vehicle
    keeps its locked prefix (work already done) and loses the rest.  ``reassign_cost`` is in
    objective units (seconds of travel, or distance) per stop moved to another vehicle.
    """
    removed_vehicles = set(removed_vehicles)
    removed_ids = set(removed_stops)
    locked = set(locked)
    unknown = removed_vehicles - {v.id for v in problem.vehicles}
    if unknown:
        raise ValueError(f"unknown vehicles {sorted(unknown)}")
    prefixes = _locked_prefixes(previous, locked)
    if locked & removed_ids:
        raise ValueError("a locked stop cannot be removed")

    # The updated full problem.
    stops = [s for s in problem.stops if s.id not in removed_ids] + list(added_stops)
    vehicles = [v for v in problem.vehicles if v.id not in removed_vehicles]
    full = replace(problem, stops=stops, vehicles=vehicles)
    stop_by_id = {s.id: s for s in stops}

    # The rest of the day: vehicles start after their locked prefix.
    prev_assignment = previous.assignment()
    sub_vehicles = []
    for v in vehicles:
        prefix = prefixes.get(v.id)
        if prefix:
            route = previous.route(v.id)
            assert route is not None
            last = route.visits[len(prefix) - 1]
            v = replace(
                v,
                start_location=stop_by_id[last.stop_id].location,
                shift_start=max(last.departure, v.shift_start),
                initial_load=v.initial_load + sum(stop_by_id[s].pickup for s in prefix),
                max_stops=None if v.max_stops is None else max(0, v.max_stops - len(prefix)),
            )
        sub_vehicles.append(v)
    sub_stops = [
        replace(s, preferred_vehicle=prev_assignment.get(s.id, s.preferred_vehicle))
        for s in stops
        if s.id not in locked
    ]
    sub = replace(
        problem,
        stops=sub_stops,
        vehicles=sub_vehicles,
        reassign_cost=max(problem.reassign_cost, reassign_cost),
    )
    warm = _warm_start(sub, previous, locked)
    result = solve(
        sub,
        time_limit=time_limit,
        seed=seed,
        max_iterations=max_iterations,
        progress=progress,
        initial=warm,
        whole_call=whole_call,
    )

    # Merge locked prefixes and new routes, re-evaluated on the full problem.
    routes: list[Route] = []
    violations = list(result.violations)
    for v in problem.vehicles:
        prefix = prefixes.get(v.id, [])
        new = result.route(v.id)
        rest = new.stop_ids if new is not None else []
        if not prefix and not rest:
            continue
        if v.id in removed_vehicles:
            rest = []
        before = previous.route(v.id)
        source = before if prefix else new
        assert source is not None
        departure = source.departure
        ids = list(prefix) + list(rest)
        route, errs = evaluate_route(
            problem if v.id in removed_vehicles else full,
            v,
            [stop_by_id.get(s) or problem.stop(s) for s in ids],
            departure,
        )
        violations += errs
        routes.append(route)
    violations += check_routes(replace(full, vehicles=list(problem.vehicles)), routes)
    served = {s for r in routes for s in r.stop_ids}
    unserved = tuple(u for u in result.unassigned if u.stop_id not in served)
    objective = Objective.of(
        stops, routes, len(unserved), cost=result.objective.cost,
        vehicles=sum(1 for r in routes if r.vehicle_id not in removed_vehicles))
    solution = Solution(
        routes=tuple(routes),
        unassigned=unserved,
        objective=objective,
        feasible=not violations,
        seconds=result.seconds,
        iterations=result.iterations,
        violations=tuple(dict.fromkeys(violations)),
    )
    return Replan(full, solution, diff(previous, solution, added_stops, removed_ids))


def _locked_prefixes(previous: Solution, locked: set[str]) -> dict[str, list[str]]:
    prefixes: dict[str, list[str]] = {}
    found: set[str] = set()
    for r in previous.routes:
        ids = r.stop_ids
        k = 0
        while k < len(ids) and ids[k] in locked:
            k += 1
        if any(s in locked for s in ids[k:]):
            raise ValueError(f"locked stops of {r.vehicle_id} are not a prefix of its route")
        if k:
            prefixes[r.vehicle_id] = ids[:k]
            found.update(ids[:k])
    missing = locked - found
    if missing:
        raise ValueError(f"locked stops not in the previous plan: {sorted(missing)}")
    return prefixes


def _warm_start(sub: Problem, previous: Solution, locked: set[str]) -> Solution:
    """The previous routes without locked stops, as a starting plan for ``sub``."""
    vehicles: dict[str, Vehicle] = {v.id: v for v in sub.vehicles}
    stops = {s.id: s for s in sub.stops}
    routes = []
    for r in previous.routes:
        if r.vehicle_id not in vehicles:
            continue
        rest = [stops[s] for s in r.stop_ids if s not in locked and s in stops]
        if rest:
            route, _ = evaluate_route(sub, vehicles[r.vehicle_id], rest)
            routes.append(route)
    return replace(previous, routes=tuple(routes), unassigned=())


def diff(
    previous: Solution,
    new: Solution,
    added_stops: Sequence[Stop] = (),
    removed_stops: Iterable[str] = (),
) -> Diff:
    before = previous.assignment()
    after = new.assignment()
    moved = tuple(
        Move(s, before[s], after[s]) for s in before if s in after and before[s] != after[s]
    )
    added = tuple(s.id for s in added_stops if s.id in after)
    removed = tuple(s for s in removed_stops if s in before or previous.reason(s) is not None)
    newly_unserved = tuple(s for s in before if s not in after and s not in set(removed))
    resequenced = []
    for r in new.routes:
        old = previous.route(r.vehicle_id)
        if old is None:
            continue
        common = set(old.stop_ids) & set(r.stop_ids)
        if [s for s in old.stop_ids if s in common] != [s for s in r.stop_ids if s in common]:
            resequenced.append(r.vehicle_id)
    return Diff(
        moved=moved,
        added=added,
        removed=removed,
        unserved=new.unassigned,
        newly_unserved=newly_unserved,
        resequenced=tuple(resequenced),
    )
