"""Reads of standing plans: the plans themselves and the dates they give.

A plan's recurrence is one RFC 5545 RRULE (backend.core.recurrence): the plan's `starts_on`
is its DTSTART, `ends_on` an extra upper bound, pauses and Kazakhstan's public holidays the
exceptions. A date that falls on a holiday is skipped, not moved: the next visit is the
rule's next date.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from backend.core.calendar import holiday_name
from backend.core.recurrence import RRuleError, rrule_dates, rrule_parse
from backend.plans.models import StandingPlan, StandingPlanPause

if TYPE_CHECKING:
    import datetime


def standing_plan_queryset() -> QuerySet:
    return StandingPlan.objects.select_related(
        "reader", "reader__branch", "family_card", "family_card__head", "family_card__branch",
    ).prefetch_related(
        Prefetch("pauses", queryset=StandingPlanPause.objects.order_by("starts_on", "id"))
    )


def standing_plan_list(*, filters: dict | None = None) -> QuerySet:
    filters = filters or {}
    qs = standing_plan_queryset()
    for name in ("reader", "family_card"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("active") is not None:
        qs = qs.filter(active=filters["active"])
    return qs.order_by("id")


def standing_plan_calendar(plan: StandingPlan, start: datetime.date,
                           end: datetime.date) -> list[dict]:
    """Every date in [start, end] the plan's rule gives, each marked `skipped` with a
    `reason` ("pause" or "holiday") and a `note` (the pause's reason, the holiday's name).

    Holidays are skipped, not moved. `starts_on`/`ends_on` bound the dates.
    """
    start = max(start, plan.starts_on)
    if plan.ends_on is not None:
        end = min(end, plan.ends_on)
    try:
        _text, recurrence = rrule_parse(plan.rrule, plan.starts_on)
    except RRuleError:
        return []  # a rule saved before validation existed; the services refuse new ones
    pauses = list(plan.pauses.all())
    result = []
    for day in rrule_dates(recurrence, start, end):
        pause = next((p for p in pauses if p.starts_on <= day <= p.ends_on), None)
        holiday = holiday_name(day)
        if pause is not None:
            entry = {"date": day, "skipped": True, "reason": "pause", "note": pause.reason,
                     "pause": pause.id}
        elif holiday is not None:
            entry = {"date": day, "skipped": True, "reason": "holiday", "note": holiday,
                     "pause": None}
        else:
            entry = {"date": day, "skipped": False, "reason": None, "note": "", "pause": None}
        result.append(entry)
    return result


def standing_plan_occurrences(plan: StandingPlan, start: datetime.date, end: datetime.date) -> list:
    """The dates in [start, end] the plan produces, without its pauses and without
    Kazakhstan's public holidays (a holiday is skipped, not moved to another day)."""
    return [e["date"] for e in standing_plan_calendar(plan, start, end) if not e["skipped"]]
