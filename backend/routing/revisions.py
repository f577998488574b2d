"""Draft revisions of a published day: re-planning a day the volunteers already see makes a
draft beside it (models.PlanRevision); publishing it writes it over the published routes,
discarding it changes nothing.

The draft is the planner's answer as it came. Publishing re-reads the day and writes that
answer through the same code as a first plan (services._apply), so the change feed and the
route messages are the same as for any change of a published route: only volunteers whose
routes change hear of it, one message each (routing.messages.on_route_changed merges a
burst of changes into one SMS).
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError, ConflictError
from backend.routing import messages as routing_messages
from backend.routing import selectors, services, solver
from backend.routing.models import DayPlan, PlanRevision, Stop, StopStatus
from backend.routing.problem import build_problem
from backend.routing.solver.schedule import evaluate_route

if TYPE_CHECKING:
    from backend.accounts.models import User


def solution_load(data: dict[str, Any]) -> solver.Solution:
    routes = tuple(
        solver.Route(**{**r, "visits": tuple(solver.Visit(**v) for v in r["visits"])})
        for r in data.get("routes", ()))
    unassigned = tuple(solver.Unassigned(stop_id=u["stop_id"], reason=solver.Reason(u["reason"]))
                       for u in data.get("unassigned", ()))
    return solver.Solution(
        routes=routes, unassigned=unassigned, objective=solver.Objective(**data["objective"]),
        feasible=data.get("feasible", True), seconds=data.get("seconds", 0.0),
        iterations=data.get("iterations", 0), violations=tuple(data.get("violations", ())))


def _revision_for(plan: DayPlan) -> PlanRevision:
    revision = PlanRevision.objects.select_for_update().filter(plan=plan).first()
    if revision is None:
        raise ConflictError("revision.none", _("There is no draft to publish or discard."))
    return revision


@transaction.atomic
def revision_publish(*, plan: DayPlan, by: User | None = None) -> DayPlan:
    """The draft replaces the published routes: stops move, routes start or end, the
    volunteers whose routes changed hear of it. If the day changed under the draft so that
    it no longer fits (a stop it moves was started meanwhile, a stop was cancelled), it is
    refused (`revision.stale`) and the coordinator plans again."""
    plan = DayPlan.objects.select_for_update().select_related("branch").get(pk=plan.pk)
    revision = _revision_for(plan)
    solution = solution_load(revision.solution)
    built = build_problem(plan, keep_route_volunteers=True)
    mentioned = {sid for r in solution.routes for sid in r.stop_ids} | {
        u.stop_id for u in solution.unassigned}
    volunteers = {r.vehicle_id for r in solution.routes}
    if not mentioned <= set(built.stops) or not volunteers <= set(built.volunteers):
        raise ConflictError("revision.stale",
                            _("The day has changed since this draft was made; plan again."))
    try:
        services.keep_locked_stops(built, solution)
    except ConflictError as exc:
        raise ConflictError("revision.stale",
                            _("The day has changed since this draft was made; plan again.")
                            ) from exc
    diff = selectors.revision_diff(plan=plan)
    had_route = set(plan.routes.values_list("volunteer_id", flat=True))
    services._apply(built, solution, by=by, seconds_taken=revision.seconds,
                    over_published=True)
    revision.delete()
    _tell_changed(plan, diff, had_route)
    plan.refresh_from_db()
    return plan


def _tell_changed(plan: DayPlan, diff: dict, had_route: set[int]) -> None:
    """One message to each volunteer whose route changed, with what changed; a volunteer
    who had no route that day gets the usual "your route is ready" with its sign-in link."""
    from backend.volunteers.models import Volunteer

    added: dict[int, int] = {}
    removed: dict[int, int] = {}
    for row in [*diff["moved"], *diff["added"]]:
        added[row["to"]] = added.get(row["to"], 0) + 1
    for row in [*diff["moved"], *diff["unserved"]]:
        removed[row["from"]] = removed.get(row["from"], 0) + 1
    routes = {r.volunteer_id: r for r in plan.routes.all()}
    for volunteer in Volunteer.objects.select_related("user").filter(
            pk__in=diff["volunteers_changed"]):
        route = routes.get(volunteer.pk)
        if volunteer.pk not in had_route and route is not None:
            routing_messages.on_route_published(route)
        else:
            routing_messages.on_route_revised(plan=plan, volunteer=volunteer, route=route,
                                              added=added.get(volunteer.pk, 0),
                                              removed=removed.get(volunteer.pk, 0))


@transaction.atomic
def revision_discard(*, plan: DayPlan, by: User | None = None) -> DayPlan:
    """Throw the draft away: the published day stays as it is."""
    plan = DayPlan.objects.select_for_update().get(pk=plan.pk)
    _revision_for(plan).delete()
    return plan


# Adjusting the draft by hand: the same moves as on a plan, on the draft's routes --------------


def revision_exists(*, plan_id: int) -> bool:
    return PlanRevision.objects.filter(plan_id=plan_id).exists()


def _rewrite(plan: DayPlan, revision: PlanRevision, orders: dict[str, list[str]],
             unassigned: list[solver.Unassigned]) -> list[str]:
    """Schedule the draft's routes in the given orders (volunteer -> stop ids) and store
    them; answers what the new orders break (a window, the bag)."""
    built = build_problem(plan, keep_route_volunteers=True)
    stops = {s.id: s for s in built.problem.stops}
    vehicles = {v.id: v for v in built.problem.vehicles}
    routes, warnings = [], []
    for vid, ids in orders.items():
        if not ids:
            continue
        if vid not in vehicles:
            warnings.append(_("The volunteer is not free that day."))
            continue
        route, problems = evaluate_route(built.problem, vehicles[vid],
                                         [stops[i] for i in ids if i in stops])
        routes.append(route)
        warnings.extend(problems)
    old = solution_load(revision.solution)
    objective = dataclasses.replace(
        old.objective, served=sum(len(r.visits) for r in routes), unserved=len(unassigned),
        vehicles=len(routes), distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        travel_time=sum(r.travel_time for r in routes))
    solution = dataclasses.replace(old, routes=tuple(routes), unassigned=tuple(unassigned),
                                   objective=objective, feasible=not warnings)
    services.keep_locked_stops(built, solution)
    revision.solution = dataclasses.asdict(solution)
    revision.figures = {**revision.figures, "served": objective.served,
                        "unserved": objective.unserved + len(built.without_coordinates),
                        "volunteers": objective.vehicles,
                        "travel_minutes": round(objective.travel_time / 60),
                        "distance_km": round(objective.distance / 1000, 1),
                        "feasible": solution.feasible}
    revision.save(update_fields=["solution", "figures", "updated_at"])
    return warnings


def _orders(revision: PlanRevision) -> tuple[dict[str, list[str]], list[solver.Unassigned]]:
    solution = solution_load(revision.solution)
    return ({r.vehicle_id: list(r.stop_ids) for r in solution.routes}, list(solution.unassigned))


@transaction.atomic
def revision_stop_move(*, plan: DayPlan, stop: Stop, volunteer_id: int,
                       position: int | None = None, by: User | None = None) -> dict:
    """Move a stop to a volunteer's route in the draft (any position; the end by default).
    Started and finished stops stay where they are."""
    plan = DayPlan.objects.select_for_update().select_related("branch").get(pk=plan.pk)
    revision = _revision_for(plan)
    if stop.status != StopStatus.PLANNED:
        raise ConflictError("stop.locked",
                            _("This stop has started or is done; it stays where it is."))
    orders, unassigned = _orders(revision)
    sid, vid = str(stop.pk), str(volunteer_id)
    for ids in orders.values():
        if sid in ids:
            ids.remove(sid)
    unassigned = [u for u in unassigned if u.stop_id != sid]
    target = orders.setdefault(vid, [])
    locked = set(map(str, Stop.objects.filter(pk__in=target, status__in=services.LOCKED_STATUSES)
                     .values_list("pk", flat=True)))
    first_free = sum(1 for i in target if i in locked)
    index = len(target) if position is None else max(position - 1, first_free)
    target.insert(min(index, len(target)), sid)
    return {"warnings": _rewrite(plan, revision, orders, unassigned)}


@transaction.atomic
def revision_resequence(*, plan: DayPlan, volunteer_id: int, stop_ids: list[int],
                        by: User | None = None) -> dict:
    """Put a volunteer's stops in the draft in the coordinator's order; started and finished
    stops stay first, in their order."""
    plan = DayPlan.objects.select_for_update().select_related("branch").get(pk=plan.pk)
    revision = _revision_for(plan)
    orders, unassigned = _orders(revision)
    current = orders.get(str(volunteer_id), [])
    given = [str(i) for i in stop_ids]
    if set(given) != set(current) or len(given) != len(current):
        raise ApplicationError(
            "route.resequence_mismatch", _("Give every stop of the route exactly once."),
            fields={"stops": sorted(int(i) for i in set(current) ^ set(given))})
    locked = set(map(str, Stop.objects.filter(pk__in=current,
                                              status__in=services.LOCKED_STATUSES)
                     .values_list("pk", flat=True)))
    orders[str(volunteer_id)] = [i for i in current if i in locked] + [
        i for i in given if i not in locked]
    return {"warnings": _rewrite(plan, revision, orders, unassigned)}
