"""Every change to day plans, routes and stops.

Planning runs the solver outside any transaction (it can take a while); writing its answer
is one transaction with the plan row locked, so two coordinators cannot overwrite each
other's plan half-way."""
from __future__ import annotations

import dataclasses
import datetime
import functools
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.core import dates
from backend.core.exceptions import ApplicationError, ConflictError
from backend.orders import services as order_services
from backend.orders.models import OrderStatus
from backend.routing import messages as routing_messages
from backend.routing import solver
from backend.routing.deadline import Deadline, write_reserve
from backend.routing.models import (
    DayPlan,
    PlanRevision,
    PlanStatus,
    Route,
    RouteChange,
    RouteStatus,
    SolveStatus,
    Stop,
    StopStatus,
    UnservedReason,
)
from backend.routing.problem import Built, build_problem
from backend.routing.solver.replan import replan as solver_replan
from backend.routing.solver.schedule import evaluate_route
from backend.routing.stop_actions import (  # noqa: F401 (named here for their callers)
    _lock_stop,
    route_finish,
    route_start,
    stop_arrive,
    stop_complete,
    stop_fail,
)
from backend.routing.stops import plan_collect_stops, write_stop_places

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.branches.models import Branch
    from backend.volunteers.models import Volunteer

LOCKED_STATUSES = (StopStatus.ARRIVED, StopStatus.COMPLETED, StopStatus.FAILED)
DEFAULT_TIME_LIMIT = 10.0


def plan_get_or_create(*, branch: Branch, date: datetime.date, by: User | None = None) -> DayPlan:
    """The branch's plan for the day; a new one only within a year of today."""
    existing = DayPlan.objects.filter(branch=branch, date=date).first()
    if existing is not None:
        return existing
    dates.require(dates.PLAN_DAY, date, field="date")
    plan, _created = DayPlan.objects.get_or_create(branch=branch, date=date,
                                                   defaults={"created_by": by})
    return plan


def _progress_writer(plan: DayPlan) -> Callable[[solver.Progress], None]:
    """Store the solver's progress on the plan at most twice a second."""
    last = [0.0]

    def write(progress: solver.Progress) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5:
            return
        last[0] = now
        DayPlan.objects.filter(pk=plan.pk).update(progress={
            "elapsed": round(progress.elapsed, 1), "served": progress.served,
            "unserved": progress.unserved, "volunteers": progress.vehicles,
            "travel_minutes": round(progress.duration / 60),
        })

    return write


def _set_solve_status(plan: DayPlan, status: str, **extra: Any) -> None:
    DayPlan.objects.filter(pk=plan.pk).update(solve_status=status, **extra)
    plan.solve_status = status


def _previous_solution(built: Built) -> solver.Solution:
    """The routes as they are in the database, scheduled by the solver's own rules."""
    problem = built.problem
    vehicles = {v.id: v for v in problem.vehicles}
    stops = {s.id: s for s in problem.stops}
    routes = []
    for route in built.plan.routes.all():
        vid = str(route.volunteer_id)
        if vid not in vehicles:
            continue
        sequence = [str(s.pk) for s in sorted(route.stops.all(), key=lambda s: s.sequence)
                    if str(s.pk) in stops]
        if sequence:
            routes.append(evaluate_route(problem, vehicles[vid], [stops[i] for i in sequence])[0])
    empty = solver.Objective(served=0, served_required=0, unserved=0, vehicles=len(routes),
                             distance=0, duration=0, travel_time=0, cost=0)
    return solver.Solution(routes=tuple(routes), unassigned=(), objective=empty, feasible=True)


def _record(route: Route, kind: str, stop: Stop | None = None, *, tell: bool = True,
            **data: Any) -> None:
    if route.status == RouteStatus.DRAFT:
        return  # nobody sees a draft: nothing to tell the app
    RouteChange.objects.create(route=route, stop=stop, volunteer_id=route.volunteer_id,
                               kind=kind, data=data)
    if tell:  # a published revision says it in one message of its own (routing.revisions)
        routing_messages.on_route_changed(route, kind)


