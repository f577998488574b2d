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

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.core.exceptions import ConflictError
from backend.routing import services, solver
from backend.routing.models import DayPlan, PlanRevision
from backend.routing.problem import build_problem

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
    services._apply(built, solution, by=by, seconds_taken=revision.seconds,
                    over_published=True)
    revision.delete()
    plan.refresh_from_db()
    return plan


@transaction.atomic
def revision_discard(*, plan: DayPlan, by: User | None = None) -> DayPlan:
    """Throw the draft away: the published day stays as it is."""
    plan = DayPlan.objects.select_for_update().get(pk=plan.pk)
    _revision_for(plan).delete()
    return plan
