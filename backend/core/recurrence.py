"""Recurrence rules: one RFC 5545 RRULE per standing plan or volunteer shift.

A rule is given without DTSTART, EXDATE or RDATE lines: the plan's or shift's `starts_on` is
its DTSTART and `ends_on` an extra upper bound (pauses, absences and holidays are the
owners' business). Rules are counted in local days: FREQ is DAILY or coarser.

Only dateutil's public API is used (`rrulestr`, `rrule.replace`, `rrule.xafter`); what a rule
says is read from its own text, which `rrule_parse` has checked part by part. The expansion
is bounded: dateutil looks for the next occurrence up to the year 9999, which for a rule
that never matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) takes seconds, so the dates a rule
can give in a range are first found here by walking only the periods the range spans, and
dateutil is asked only up to the last of them.
"""
from __future__ import annotations

import calendar
import datetime
import warnings
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RULE_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
)
PART_ORDER = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT",
              "UNTIL")
HORIZON_DAYS = 731  # "a date within the next two years"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class RRuleError(ValueError):
    """A rule that cannot be used; the message is translated and says why."""


@dataclass(frozen=True)
class Recurrence:
    """A checked rule: its normal text, its parts, its first day and dateutil's rule."""

    text: str
    parts: dict[str, str]
    starts_on: datetime.date
    rule: Any = field(compare=False)


