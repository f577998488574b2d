"""Reads of day plans and routes, in a fixed number of queries."""
from django.db.models import F, Prefetch, QuerySet

from backend.routing.models import DayPlan, Route, Stop, StopStatus


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