def _solver_timing(deadline: Deadline, built: Built) -> dict[str, float]:
    """The solver's share of the request's time: what is left once the problem is built,
    less a reserve for writing the routes (`routing.deadline`)."""
    reserve = write_reserve(len(built.stops) + len(built.without_coordinates))
    return {"limit": deadline.seconds, "before_solver": round(deadline.elapsed(), 3),
            "write_reserve": round(reserve, 3),
            "solver_budget": round(deadline.budget(reserve=reserve), 3)}


def _figures(built: Built, solution: solver.Solution, seconds_taken: float,
             timing: dict[str, float] | None = None) -> dict[str, Any]:
    objective = solution.objective
    extra = {"timing": timing} if timing is not None else {}
    return {**extra,
        "stops": len(built.stops) + len(built.without_coordinates),
        "served": objective.served,
        "unserved": objective.unserved + len(built.without_coordinates),
        "volunteers": objective.vehicles,
        "volunteers_free": len(built.volunteers),
        "travel_minutes": round(objective.travel_time / 60),
        "distance_km": round(objective.distance / 1000, 1) if objective.distance else 0,
        "seconds": round(seconds_taken, 1),
        "feasible": solution.feasible,
        "warnings": built.warnings,
    }


def keep_locked_stops(built: Built, solution: solver.Solution) -> None:
    """Finished and started stops never move: refuse an answer that would move one."""
    where = {sid: r.vehicle_id for r in solution.routes for sid in r.stop_ids}
    for sid, stop in built.stops.items():
        if stop.status in LOCKED_STATUSES and stop.route_id is not None and \
                where.get(sid) != str(stop.route.volunteer_id):
            raise ConflictError("revision.locked_stop_moved",
                                _("A stop already started or done would move; plan again."))


def _revision_store(*, plan: DayPlan, built: Built, solution: solver.Solution,
                    figures: dict[str, Any], by=None) -> dict[str, Any]:
    """Keep the planner's answer for a published day as its draft revision (one a day: a
    new re-plan replaces it); the published routes are not touched (routing.revisions)."""
    keep_locked_stops(built, solution)
    PlanRevision.objects.update_or_create(
        plan=plan, defaults={"solution": dataclasses.asdict(solution), "figures": figures,
                             "seconds": figures.get("seconds", 0), "created_by": by})
    _set_solve_status(plan, SolveStatus.DONE)
    return {**figures, "revision": True}


def _written(deadline: Deadline | None, timing: dict[str, float] | None) -> dict | None:
    if deadline is None or timing is None:
        return timing
    return {**timing, "written": round(deadline.elapsed(), 3)}


