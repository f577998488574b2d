"""Reads of standing plans: the plans themselves and the dates they give.

A plan's recurrence is one RFC 5545 RRULE (backend.core.recurrence): the plan's `starts_on`
is its DTSTART, `ends_on` an extra upper bound, pauses and Kazakhstan's public holidays the
exceptions. A date inside a pause is skipped. A date that falls on a public holiday is moved,
not dropped: the visit goes to the next working day (not a weekend, not a holiday) on which
the household is at home (its members' `availability`; with none recorded, any working day),
looked for within `MOVE_SEARCH_DAYS` days. Its window is the plan's window within that day's
home hours (the home hours themselves when they do not meet the plan's window). When no such
day comes first, or the day found is inside a pause, the visit is skipped and the reason said.
A moved visit that lands on another of the plan's dates is one visit, not two.
"""
from __future__ import annotations

import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.core.calendar import holiday_name, working_days
from backend.core.dates import longest_span, window_within
from backend.core.recurrence import RRuleError, rrule_dates, rrule_parse
from backend.plans.models import StandingPlan, StandingPlanPause
from backend.readers.models import Reader
from backend.readers.selectors import family_home_windows, home_windows

# How far after a holiday its visit may move.
MOVE_SEARCH_DAYS = 14


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


def standing_plan_home_hours(plan: StandingPlan) -> dict[int, list[tuple[str, str]]]:
    """Weekday -> [(start, end)] when someone of the plan's household is at home; empty when
    nobody recorded any (then every working day will do)."""
    if getattr(plan, "reader_id", None) is not None:
        return home_windows(plan.reader)
    return family_home_windows(getattr(plan, "family_card", None))


def _time(value: str | datetime.time) -> datetime.time:
    return value if isinstance(value, datetime.time) else datetime.time.fromisoformat(value)


def visit_window(window: tuple[datetime.time, datetime.time],
                 slots: list[tuple[str, str]]) -> tuple[datetime.time, datetime.time]:
    """The plan's `window` within the day's home hours `slots`: the longest overlap; with
    no overlap, the longest home slot (a volunteer comes when someone is in); with no home
    hours recorded, the plan's window."""
    if not slots:
        return window
    spans = [(_time(s), _time(e)) for s, e in slots]
    return window_within(window, spans) or longest_span(spans)


def _day_month(day: datetime.date) -> str:
    text = date_format(day, "j E")
    return text.lower() if (translation.get_language() or "").startswith("kk") else text


def moved_note(moved_from: datetime.date, holiday: str) -> str:
    """`перенесено с 16 декабря — День Независимости` in the active language."""
    return _("moved from %(date)s — %(holiday)s") % {"date": _day_month(moved_from),
                                                      "holiday": holiday}


def _move_target(day: datetime.date, hours: dict, pauses: list):
    """(the day the visit moves to, its home slots) or (None, the pause it ran into)."""
    for candidate in working_days(day + datetime.timedelta(days=1), MOVE_SEARCH_DAYS):
        pause = next((p for p in pauses if p.starts_on <= candidate <= p.ends_on), None)
        if pause is not None:
            return None, pause
        if hours and candidate.weekday() not in hours:
            continue
        return candidate, hours.get(candidate.weekday(), [])
    return None, None


