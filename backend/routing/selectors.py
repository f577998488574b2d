"""Reads of day plans and routes, in a fixed number of queries."""
import datetime
from typing import NamedTuple

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.routing.models import DayPlan, PlanStatus, Route, RouteStatus, Stop, StopStatus


def stop_queryset() -> QuerySet[Stop]:
    return Stop.objects.select_related(
        "reader", "family_card", "pinned_volunteer__user", "route"
    ).prefetch_related("orders")


def plan_queryset() -> QuerySet[DayPlan]:
    return DayPlan.objects.select_related("branch").prefetch_related(
        Prefetch("routes", queryset=Route.objects.select_related("volunteer__user")
                 .order_by("id")),
        Prefetch("stops", queryset=stop_queryset().exclude(status=StopStatus.CANCELLED)
                 .order_by("route_id", "sequence", "id")),
    )


class PlanRead(NamedTuple):
    """What the plan answer shows of some plans, as columns (no model objects): the plans
    (newest day first, as DayPlan orders them), their routes (by id), their stops that are
    not cancelled (by route, sequence and id, as `plan_queryset` prefetches them), their
    routes' cancelled stops (in the same order) and the ids of each stop's orders (in the
    orders' own order, as `stop.orders.all()` gives them)."""

    plans: list[dict]
    routes: list[dict]
    stops: list[dict]
    cancelled: list[dict]
    orders: dict[int, list[int]]


PLAN_COLUMNS = ("id", "branch_id", "branch__name", "date", "status", "solve_status",
                "progress", "figures", "solved_at", "published_at")
ROUTE_COLUMNS = ("id", "plan_id", "status", "departure", "end", "distance_m", "duration_s",
                 "travel_s", "max_load", "volunteer_id", "volunteer__transport",
                 "volunteer__capacity", "volunteer__languages", "volunteer__user__first_name",
                 "volunteer__user__last_name", "volunteer__user__username")
STOP_COLUMNS = ("id", "plan_id", "route_id", "sequence", "kind", "status", "household",
                "lat", "lon", "window_start", "window_end", "expected_arrival",
                "service_minutes", "load_out", "load_back", "languages",
                "pinned_volunteer_id", "unserved_reason",
                "reader_id", "reader__last_name", "reader__first_name", "reader__patronymic",
                "reader__card_number", "reader__settlement", "reader__street", "reader__house",
                "reader__apartment",
                "family_card_id", "family_card__name", "family_card__settlement",
                "family_card__street", "family_card__house", "family_card__apartment")


PROGRESS_COLUMNS = ("id", "status", "solve_status", "progress", "solved_at")


def plan_progress(plan_id: int) -> dict | None:
    """The planner's state of one plan (None when there is no such plan): one statement,
    nothing of its routes or stops."""
    return DayPlan.objects.filter(pk=plan_id).values(*PROGRESS_COLUMNS).first()


def plan_read(plan_ids: list[int]) -> PlanRead:
    """The columns the plan answer needs of these plans (routing.plan_answers), in
    four queries however many stops: the plans, their routes with their volunteers' names,
    their stops with their cards' names and addresses, the stops' order ids. Plans not found
    are not in it (and then no other query is made)."""
    from backend.orders.models import Order

    plans = list(DayPlan.objects.filter(pk__in=plan_ids).values(*PLAN_COLUMNS))
    if not plans:
        return PlanRead([], [], [], [], {})
    ids = [plan["id"] for plan in plans]
    routes = list(Route.objects.filter(plan_id__in=ids).order_by("id").values(*ROUTE_COLUMNS))
    stops, cancelled = [], []
    for stop in Stop.objects.filter(plan_id__in=ids).order_by("route_id", "sequence", "id") \
            .values(*STOP_COLUMNS):
        if stop["status"] != StopStatus.CANCELLED:
            stops.append(stop)
        elif stop["route_id"] is not None:
            cancelled.append(stop)
    # The orders' own order (Order.Meta.ordering), read through the link table.
    in_order = [f"-order__{name[1:]}" if name.startswith("-") else f"order__{name}"
                for name in Order._meta.ordering]
    orders: dict[int, list[int]] = {}
    for stop_id, order_id in Stop.orders.through.objects.filter(stop__plan_id__in=ids) \
            .order_by(*in_order).values_list("stop_id", "order_id"):
        orders.setdefault(stop_id, []).append(order_id)
    return PlanRead(plans, routes, stops, cancelled, orders)