def rule_parts(text: str) -> dict[str, str]:
    """The rule's parts by name (upper case, UNTIL as a date YYYYMMDD); RRuleError when a
    plan or a shift cannot use it."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise RRuleError(_("Give a recurrence rule, for example FREQ=WEEKLY;BYDAY=TU."))
    if any(ch in text for ch in ":\r\n"):
        raise RRuleError(
            _("Give the RRULE only, for example FREQ=WEEKLY;INTERVAL=2;BYDAY=TU; the start "
              "date is the plan's start date.")
        )
    parts: dict[str, str] = {}
    for chunk in text.upper().replace(" ", "").strip(";").split(";"):
        name, sep, value = chunk.partition("=")
        if not sep or not name or not value:
            raise RRuleError(_("“%(part)s” is not NAME=VALUE.") % {"part": chunk})
        if name in parts:
            raise RRuleError(_("%(name)s is given twice.") % {"name": name})
        parts[name] = value
    unknown = sorted(set(parts) - RULE_PARTS)
    if unknown:
        raise RRuleError(
            _("%(names)s cannot be used in a visit plan; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, "
              "BYMONTH, BYSETPOS, COUNT, UNTIL or WKST.") % {"names": ", ".join(unknown)}
        )
    freq = parts.get("FREQ")
    if freq is None:
        raise RRuleError(_("FREQ is missing, for example FREQ=WEEKLY."))
    if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        raise RRuleError(
            _("Visits are planned by the day: FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY, "
              "not %(freq)s.") % {"freq": freq}
        )
    if freq not in FREQUENCIES:
        raise RRuleError(_("Unknown FREQ %(freq)s.") % {"freq": freq})
    if "COUNT" in parts and "UNTIL" in parts:
        raise RRuleError(_("Give COUNT or UNTIL, not both."))
    if "UNTIL" in parts:
        # Plans are in local days: an UNTIL in UTC ("...Z") or with a time counts as its day.
        until = parts["UNTIL"].rstrip("Z")
        if len(until) not in (8, 15) or not until[:8].isdigit():
            raise RRuleError(_("UNTIL must be a date such as 20271231."))
        parts["UNTIL"] = until[:8]
    for name, low, high in (("INTERVAL", 1, 366), ("COUNT", 1, 10000)):
        value = parts.get(name)
        if value is not None and (not value.isdigit() or not low <= int(value) <= high):
            raise RRuleError(
                _("%(name)s must be a whole number from %(low)s to %(high)s.")
                % {"name": name, "low": low, "high": high}
            )
    for name, limit, negative in (("BYMONTH", 12, False), ("BYMONTHDAY", 31, True),
                                  ("BYSETPOS", 366, True)):
        for value in parts.get(name, "").split(",") if name in parts else ():
            number = value.lstrip("+")
            if negative and number.startswith("-"):
                number = number[1:]
            if not number.isdigit() or not 1 <= int(number) <= limit:
                raise RRuleError(
                    _("%(name)s: “%(value)s” is not a number from 1 to %(limit)s%(neg)s.")
                    % {"name": name, "value": value, "limit": limit,
                       "neg": _(" (or -1 to -%(limit)s)") % {"limit": limit} if negative else ""}
                )
    nth_days = [d for d in parts.get("BYDAY", "").split(",") if d[:-2]]
    if nth_days:
        if freq not in ("MONTHLY", "YEARLY"):
            raise RRuleError(
                _("A numbered weekday such as 1MO needs FREQ=MONTHLY or FREQ=YEARLY.")
            )
        limit = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
        for day in nth_days:
            number = day[:-2].lstrip("+")
            if not number.lstrip("-").isdigit() or not 1 <= abs(int(number)) <= limit:
                raise RRuleError(
                    _("%(day)s: the number before the weekday must be 1 to %(limit)s or "
                      "-1 to -%(limit)s.") % {"day": day, "limit": limit}
                )
    if "BYSETPOS" in parts:
        if freq not in ("MONTHLY", "YEARLY"):
            raise RRuleError(_("BYSETPOS needs FREQ=MONTHLY or FREQ=YEARLY."))
        if nth_days:
            raise RRuleError(_("Use either a numbered weekday (1MO) or BYSETPOS, not both."))
    return parts


def rrule_parse(text: str, starts_on: datetime.date) -> tuple[str, Recurrence]:
    """(normalised text, the checked rule) for a rule starting on `starts_on`.

    Raises RRuleError (a translated message) for a rule a plan or a shift cannot use.
    """
    from dateutil.rrule import rrulestr

    parts = rule_parts(text)
    normalised = ";".join(f"{name}={parts[name]}" for name in PART_ORDER if name in parts)
    dtstart = datetime.datetime.combine(starts_on, datetime.time())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rule = rrulestr(normalised, dtstart=dtstart)
    except (ValueError, TypeError, IndexError, KeyError, Warning) as exc:
        raise RRuleError(_("Not a valid RRULE: %(error)s") % {"error": exc}) from exc
    return normalised, Recurrence(text=normalised, parts=parts, starts_on=starts_on, rule=rule)


def _numbers(parts: dict[str, str], name: str) -> list[int]:
    return [int(value) for value in parts[name].split(",")] if name in parts else []


def _month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True)
class _Filters:
    """What a rule keeps of a period, defaults included as RFC 5545 (and dateutil) give
    them: a WEEKLY rule without BYDAY keeps the start's weekday, a MONTHLY one without BYDAY
    or BYMONTHDAY the start's day of the month, a YEARLY one also the start's month."""

    months: frozenset[int]
    weekdays: frozenset[int]
    nth: tuple[tuple[int, int], ...]  # (weekday, n): the n-th such weekday, from the end if < 0
    monthdays: frozenset[int]  # 1..31 and -1..-31
    setpos: tuple[int, ...]


def _filters(recurrence: Recurrence) -> _Filters:
    parts, first = recurrence.parts, recurrence.starts_on
    freq = parts["FREQ"]
    months = set(_numbers(parts, "BYMONTH"))
    monthdays = set(_numbers(parts, "BYMONTHDAY"))
    weekdays: set[int] = set()
    nth: list[tuple[int, int]] = []
    for day in parts["BYDAY"].split(",") if "BYDAY" in parts else ():
        weekday = WEEKDAYS.index(day[-2:])
        if day[:-2] and freq in ("MONTHLY", "YEARLY"):
            nth.append((weekday, int(day[:-2])))
        else:
            weekdays.add(weekday)
    if "BYDAY" not in parts and "BYMONTHDAY" not in parts:
        if freq == "YEARLY":
            months = months or {first.month}
            monthdays = {first.day}
        elif freq == "MONTHLY":
            monthdays = {first.day}
        elif freq == "WEEKLY":
            weekdays = {first.weekday()}
    return _Filters(frozenset(months), frozenset(weekdays), tuple(nth), frozenset(monthdays),
                    tuple(_numbers(parts, "BYSETPOS")))


def _nth_days(filters: _Filters, ranges: list[list[datetime.date]]) -> set[datetime.date]:
    """The numbered weekdays (1MO, -1FR) counted inside each range (a month or a year)."""
    chosen = set()
    for days in ranges:
        for weekday, n in filters.nth:
            same = [day for day in days if day.weekday() == weekday]
            index = n - 1 if n > 0 else n
            if -len(same) <= index < len(same):
                chosen.add(same[index])
    return chosen


def _periods(recurrence: Recurrence, start: datetime.date, end: datetime.date):
    """The periods (lists of days) that FREQ and INTERVAL give from the rule's first day,
    up to `end`; each with the ranges numbered weekdays count in."""
    parts, first = recurrence.parts, recurrence.starts_on
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    one = datetime.timedelta(days=1)
    if freq == "DAILY":
        offset = max(0, (start - first).days)
        day = first + datetime.timedelta(days=offset + (-offset) % interval)
        while day <= end:
            yield [day], []
            day += datetime.timedelta(days=interval)
    elif freq == "WEEKLY":
        wkst = WEEKDAYS.index(parts.get("WKST", "MO"))
        week = first - datetime.timedelta(days=(first.weekday() - wkst) % 7)
        while week <= end:
            yield [week + one * i for i in range(7)], []
            week += datetime.timedelta(days=7 * interval)
    elif freq == "MONTHLY":
        year, month = first.year, first.month
        while datetime.date(year, month, 1) <= end:
            days = [datetime.date(year, month, d) for d in range(1, _month_length(year, month) + 1)]
            yield days, [days]
            month += interval
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    else:
        months = _numbers(parts, "BYMONTH")
        year = first.year
        while datetime.date(year, 1, 1) <= end:
            base = datetime.date(year, 1, 1)
            days = [base + one * i for i in range((datetime.date(year + 1, 1, 1) - base).days)]
            ranges = [[d for d in days if d.month == m] for m in months] if months else [days]
            yield days, ranges
            year += interval


def _candidates(recurrence: Recurrence, start: datetime.date,
                end: datetime.date) -> list[datetime.date]:
    """The dates in [start, end] the rule gives, found without dateutil's iterator and
    without COUNT and UNTIL (so a superset when either is given)."""
    filters = _filters(recurrence)
    first = recurrence.starts_on

    def matches(day: datetime.date, nth: set) -> bool:
        if filters.months and day.month not in filters.months:
            return False
        if filters.weekdays and day.weekday() not in filters.weekdays:
            return False
        if filters.nth and day not in nth:
            return False
        if filters.monthdays:
            negative = day.day - _month_length(day.year, day.month) - 1
            if day.day not in filters.monthdays and negative not in filters.monthdays:
                return False
        return True

    found = []
    for days, ranges in _periods(recurrence, start, end):
        if days[-1] < start:
            continue
        nth = _nth_days(filters, ranges) if filters.nth else set()
        hits = [day for day in days if matches(day, nth)]
        if filters.setpos:
            chosen = set()
            for pos in filters.setpos:
                index = pos - 1 if pos > 0 else pos
                if -len(hits) <= index < len(hits):
                    chosen.add(hits[index])
            hits = sorted(chosen)
        found.extend(day for day in hits if first <= day and start <= day <= end)
    return found


def rrule_dates(recurrence: Recurrence, start: datetime.date,
                end: datetime.date) -> list[datetime.date]:
    """The dates in [start, end] (both included) a checked rule gives."""
    if end < start:
        return []
    candidates = _candidates(recurrence, start, end)
    if not candidates:
        return []
    # The last candidate is an occurrence (or COUNT/UNTIL end the rule before it), so
    # dateutil stops there instead of looking on to the year 9999.
    last = candidates[-1]
    low = datetime.datetime.combine(start, datetime.time())
    seen: dict[datetime.date, None] = {}
    for moment in recurrence.rule.xafter(low, inc=True):
        day = moment.date()
        if day > last:
            break
        seen.setdefault(day, None)
        if day == last:
            break
    return list(seen)


def rrule_check(
    *, rrule: str, starts_on: datetime.date, ends_on: datetime.date | None = None,
    today: datetime.date | None = None, code: str = "plan.invalid_rrule",
) -> str:
    """The rule in normal form, or ApplicationError `code` naming the `rrule` field.

    Refused: anything but one RRULE line, FREQ finer than DAILY, COUNT with UNTIL, parts a
    visit cannot use (BYHOUR...), and a rule that gives no date within two years of the
    later of today and `starts_on` (nor before `ends_on`).
    """
    def refuse(message) -> ApplicationError:
        return ApplicationError(
            code,
            _("The recurrence (rrule) is not usable: %(why)s") % {"why": message},
            fields={"rrule": [message]},
        )

    try:
        text, recurrence = rrule_parse(rrule, starts_on)
    except RRuleError as exc:
        raise refuse(str(exc)) from exc
    today = today or timezone.localdate()
    first = max(today, starts_on)
    last = first + datetime.timedelta(days=HORIZON_DAYS)
    if ends_on is not None:
        last = min(last, ends_on)
    if not rrule_dates(recurrence, first, last):
        raise refuse(_("it gives no visit date within two years (between %(start)s and "
                       "%(end)s).") % {"start": first.isoformat(), "end": last.isoformat()})
    return text