@transaction.atomic
def _apply(built: Built, solution: solver.Solution, *, by=None, seconds_taken: float = 0.0,
           over_published: bool = False, deadline: Deadline | None = None,
           timing: dict[str, float] | None = None) -> dict[str, Any]:
    """Write the solver's answer: routes, sequences, expected times, reasons. On a
    published day the answer becomes a draft revision instead (routing.revisions): the
    volunteers' routes change only when the coordinator publishes it (`over_published`).
    With a `deadline`, the figures say when the routes were written (`timing.written`,
    seconds from the request, just before the commit)."""
    plan = DayPlan.objects.select_for_update().get(pk=built.plan.pk)
    published = plan.status == PlanStatus.PUBLISHED
    record = functools.partial(_record, tell=not over_published)
    if published and not over_published:
        return _revision_store(plan=plan, built=built, solution=solution, by=by,
                              figures=_figures(built, solution, seconds_taken,
                                               _written(deadline, timing)))
    routes = {r.volunteer_id: r for r in plan.routes.select_for_update()}
    before = {s.pk: (s.route_id, s.sequence) for s in built.stops.values()}
    touched: list[Stop] = []
    used: set[int] = set()
    for sroute in solution.routes:
        volunteer = built.volunteers[sroute.vehicle_id]
        route = routes.get(volunteer.pk)
        if route is None:
            route = Route.objects.create(
                plan=plan, volunteer=volunteer,
                status=RouteStatus.PUBLISHED if published else RouteStatus.DRAFT,
            )
            routes[volunteer.pk] = route
            record(route, RouteChange.Kind.PUBLISHED)
        used.add(volunteer.pk)
        route.departure = built.at(sroute.departure)
        route.end = built.at(sroute.end)
        route.distance_m = round(sroute.distance)
        route.duration_s = round(sroute.duration)
        route.travel_s = round(sroute.travel_time)
        route.max_load = sroute.max_load
        route.version += 1
        route.save()
        for position, visit in enumerate(sroute.visits, start=1):
            stop = built.stops[visit.stop_id]
            old_route, old_sequence = before[stop.pk]
            stop.route = route
            stop.sequence = position
            stop.expected_arrival = built.at(visit.start)
            stop.expected_departure = built.at(visit.departure)
            stop.unserved_reason = ""
            touched.append(stop)
            if old_route != route.pk:
                record(route, RouteChange.Kind.STOP_ADDED, stop)
                if old_route is not None and old_route in {r.pk for r in routes.values()}:
                    record(next(r for r in routes.values() if r.pk == old_route),
                            RouteChange.Kind.STOP_REMOVED, stop)
            elif old_sequence != position:
                record(route, RouteChange.Kind.STOP_MOVED, stop, sequence=position)
    no_volunteers = not built.volunteers
    for unassigned in solution.unassigned:
        stop = built.stops[unassigned.stop_id]
        if stop.route_id is not None and stop.route.status != RouteStatus.DRAFT:
            record(stop.route, RouteChange.Kind.STOP_REMOVED, stop)
        stop.route = None
        stop.sequence = 0
        stop.expected_arrival = stop.expected_departure = None
        stop.unserved_reason = (UnservedReason.NO_VOLUNTEERS if no_volunteers
                                else str(unassigned.reason))
        touched.append(stop)
    for stop in built.without_coordinates:
        stop.route = None
        stop.sequence = 0
        stop.expected_arrival = stop.expected_departure = None
        stop.unserved_reason = UnservedReason.NO_COORDINATES
        touched.append(stop)
    write_stop_places(touched)
    for volunteer_id, route in routes.items():
        if volunteer_id in used or route.stops.exists():
            continue
        if route.status in (RouteStatus.DRAFT, RouteStatus.PUBLISHED):
            record(route, RouteChange.Kind.ROUTE_CANCELLED, date=plan.date.isoformat(),
                    route_id=route.pk)
            route.delete()
    plan.figures = _figures(built, solution, seconds_taken, _written(deadline, timing))
    plan.solve_status = SolveStatus.DONE
    plan.solved_at = timezone.now()
    plan.save()
    if published:
        _schedule_orders(plan, by)
    return plan.figures


def _schedule_orders(plan: DayPlan, by) -> None:
    """Orders on a published route are scheduled for the day; taken off, back to ready."""
    for stop in plan.stops.prefetch_related("orders").select_related("route"):
        for order in stop.orders.all():
            on_route = stop.route_id is not None and stop.status != StopStatus.CANCELLED
            if on_route and order.status == OrderStatus.READY:
                order_services.order_schedule(order=order, date=plan.date, by=by)
            elif not on_route and order.status == OrderStatus.SCHEDULED:
                order_services.order_unschedule(order=order, by=by,
                                                note=_("Taken off the day's routes."))


