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