def standing_plan_calendar(plan: StandingPlan, start: datetime.date, end: datetime.date,
                           *, home_hours: dict | None = None) -> list[dict]:
    """The plan's visits and skipped dates in [start, end], by date. Each entry: `date`,
    `skipped`, `reason` ("pause", "holiday" or None), `note` (the pause's reason, or what
    the holiday did: "moved from 16 December — Independence Day"), `pause`, `moved_from`
    (the holiday the visit moved from, or None), `holiday` (its name), `merged` (the moved
    visit joined another of the plan's visits) and the visit's `window_start`/`window_end`.

    A visit moved off a holiday is listed on the day it moved to; see the module's
    docstring for the rules. `starts_on`/`ends_on` bound the rule's dates. `home_hours`
    (as `standing_plan_home_hours` gives them) saves reading them again.
    """
    first = max(start - datetime.timedelta(days=MOVE_SEARCH_DAYS), plan.starts_on)
    last = end if plan.ends_on is None else min(end, plan.ends_on)
    try:
        _text, recurrence = rrule_parse(plan.rrule, plan.starts_on)
    except RRuleError:
        return []  # a rule saved before validation existed; the services refuse new ones
    pauses = list(plan.pauses.all())
    window = (getattr(plan, "window_start", None), getattr(plan, "window_end", None))
    hours = home_hours
    by_date: dict[datetime.date, dict] = {}
    for day in rrule_dates(recurrence, first, last):
        pause = next((p for p in pauses if p.starts_on <= day <= p.ends_on), None)
        holiday = holiday_name(day)
        entry = {"date": day, "skipped": False, "reason": None, "note": "", "pause": None,
                 "moved_from": None, "holiday": "", "merged": False,
                 "window_start": window[0], "window_end": window[1]}
        if pause is not None:
            entry.update(skipped=True, reason="pause", note=pause.reason, pause=pause.id)
        elif holiday is not None:
            if hours is None:
                hours = standing_plan_home_hours(plan)
            target, found = _move_target(day, hours, pauses)
            entry.update(reason="holiday", holiday=holiday)
            if target is None and found is not None:  # the next day is inside a pause
                entry.update(skipped=True, reason="pause", pause=found.id,
                             note=f"{holiday}; {found.reason}" if found.reason else holiday)
            elif target is None:
                entry.update(skipped=True, note=ngettext(
                    "%(holiday)s; nobody at home on a working day in the next %(days)d day",
                    "%(holiday)s; nobody at home on a working day in the next %(days)d days",
                    MOVE_SEARCH_DAYS) % {"holiday": holiday, "days": MOVE_SEARCH_DAYS})
            else:
                if window[0] is not None and window[1] is not None:
                    entry["window_start"], entry["window_end"] = visit_window(window, found)
                entry.update(date=target, moved_from=day, note=moved_note(day, holiday))
        if not start <= entry["date"] <= end:
            continue
        there = by_date.get(entry["date"])
        if there is None or there["skipped"]:
            by_date[entry["date"]] = entry
        elif not entry["skipped"]:
            # Two visits on one day are one visit: the moved one's story, the day's window.
            moved, plain = (entry, there) if entry["moved_from"] else (there, entry)
            by_date[entry["date"]] = {**moved, "merged": True,
                                      "window_start": plain["window_start"],
                                      "window_end": plain["window_end"]}
    return [by_date[day] for day in sorted(by_date)]


def standing_plan_occurrences(plan: StandingPlan, start: datetime.date,
                              end: datetime.date) -> list[datetime.date]:
    """The visit dates in [start, end] the plan produces: without its pauses, and with a
    visit that fell on a public holiday moved to its next working day at home."""
    return [e["date"] for e in standing_plan_calendar(plan, start, end) if not e["skipped"]]


def standing_plan_next_visits(plan: StandingPlan, *, start: datetime.date, days: int = 21,
                              home_hours: dict | None = None) -> list[dict]:
    """The plan's visits in the `days` from `start`, for the phone desk: each `date`, its
    window and, for a visit moved off a public holiday, `moved_from` and `note` ("moved
    from 16 December — Independence Day"). None while the plan is stopped."""
    if not plan.active:
        return []
    end = start + datetime.timedelta(days=days - 1)
    return [{"date": e["date"], "window_start": e["window_start"],
             "window_end": e["window_end"], "moved_from": e["moved_from"], "note": e["note"]}
            for e in standing_plan_calendar(plan, start, end, home_hours=home_hours)
            if not e["skipped"]]


def desk_plan_visits(plan: StandingPlan, reader: Reader | None = None) -> list[dict]:
    """The phone desk's view of a plan's next three weeks (registered with
    `orders.desk.plan_visits_provider_add`); `reader` is the card on screen, whose household
    the plan serves."""
    if reader is None:
        return standing_plan_next_visits(plan, start=timezone.localdate())
    return standing_plan_next_visits(plan, start=reader.branch.today(),
                                     home_hours=home_windows(reader))