def plan_solve(*, plan: DayPlan, by: User | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
               seed: int = 0, deadline: Deadline | None = None) -> dict[str, Any]:
    """Plan the day: gather its stops, assign them to the volunteers free that day, order
    them and give each its expected time. Pins are kept. On a published plan whose routes
    have started, finished and started stops stay where they are (see `plan_replan`).

    `time_limit` is a promise from the request to the routes written (`deadline`, started
    at the request; now when not given): gathering the stops and the travel matrix take
    what they need, the solver what is left less a reserve for writing. The figures keep
    the shares (`timing`)."""
    deadline = deadline or Deadline(time_limit)
    if plan.routes.filter(status__in=[RouteStatus.STARTED, RouteStatus.FINISHED]).exists() or \
            plan.stops.filter(status__in=LOCKED_STATUSES).exists():
        return plan_replan(plan=plan, by=by, time_limit=time_limit, deadline=deadline)
    _set_solve_status(plan, SolveStatus.RUNNING, progress={})
    try:
        plan_collect_stops(plan=plan)
        plan = DayPlan.objects.select_related("branch").get(pk=plan.pk)
        built = build_problem(plan)
        timing = _solver_timing(deadline, built)
        started = time.monotonic()
        solution = solver.solve(built.problem, time_limit=timing["solver_budget"], seed=seed,
                                progress=_progress_writer(plan), whole_call=True)
        return _apply(built, solution, by=by, seconds_taken=time.monotonic() - started,
                      deadline=deadline, timing=timing)
    except Exception:
        _set_solve_status(plan, SolveStatus.FAILED)
        raise


def plan_replan(*, plan: DayPlan, by: User | None = None, drop_volunteers: Iterable[int] = (),
                time_limit: float = DEFAULT_TIME_LIMIT,
                deadline: Deadline | None = None) -> dict[str, Any]:
    """Re-plan during the day: finished and started stops stay where they are, a volunteer
    who dropped out loses what they had not started, new stops come in, and as little as
    possible moves. Answers what changed. `time_limit` is kept as in `plan_solve`."""
    deadline = deadline or Deadline(time_limit)
    drop = set(drop_volunteers)
    _set_solve_status(plan, SolveStatus.RUNNING, progress={})
    try:
        plan_collect_stops(plan=plan)
        plan = DayPlan.objects.select_related("branch").get(pk=plan.pk)
        built = build_problem(plan, keep_route_volunteers=True)
        previous = _previous_solution(built)
        locked = {sid for sid, stop in built.stops.items() if stop.status in LOCKED_STATUSES}
        present = {v.id for v in built.problem.vehicles}
        removed = {str(v) for v in drop} & present
        known = {s.id for s in built.problem.stops}
        was_served = {sid for r in previous.routes for sid in r.stop_ids}
        added = [s for s in built.problem.stops if s.id not in was_served and s.id not in locked]
        base = solver.Problem(
            locations=built.problem.locations, profiles=built.problem.profiles,
            stops=[s for s in built.problem.stops if s.id in was_served or s.id in locked],
            vehicles=built.problem.vehicles, distances=built.problem.distances,
            objective=built.problem.objective,
        )
        timing = _solver_timing(deadline, built)
        started = time.monotonic()
        result = solver_replan(base, previous, removed_vehicles=removed, locked=locked & known,
                               added_stops=added, time_limit=timing["solver_budget"],
                               progress=_progress_writer(plan), whole_call=True)
        # A volunteer who dropped out keeps the route of what they already did.
        figures = _apply(built, result.solution, by=by,
                         seconds_taken=time.monotonic() - started, deadline=deadline,
                         timing=timing)
    except Exception:
        _set_solve_status(plan, SolveStatus.FAILED)
        raise
    diff = result.diff
    name = {vid: str(v) for vid, v in {**built.volunteers}.items()}
    return {
        **figures,
        "changes": {
            "moved": [{"stop": int(m.stop_id), "from": int(m.from_vehicle),
                       "to": int(m.to_vehicle), "to_name": name.get(m.to_vehicle, "")}
                      for m in diff.moved],
            "added": [int(s) for s in diff.added],
            "unserved": [{"stop": int(u.stop_id), "reason": str(u.reason)}
                         for u in diff.unserved],
            "newly_unserved": [int(s) for s in diff.newly_unserved],
            "resequenced": [int(v) for v in diff.resequenced],
            "dropped": sorted(int(v) for v in removed),
        },
    }