def plan_list(*, filters: dict | None = None) -> QuerySet[DayPlan]:
    filters = filters or {}
    qs = DayPlan.objects.select_related("branch")
    for name in ("branch", "date", "status"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    return qs.order_by("-date", "branch_id")


def reader_concerns(*, reader_id: int) -> QuerySet:
    """A card's concerns, open ones first, newest first, with who raised and closed them."""
    from backend.routing.models import Concern

    return (Concern.objects.filter(reader_id=reader_id)
            .select_related("raised_by__user", "closed_by", "stop__plan")
            .order_by(F("closed_at").asc(nulls_first=True), "-created_at", "-id"))


def revision_diff(*, plan: DayPlan) -> dict | None:
    """What publishing the plan's draft revision would change, against the published day:
    stops that move to another volunteer, stops that become unserved, stops newly planned,
    routes put in another order, volunteers whose day gets longer. None without a draft."""
    from backend.routing.models import PlanRevision, UnservedReason
    from backend.volunteers.models import Volunteer

    revision = PlanRevision.objects.filter(plan=plan).first()
    if revision is None:
        return None
    stops = {s.pk: s for s in stop_queryset().filter(plan=plan)
             .exclude(status=StopStatus.CANCELLED).select_related("route")}
    routes = {r.volunteer_id: r for r in plan.routes.all()}
    before = {pk: (s.route.volunteer_id, s.sequence) for pk, s in stops.items() if s.route_id}
    after: dict[int, tuple[int, int]] = {}
    duration: dict[int, int] = {}
    for route in revision.solution.get("routes", ()):
        vid = int(route["vehicle_id"])
        duration[vid] = round(route["duration"])
        for position, visit in enumerate(route["visits"], start=1):
            after[int(visit["stop_id"])] = (vid, position)
    reasons = {int(u["stop_id"]): u["reason"] for u in revision.solution.get("unassigned", ())}
    names = {v.pk: str(v) for v in Volunteer.objects.select_related("user")
             .filter(pk__in={*routes, *duration})}

    def stop_row(pk: int) -> dict:
        stop = stops[pk]
        return {"stop": pk, "reader": stop.reader.full_name,
                "address": (stop.family_card or stop.reader).address_line}

    moved, unserved, added = [], [], []
    for pk in stops:
        was, now = before.get(pk), after.get(pk)
        if was and now and was[0] != now[0]:
            moved.append({**stop_row(pk), "from": was[0], "from_name": names.get(was[0], ""),
                          "to": now[0], "to_name": names.get(now[0], "")})
        elif was and not now:
            reason = reasons.get(pk, "")
            label = UnservedReason(reason).label if reason in UnservedReason.values else ""
            unserved.append({**stop_row(pk), "from": was[0], "from_name": names.get(was[0], ""),
                             "reason": str(label)})
        elif now and not was:
            added.append({**stop_row(pk), "to": now[0], "to_name": names.get(now[0], "")})
    changed = {m["from"] for m in moved} | {m["to"] for m in moved} | {
        u["from"] for u in unserved} | {a["to"] for a in added}
    reordered = sorted(
        vid for vid in set(routes) & set(duration) if vid not in changed and
        [pk for pk, (v, _) in sorted(before.items(), key=lambda i: i[1][1]) if v == vid]
        != [pk for pk, (v, _) in sorted(after.items(), key=lambda i: i[1][1]) if v == vid])
    longer = [{"volunteer": vid, "name": names.get(vid, ""),
               "minutes_before": round(routes[vid].duration_s / 60) if vid in routes else 0,
               "minutes_after": round(seconds / 60)}
              for vid, seconds in sorted(duration.items())
              if seconds - (routes[vid].duration_s if vid in routes else 0) >= 60]
    return {
        "created_at": revision.created_at, "figures": revision.figures,
        "moved": moved, "unserved": unserved, "added": added,
        "reordered": [{"volunteer": vid, "name": names.get(vid, "")} for vid in reordered],
        "longer": longer,
        "volunteers_changed": sorted(changed | set(reordered)),
        "has_changes": bool(moved or unserved or added or reordered),
    }


# The day as it happens (the plan page polls it) ------------------------------------------------


def _micros(moment: datetime.datetime | None) -> int:
    return int(moment.timestamp() * 1_000_000) if moment else 0


def _state(stop: Stop, route: Route | None) -> tuple[str, str]:
    """A stop's state for the coordinator, as a stable code and in words."""
    if stop.status == StopStatus.PLANNED and route is not None \
            and route.status == RouteStatus.STARTED:
        return "on_the_way", str(_("On the way"))
    if stop.status == StopStatus.ARRIVED:
        return "arrived", str(_("Arrived"))
    if stop.status == StopStatus.COMPLETED:
        return "done", str(_("Done"))
    if stop.status == StopStatus.FAILED:
        return "failed", str(_("Not done"))
    return "planned", str(StopStatus(stop.status).label)


def plan_live(*, plan: DayPlan, since: int | None = None, concern_kinds: bool = False,
              now: datetime.datetime | None = None) -> dict:
    """What volunteers have done so far on a day: each stop's state (changed since the
    cursor `since`, or all), each volunteer's progress and last action, the late stops (the
    expected time passed without an arrival). Times are written in the branch's zone. Names
    of readers are not here (the page has them): no card is read. `concern_kinds` adds what
    the concern is about (librarians); its note stays on the card."""
    from backend.branches.models import branch_zone
    from backend.orders.models import FailReason
    from backend.routing.models import Concern

    zone = branch_zone(plan.branch)
    now = now or timezone.now()

    def clock(moment: datetime.datetime | None) -> str:
        return f"{moment.astimezone(zone):%H:%M}" if moment else ""

    routes = {r.pk: r for r in Route.objects.filter(plan=plan).select_related("volunteer__user")}
    stops = list(Stop.objects.filter(plan=plan, route__isnull=False)
                 .exclude(status=StopStatus.CANCELLED).order_by("route_id", "sequence", "id"))
    concerns: dict[int, Concern] = {}
    for concern in Concern.objects.filter(stop__plan=plan).order_by("created_at", "id"):
        concerns[concern.stop_id] = concern
    cursor = max([_micros(s.updated_at) for s in stops]
                 + [_micros(c.created_at) for c in concerns.values()] + [0])
    live, late, progress = [], [], {}
    for stop in stops:
        route = routes.get(stop.route_id)
        code, words = _state(stop, route)
        is_late = (code in ("planned", "on_the_way") and plan.status == PlanStatus.PUBLISHED
                   and stop.expected_arrival is not None and stop.expected_arrival < now
                   and route is not None and route.status != RouteStatus.FINISHED)
        if is_late:
            late.append(stop.pk)
        concern = concerns.get(stop.pk)
        row = progress.setdefault(stop.route_id, {"done": 0, "total": 0, "last": None})
        row["total"] += 1
        if code in ("done", "failed"):
            row["done"] += 1
        for moment, text in ((stop.arrived_at, _("arrived at stop %(stop)s")),
                             (stop.completed_at if code == "done" else None,
                              _("finished stop %(stop)s")),
                             (stop.completed_at if code == "failed" else None,
                              _("could not do stop %(stop)s")),
                             (concern.created_at if concern else None,
                              _("raised a concern at stop %(stop)s"))):
            if moment and (row["last"] is None or moment >= row["last"][0]):
                row["last"] = (moment, text % {"stop": stop.sequence})
        changed = since is None or _micros(stop.updated_at) > since or (
            concern is not None and _micros(concern.created_at) > since)
        if not changed:
            continue
        reason = ""
        if code == "failed" and stop.fail_reason:
            reason = str(FailReason(stop.fail_reason).label) \
                if stop.fail_reason in FailReason.values else str(_("Other"))
        live.append({
            "id": stop.pk, "route": stop.route_id, "state": code, "state_display": words,
            "reason": reason, "note": stop.note if code == "failed" else "",
            "arrived": clock(stop.arrived_at),
            "finished": clock(stop.completed_at) if code in ("done", "failed") else "",
            "expected": clock(stop.expected_arrival),
            "concern": None if concern is None else {
                "at": clock(concern.created_at),
                "kind": concern.get_kind_display() if concern_kinds else "",
            },
            "editable": stop.status == StopStatus.PLANNED,
        })
    volunteers = []
    for route_id, row in progress.items():
        route = routes[route_id]
        text = ngettext("%(done)s of %(n)s stop done", "%(done)s of %(n)s stops done",
                        row["total"]) % {"done": row["done"], "n": row["total"]}
        last = row["last"]
        volunteers.append({
            "route": route_id, "volunteer": route.volunteer_id, "name": str(route.volunteer),
            "done": row["done"], "total": row["total"], "progress": text,
            "last_action": f"{clock(last[0])} {last[1]}" if last else "",
        })
    counts = {code: sum(1 for s in stops if s.status == code) for code in StopStatus.values}
    return {
        "cursor": str(cursor), "now": clock(now), "zone": str(zone), "stops": live,
        "late": late, "volunteers": volunteers,
        "summary": {"done": counts[StopStatus.COMPLETED], "failed": counts[StopStatus.FAILED],
                    "open": counts[StopStatus.PLANNED] + counts[StopStatus.ARRIVED]},
    }
