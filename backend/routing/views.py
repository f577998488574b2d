"""The coordinator's day-plan page. It reads and changes the plan through the JSON API
(/api/v1/plans/...); the page itself only picks the branch and the day and hands the first
state to the script, so the API stays the one way to change a plan."""
import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from backend.branches.models import Branch, branch_zone
from backend.core import dates
from backend.core.calendar import working_days
from backend.core.roles import Role, has_role
from backend.core.web import RoleRequiredMixin
from backend.readers.models import CardAccess
from backend.readers.models import Language as ReaderLanguage
from backend.routing import selectors
from backend.routing.apis import plan_body
from backend.routing.models import (
    DayPlan,
    PlanStatus,
    RouteStatus,
    SolveStatus,
    StopStatus,
)
from backend.volunteers.models import Transport
from backend.volunteers.selectors import volunteer_calendar, volunteer_queryset

PLAN_ROLES = (Role.COORDINATOR, Role.LIBRARIAN, Role.OPERATOR)
# Route sheets, as their API (backend/reports/apis.py) allows: not operators.
PRINT_ROLES = (Role.COORDINATOR, Role.LIBRARIAN)


def next_working_day(today: datetime.date | None = None) -> datetime.date:
    """The first day after `today` that is neither a weekend nor a public holiday."""
    start = (today or timezone.localdate()) + datetime.timedelta(days=1)
    return next(working_days(start, 30))


class LanguageFromQueryMixin:
    """`?language=kk` shows the page in that language without touching the cookie, so a link
    can be shared in the language it was written in."""

    def dispatch(self, request, *args, **kwargs):
        code = request.GET.get("language")
        if code and code in dict(settings.LANGUAGES):
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return super().dispatch(request, *args, **kwargs)


def _texts() -> dict:
    """The script's words, translated here so the JS needs no catalogue of its own."""
    return {
        "plan": _("Plan"), "replan": _("Re-plan"), "planning": _("Planning…"),
        "served": _("served"), "unserved": _("not planned"), "volunteers": _("volunteers"),
        "elapsed": _("seconds"), "stops": _("stops"), "travel": _("min on the way"),
        "distance": _("km"), "no_routes": _("No routes yet: press “Plan”."),
        "no_unserved": _("Every stop is in a route."),
        "error": _("The request failed. Try again."),
        "network": _("No answer from the server. Check the connection and try again."),
        "saved": _("Saved."), "published": _("The plan is published: volunteers see it."),
        "moved": _("The stop was moved."), "pinned": _("The pin was saved."),
        "unpinned": _("The pin was removed."), "resequenced": _("The order was changed."),
        "warnings": _("Check:"), "pin_to": _("Pin to a volunteer"), "nobody": _("— no pin —"),
        "move_to": _("Move to the route of"), "position": _("Position"),
        "pin": _("Pin"), "move": _("Move"), "actions": _("Change"), "close": _("Close"),
        "up": _("Earlier"), "down": _("Later"), "sheet": _("Route sheet (PDF)"),
        "map": _("Map (SVG)"), "stop": _("Stop"), "reader": _("Reader"),
        "address": _("Address"), "expected": _("Expected"), "window": _("Window"),
        "out_back": _("Out / back"), "status": _("Status"), "reason": _("Why not planned"),
        "pinned_to": _("pinned to %(name)s"), "branch": _("Library"),
        "route_of": _("Route of %(name)s"), "no_stop_selected": _("Choose a stop first."),
        # The day live (backend/static/js/plan_live.js).
        "late": _("Late: expected at %(time)s"), "concern_at": _("Concern raised at %(time)s"),
        "plan_again": _("Plan again"), "plan_again_day": _("Day to plan again"),
        "planned_again": _("The orders wait for %(date)s."), "last": _("Last: %(action)s"),
        "not_done": _("Not done: %(reason)s"),
        "locked": _("This stop is done: it cannot be changed."),
        "plan_status": {str(k): str(v) for k, v in PlanStatus.choices},
        "solve_status": {str(k): str(v) for k, v in SolveStatus.choices},
        "route_status": {str(k): str(v) for k, v in RouteStatus.choices},
        "stop_status": {str(k): str(v) for k, v in StopStatus.choices},
        "transport": {str(k): str(v) for k, v in Transport.choices},
    }


LANGUAGE_NAMES = dict(ReaderLanguage.choices)


def _volunteers_of_the_day(branch: Branch, day: datetime.date) -> list[dict]:
    rows = []
    for volunteer in volunteer_queryset().filter(branch=branch, active=True):
        calendar = volunteer_calendar(volunteer, day, day)[0]
        rows.append({
            "id": volunteer.pk,
            "name": str(volunteer),
            "transport": volunteer.get_transport_display(),
            "capacity": volunteer.capacity,
            "languages": ", ".join(str(LANGUAGE_NAMES.get(code, code))
                                   for code in volunteer.languages or []),
            "windows": [f"{a:%H:%M}–{b:%H:%M}" for a, b in calendar["windows"]],
            "absent": calendar["absence"] is not None,
        })
    return rows


class PlanDayView(LanguageFromQueryMixin, RoleRequiredMixin, TemplateView):
    """The day of a branch: map, routes, unserved stops, volunteers and their shifts.
    Coordinators change it; librarians and operators only look."""

    roles = PLAN_ROLES
    template_name = "plan/day.html"

    def _branch(self, branches: list[Branch]) -> Branch:
        wanted = self.request.GET.get("branch")
        if wanted:
            for branch in branches:
                if str(branch.pk) == wanted:
                    return branch
            raise Http404(_("No such library."))
        own = getattr(self.request.user, "branch_id", None)
        return next((b for b in branches if b.pk == own), branches[0])

    def _day(self) -> datetime.date:
        try:
            day = datetime.date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            return next_working_day()
        # A day no plan can be made for (more than a year away) shows the next working day.
        return day if dates.PLAN_DAY.problem(day) is None else next_working_day()

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        branches = list(Branch.objects.order_by("name"))
        if not branches:
            context.update(branches=[], no_branches=True)
            return context
        branch = self._branch(branches)
        day = self._day()
        plan = DayPlan.objects.filter(branch=branch, date=day).first()
        can_edit = has_role(self.request.user, Role.COORDINATOR)
        context.update(
            branches=branches, branch=branch, day=day, plan=plan, can_edit=can_edit,
            can_print=has_role(self.request.user, *PRINT_ROLES),
            volunteers=_volunteers_of_the_day(branch, day),
            page_data={
                # Times on the page read in the branch's zone, whatever the browser's.
                "branch": {"id": branch.pk, "name": branch.name, "lat": branch.lat,
                           "lon": branch.lon, "zone": str(branch_zone(branch))},
                "date": day.isoformat(),
                "plan": (plan_body(plan, self.request, CardAccess.Channel.PAGES)
                         if plan else None),
                "can_edit": can_edit,
                "time_limit": settings.ROUTING_TIME_LIMIT,
                "tiles": {"url": settings.MAP_TILE_URL,
                          "attribution": settings.MAP_TILE_ATTRIBUTION},
                "texts": _texts(),
            },
        )
        return context


class PlanSheetsView(LanguageFromQueryMixin, RoleRequiredMixin, TemplateView):
    """Every route sheet of a plan on one page, to print them in one go."""

    roles = PRINT_ROLES
    template_name = "plan/sheets.html"

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        plan = get_object_or_404(selectors.plan_queryset(), pk=kwargs["plan_id"])
        context.update(plan=plan, routes=list(plan.routes.all()))
        return context