@transaction.atomic
def plan_publish(*, plan: DayPlan, by: User | None = None) -> DayPlan:
    """Routes become visible to their volunteers; their orders become scheduled."""
    plan = DayPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.solve_status != SolveStatus.DONE:
        raise ConflictError("plan.not_planned", _("Plan the day before publishing it."))
    for route in plan.routes.filter(status=RouteStatus.DRAFT):
        route.status = RouteStatus.PUBLISHED
        route.version += 1
        route.save(update_fields=["status", "version", "updated_at"])
        _record(route, RouteChange.Kind.PUBLISHED)
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = timezone.now()
    plan.published_by = by
    plan.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    _schedule_orders(plan, by)
    return plan


def _check_editable(stop: Stop) -> None:
    if stop.status != StopStatus.PLANNED:
        raise ConflictError("stop.locked",
                            _("This stop has started or is done; it stays where it is."))


@transaction.atomic
def stop_pin(*, stop: Stop, volunteer: Volunteer | None = None, by: User | None = None) -> Stop:
    """Pin a stop to a volunteer (the planner keeps it there), or unpin with None."""
    stop = Stop.objects.select_for_update().get(pk=stop.pk)
    _check_editable(stop)
    if volunteer is not None and volunteer.branch_id != stop.plan.branch_id:
        raise ApplicationError("stop.pin_other_branch",
                               _("The volunteer works for another branch."),
                               fields={"volunteer": [_("Another branch.")]})
    stop.pinned_volunteer = volunteer
    stop.save(update_fields=["pinned_volunteer", "updated_at"])
    return stop


def _reschedule(route: Route) -> list[str]:
    """Recompute the expected times of a route after a manual change; answer warnings."""
    plan = route.plan
    stops = list(route.stops.exclude(status=StopStatus.CANCELLED).order_by("sequence", "id"))
    built = build_problem(plan, stops=stops, keep_route_volunteers=True)
    vehicle = next((v for v in built.problem.vehicles if v.id == str(route.volunteer_id)), None)
    if vehicle is None:
        return [_("The volunteer is not free that day.")]
    solver_stops = {s.id: s for s in built.problem.stops}
    sequence = [solver_stops[str(s.pk)] for s in stops if str(s.pk) in solver_stops]
    sroute, problems = evaluate_route(built.problem, vehicle, sequence)
    for visit in sroute.visits:
        stop = built.stops[visit.stop_id]
        stop.expected_arrival = built.at(visit.start)
        stop.expected_departure = built.at(visit.departure)
    Stop.objects.bulk_update(list(built.stops.values()),
                             ["expected_arrival", "expected_departure"])
    route.departure = built.at(sroute.departure)
    route.end = built.at(sroute.end)
    route.duration_s = round(sroute.duration)
    route.travel_s = round(sroute.travel_time)
    route.distance_m = round(sroute.distance)
    route.max_load = sroute.max_load
    route.version += 1
    route.save()
    return problems


