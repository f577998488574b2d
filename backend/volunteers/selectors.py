"""Reads of volunteers and of when they are free, shared by the staff API, the planner and
(later) the volunteers' mobile API.

When a volunteer works: each shift is an RFC 5545 RRULE whose DTSTART is the shift's
`starts_on`, bounded by `ends_on`, with the shift's hours on every date it gives. Rules are
parsed and expanded by backend.core.recurrence (as standing plans' rules are), in Python,
on shifts already fetched, so a whole branch costs a fixed number of queries.

A day inside an absence has no windows. Kazakhstan's public holidays do NOT cancel shifts:
a volunteer may choose to work on a holiday, and a shift that should not run on one is
ended or paused with an absence. (Standing plans, by contrast, skip holidays, so usually
there is little to deliver on those days anyway.)
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from datetime import date, time
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast

from backend.core.phones import digits_of, to_e164
from backend.core.recurrence import RRuleError, rrule_dates, rrule_parse
from backend.core.text import fold, search_tokens
from backend.volunteers.models import Absence, Shift, Volunteer

if TYPE_CHECKING:
    from backend.branches.models import Branch

Window = tuple[time, time]


def volunteer_queryset() -> QuerySet[Volunteer]:
    """Volunteers with their account, branch, shifts and absences: 3 queries for any number."""
    return Volunteer.objects.select_related("user", "branch").prefetch_related(
        Prefetch("shifts", queryset=Shift.objects.order_by("starts_on", "start_time", "id")),
        Prefetch("absences", queryset=Absence.objects.order_by("starts_on", "id")),
    )


def _phone_q(text: str) -> Q | None:
    """A phone in any form, or its last 7+ digits."""
    digits = digits_of(text)
    if len(digits) < 7:
        return None
    condition = Q(user__phone__endswith=digits[-7:]) if len(digits) < 10 else Q()
    e164 = to_e164(text)
    if e164:
        condition |= Q(user__phone=e164)
    elif len(digits) >= 10:
        condition |= Q(user__phone__endswith=digits[-10:])
    return condition


def _name_matches(query: str) -> list[int]:
    """Ids of volunteers whose name or username has every word of `query`, in any case.

    Folded in Python: SQLite's LIKE does not fold Cyrillic or Kazakh letters, and volunteers
    are few (hundreds in a city), so one narrow query is enough.
    """
    tokens = search_tokens(query)
    rows = Volunteer.objects.values_list("id", "user__first_name", "user__last_name",
                                         "user__username")
    found = []
    for pk, first, last, username in rows:
        text = fold(f"{first} {last} {username}")
        if all(token in text for token in tokens):
            found.append(pk)
    return found


def volunteer_search_q(query: str) -> Q:
    query = (query or "").strip()
    if not query:
        return Q()
    by_phone = _phone_q(query)
    if by_phone is not None and not any(ch.isalpha() for ch in query):
        return by_phone
    return Q(pk__in=_name_matches(query))


def volunteer_list(*, filters: dict | None = None) -> QuerySet[Volunteer]:
    """Filters: branch, active, transport, language (kk/ru), q (name or phone in any form)."""
    filters = filters or {}
    qs = volunteer_queryset()
    if filters.get("branch"):
        qs = qs.filter(branch=filters["branch"])
    if filters.get("active") is not None:
        qs = qs.filter(active=filters["active"])
    if filters.get("transport"):
        qs = qs.filter(transport=filters["transport"])
    if filters.get("language"):
        # JSON `contains` is not available on SQLite; the list's text is the same everywhere.
        qs = qs.annotate(languages_text=Cast("languages", output_field=TextField())).filter(
            languages_text__contains=f'"{filters["language"]}"'
        )
    if filters.get("q"):
        qs = qs.filter(volunteer_search_q(filters["q"]))
    return qs


def volunteer_users_without_profile() -> QuerySet:
    """Accounts in the volunteer group that have no profile yet (to link one)."""
    from backend.core.roles import Role

    return get_user_model().objects.filter(groups__name=Role.VOLUNTEER, volunteer__isnull=True)


# When a volunteer works ------------------------------------------------------------------------


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """Sorted windows with overlapping or touching ones joined: 9–13 and 12–15 -> 9–15."""
    merged: list[list[time]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def shift_dates(shift: Shift, start: date, end: date) -> set[date]:
    """The dates in [start, end] on which the shift runs (its RRULE from `starts_on`,
    bounded by `ends_on`)."""
    start = max(start, shift.starts_on)
    if shift.ends_on is not None:
        end = min(end, shift.ends_on)
    if end < start:
        return set()
    rule = getattr(shift, "_kniga_rule", None)
    if rule is None:
        try:
            _text, rule = rrule_parse(shift.rrule, shift.starts_on)
        except RRuleError:
            return set()  # a rule saved around the services; they refuse new ones
        shift._kniga_rule = rule
    return set(rrule_dates(rule, start, end))


def _absent_days(volunteer: Volunteer, start: date, end: date) -> set[date]:
    days: set[date] = set()
    for absence in volunteer.absences.all():
        first, last = max(start, absence.starts_on), min(end, absence.ends_on)
        while first <= last:
            days.add(first)
            first += datetime.timedelta(days=1)
    return days


def volunteer_calendar(volunteer: Volunteer, start: date, end: date) -> list[dict]:
    """Each day in [start, end]: {"date", "windows": [(start, end)], "absence": Absence|None}.

    Uses the volunteer's prefetched shifts and absences (see volunteer_queryset).
    """
    shifts = list(volunteer.shifts.all())
    absences = list(volunteer.absences.all())
    runs = {shift.pk: shift_dates(shift, start, end) for shift in shifts}
    days = []
    day = start
    while day <= end:
        absence = next((a for a in absences if a.starts_on <= day <= a.ends_on), None)
        windows: list[Window] = []
        if absence is None:
            windows = merge_windows((s.start_time, s.end_time) for s in shifts
                                    if day in runs[s.pk])
        days.append({"date": day, "windows": windows, "absence": absence})
        day += datetime.timedelta(days=1)
    return days


def volunteer_windows(volunteer: Volunteer, day: date) -> list[Window]:
    """The volunteer's working hours on `day`: their shifts' hours that day, merged where
    they overlap or touch; empty on a day of absence. Holidays do not cancel shifts."""
    return volunteer_calendar(volunteer, day, day)[0]["windows"]


def volunteers_available(branch: Branch, day: date) -> list[tuple[Volunteer, list[Window]]]:
    """Active volunteers of `branch` (a Branch or its id) who work on `day`, with their
    windows, in name order. Three queries whatever the number of volunteers."""
    result = []
    for volunteer in volunteer_queryset().filter(branch=branch, active=True):
        windows = volunteer_windows(volunteer, day)
        if windows:
            result.append((volunteer, windows))
    return result