@transaction.atomic
def stop_move(*, stop: Stop, route: Route, position: int | None = None,
              by: User | None = None) -> dict:
    """Move a stop to a route (any position; the end by default). Times are recomputed and
    anything the move breaks (a window, the bag) comes back as a warning."""
    stop = Stop.objects.select_for_update(of=("self",)).select_related("route").get(pk=stop.pk)
    _check_editable(stop)
    if route.plan_id != stop.plan_id:
        raise ApplicationError("stop.other_plan", _("The route belongs to another day."),
                               fields={"route": [_("Another day plan.")]})
    old = stop.route
    siblings = list(route.stops.exclude(pk=stop.pk).exclude(status=StopStatus.CANCELLED)
                    .order_by("sequence", "id"))
    locked = sum(1 for s in siblings if s.status in LOCKED_STATUSES)
    position = len(siblings) + 1 if position is None else max(position, locked + 1)
    siblings.insert(min(position, len(siblings) + 1) - 1, stop)
    for index, item in enumerate(siblings, start=1):
        item.sequence = index
        item.route = route
    Stop.objects.bulk_update(siblings, ["sequence", "route"])
    stop.unserved_reason = ""
    stop.save(update_fields=["unserved_reason", "updated_at"])
    warnings = _reschedule(route)
    if old is not None and old.pk != route.pk:
        rest = list(old.stops.exclude(status=StopStatus.CANCELLED).order_by("sequence", "id"))
        for index, item in enumerate(rest, start=1):
            item.sequence = index
        Stop.objects.bulk_update(rest, ["sequence"])
        _reschedule(old)
        _record(old, RouteChange.Kind.STOP_REMOVED, stop)
        _record(route, RouteChange.Kind.STOP_ADDED, stop)
    else:
        _record(route, RouteChange.Kind.STOP_MOVED, stop, sequence=stop.sequence)
    if route.plan.status == PlanStatus.PUBLISHED:
        _schedule_orders(route.plan, by)
    return {"stop": stop, "warnings": warnings}


@transaction.atomic
def route_resequence(*, route: Route, stop_ids: list[int], by: User | None = None) -> dict:
    """Put the route's stops in the coordinator's order. Started and finished stops stay
    first, in their order."""
    route = Route.objects.select_for_update().get(pk=route.pk)
    stops = {s.pk: s for s in route.stops.exclude(status=StopStatus.CANCELLED)}
    if set(stop_ids) != set(stops):
        raise ApplicationError(
            "route.resequence_mismatch",
            _("Give every stop of the route exactly once."),
            fields={"stops": sorted(set(stops) ^ set(stop_ids))},
        )
    locked = sorted((s for s in stops.values() if s.status in LOCKED_STATUSES),
                    key=lambda s: s.sequence)
    order = [s.pk for s in locked] + [pk for pk in stop_ids if stops[pk] not in locked]
    for index, pk in enumerate(order, start=1):
        stops[pk].sequence = index
    Stop.objects.bulk_update(list(stops.values()), ["sequence"])
    warnings = _reschedule(route)
    _record(route, RouteChange.Kind.STOP_MOVED, None, order=order)
    return {"route": route, "warnings": warnings}


# At the door: backend.routing.stop_actions, its functions named here too ------------------------


@transaction.atomic
def stop_plan_again(*, stop: Stop, date: datetime.date, by: User | None = None) -> list:
    """A failed stop's orders go back to be planned on another day: each waits, ready, for
    `date` (orders.services.order_requeue, then the order's wanted day)."""
    stop = _lock_stop(stop)
    if stop.status != StopStatus.FAILED:
        raise ConflictError("stop.not_failed",
                            _("Only a stop that was not done can be planned again."))
    dates.require(dates.PLAN_DAY, date, field="date")
    if date <= stop.plan.date:
        raise ApplicationError("stop.plan_again_day",
                               _("Choose a day after the day of this stop."),
                               fields={"date": [_("Must be later than the day of the stop.")]})
    orders = [o for o in stop.orders.all()
              if o.status in (OrderStatus.FAILED, OrderStatus.READY)]
    if not orders:
        raise ConflictError("stop.nothing_to_plan",
                            _("The orders of this stop are already planned or closed."))
    for order in orders:
        if order.status == OrderStatus.FAILED:
            order = order_services.order_requeue(order=order, by=by)
        order_services.order_update(order=order, data={"preferred_date": date}, by=by)
    return orders
