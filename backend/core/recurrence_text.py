"""Recurrence rules as people say them: "каждый вторник", "1-й и 3-й понедельник месяца".

`rrule_describe` turns a rule that `backend.core.recurrence.rule_parts` accepts into a
sentence in the active language (ru, kk, en), through the catalogues, plurals by ngettext.
The common rules (the ones the recurrence picker builds, and a few more) get their own
wording; any other rule the checker accepts gets a general sentence built from its period
("каждый месяц, в особые дни"), never its text. The sentence starts in lower case, so that
it can stand inside another one; `capfirst` it where it starts a line.

The weekday tables are written out in full because the words change with the weekday in
Russian (каждый вторник, каждую среду, каждое воскресенье; 1-й понедельник, 1-я среда).
"""
from __future__ import annotations

import datetime

from django.utils.dates import MONTHS, MONTHS_ALT
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext_lazy
from django.utils.translation import gettext as _

from backend.core.recurrence import WEEKDAYS, RRuleError, rule_parts

EVERY_WEEKDAY = (
    gettext_lazy("every Monday"), gettext_lazy("every Tuesday"),
    gettext_lazy("every Wednesday"), gettext_lazy("every Thursday"),
    gettext_lazy("every Friday"), gettext_lazy("every Saturday"), gettext_lazy("every Sunday"),
)
EVERY_SECOND_WEEKDAY = (
    gettext_lazy("every second Monday"), gettext_lazy("every second Tuesday"),
    gettext_lazy("every second Wednesday"), gettext_lazy("every second Thursday"),
    gettext_lazy("every second Friday"), gettext_lazy("every second Saturday"),
    gettext_lazy("every second Sunday"),
)
# "on Mondays, Wednesdays and Fridays": one weekday of such a list.
ON_WEEKDAYS = (
    pgettext_lazy("on … (a list of weekdays)", "Mondays"),
    pgettext_lazy("on … (a list of weekdays)", "Tuesdays"),
    pgettext_lazy("on … (a list of weekdays)", "Wednesdays"),
    pgettext_lazy("on … (a list of weekdays)", "Thursdays"),
    pgettext_lazy("on … (a list of weekdays)", "Fridays"),
    pgettext_lazy("on … (a list of weekdays)", "Saturdays"),
    pgettext_lazy("on … (a list of weekdays)", "Sundays"),
)
# "the 1st and 3rd Monday": the weekday after its ordinals.
NTH_WEEKDAY = (
    gettext_lazy("%(ordinals)s Monday"), gettext_lazy("%(ordinals)s Tuesday"),
    gettext_lazy("%(ordinals)s Wednesday"), gettext_lazy("%(ordinals)s Thursday"),
    gettext_lazy("%(ordinals)s Friday"), gettext_lazy("%(ordinals)s Saturday"),
    gettext_lazy("%(ordinals)s Sunday"),
)
# The ordinals before each weekday (1st … 5th, last): Russian ones agree with the weekday.
ORDINALS = (
    {1: pgettext_lazy("of a Monday", "1st"), 2: pgettext_lazy("of a Monday", "2nd"),
     3: pgettext_lazy("of a Monday", "3rd"), 4: pgettext_lazy("of a Monday", "4th"),
     5: pgettext_lazy("of a Monday", "5th"), -1: pgettext_lazy("of a Monday", "last")},
    {1: pgettext_lazy("of a Tuesday", "1st"), 2: pgettext_lazy("of a Tuesday", "2nd"),
     3: pgettext_lazy("of a Tuesday", "3rd"), 4: pgettext_lazy("of a Tuesday", "4th"),
     5: pgettext_lazy("of a Tuesday", "5th"), -1: pgettext_lazy("of a Tuesday", "last")},
    {1: pgettext_lazy("of a Wednesday", "1st"), 2: pgettext_lazy("of a Wednesday", "2nd"),
     3: pgettext_lazy("of a Wednesday", "3rd"), 4: pgettext_lazy("of a Wednesday", "4th"),
     5: pgettext_lazy("of a Wednesday", "5th"), -1: pgettext_lazy("of a Wednesday", "last")},
    {1: pgettext_lazy("of a Thursday", "1st"), 2: pgettext_lazy("of a Thursday", "2nd"),
     3: pgettext_lazy("of a Thursday", "3rd"), 4: pgettext_lazy("of a Thursday", "4th"),
     5: pgettext_lazy("of a Thursday", "5th"), -1: pgettext_lazy("of a Thursday", "last")},
    {1: pgettext_lazy("of a Friday", "1st"), 2: pgettext_lazy("of a Friday", "2nd"),
     3: pgettext_lazy("of a Friday", "3rd"), 4: pgettext_lazy("of a Friday", "4th"),
     5: pgettext_lazy("of a Friday", "5th"), -1: pgettext_lazy("of a Friday", "last")},
    {1: pgettext_lazy("of a Saturday", "1st"), 2: pgettext_lazy("of a Saturday", "2nd"),
     3: pgettext_lazy("of a Saturday", "3rd"), 4: pgettext_lazy("of a Saturday", "4th"),
     5: pgettext_lazy("of a Saturday", "5th"), -1: pgettext_lazy("of a Saturday", "last")},
    {1: pgettext_lazy("of a Sunday", "1st"), 2: pgettext_lazy("of a Sunday", "2nd"),
     3: pgettext_lazy("of a Sunday", "3rd"), 4: pgettext_lazy("of a Sunday", "4th"),
     5: pgettext_lazy("of a Sunday", "5th"), -1: pgettext_lazy("of a Sunday", "last")},
)
WORKDAYS = frozenset(range(5))
# The API's `rrule_text` next to `rrule` (plans, shifts, the desk card).
RRULE_TEXT_HELP = gettext_lazy(
    "The rule as a sentence in the request's language, e.g. “every second Tuesday”; "
    "read-only.")


def join_words(items: list[str]) -> str:
    """"a, b and c" in the active language."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _date(day: datetime.date) -> str:
    return day.strftime("%d.%m.%Y")


def period_phrase(freq: str, n: int) -> str:
    """The period alone: "каждый месяц", "раз в 2 недели"."""
    if n == 1:
        return {"DAILY": _("every day"), "WEEKLY": _("every week"),
                "MONTHLY": _("every month"), "YEARLY": _("every year")}[freq]
    if freq == "DAILY":
        return ngettext("every %(n)s day", "every %(n)s days", n) % {"n": n}
    if freq == "WEEKLY":
        return ngettext("every %(n)s week", "every %(n)s weeks", n) % {"n": n}
    if freq == "MONTHLY":
        return ngettext("every %(n)s month", "every %(n)s months", n) % {"n": n}
    return ngettext("every %(n)s year", "every %(n)s years", n) % {"n": n}


def _then(every: str, what: str) -> str:
    return _("%(every)s, %(what)s") % {"every": every, "what": what}


def _weekdays(days: list[int], interval: int) -> str:
    """Plain weekdays every week or every `interval` weeks."""
    days = sorted(set(days))
    if interval == 1:
        if len(days) == 7:
            return _("every day")
        if len(days) == 1:
            return str(EVERY_WEEKDAY[days[0]])
        if set(days) == WORKDAYS:
            return _("Monday to Friday")
    elif interval == 2 and len(days) == 1:
        return str(EVERY_SECOND_WEEKDAY[days[0]])
    listed = join_words([ON_WEEKDAYS[day] for day in days])
    if interval == 1:
        return _("on %(days)s") % {"days": listed}
    return ngettext("every %(n)s week on %(days)s", "every %(n)s weeks on %(days)s",
                    interval) % {"n": interval, "days": listed}


def _nth_weekdays(nth: list[tuple[int, int]]) -> str | None:
    """"the 1st and 3rd Monday of the month" for (weekday, n) pairs; None for others."""
    if any(n not in ORDINALS[0] for _day, n in nth):
        return None
    groups = []
    for weekday in range(7):
        numbers = sorted({n for day, n in nth if day == weekday}, key=lambda n: (n < 0, n))
        if numbers:
            ordinals = join_words([ORDINALS[weekday][n] for n in numbers])
            groups.append(str(NTH_WEEKDAY[weekday]) % {"ordinals": ordinals})
    return _("%(days)s of the month") % {"days": join_words(groups)}


def _month_days(days: list[int]) -> str | None:
    """"15-го числа", "1-го и 15-го числа", "в последний день месяца"; None for others."""
    if days == [-1]:
        return _("on the last day of the month")
    if not days or any(day < 1 for day in days):
        return None
    days = sorted(set(days))
    listed = join_words([pgettext_lazy("a day of the month in a list", "%(day)s") % {"day": day}
                         for day in days])
    return ngettext("on day %(days)s", "on days %(days)s", len(days)) % {"days": listed}


def _every_month_on(days: list[int]) -> str | None:
    if days == [-1]:
        return _("on the last day of every month")
    if not days or any(day < 1 for day in days):
        return None
    days = sorted(set(days))
    listed = join_words([pgettext_lazy("a day of the month in a list", "%(day)s") % {"day": day}
                         for day in days])
    return ngettext("every month on day %(days)s", "every month on days %(days)s",
                    len(days)) % {"days": listed}


def _month_name(name) -> str:
    # Russian and Kazakh write month names in lower case inside a sentence; English does not.
    return str(name) if get_language() == "en" else str(name).lower()


def _months(months: list[int]) -> str:
    return join_words([_month_name(MONTHS[m]) for m in sorted(set(months))])


def _numbers(parts: dict[str, str], name: str) -> list[int]:
    return [int(value) for value in parts[name].split(",")] if name in parts else []


def _body(parts: dict[str, str], starts_on: datetime.date | None) -> str | None:
    """The rule without its end and month limits, or None when it has no wording."""
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    plain, nth = [], []
    for day in parts["BYDAY"].split(",") if "BYDAY" in parts else ():
        weekday = WEEKDAYS.index(day[-2:])
        (nth.append((weekday, int(day[:-2]))) if day[:-2] else plain.append(weekday))
    monthdays = _numbers(parts, "BYMONTHDAY")
    if "BYSETPOS" in parts or (nth and (plain or monthdays)) or (plain and monthdays):
        return None
    if freq == "DAILY":
        if monthdays:
            return None
        if plain:
            return _weekdays(plain, 1) if interval == 1 else None
        return period_phrase(freq, interval)
    if freq == "WEEKLY":
        if monthdays:
            return None
        days = plain or ([starts_on.weekday()] if starts_on else [])
        return _weekdays(days, interval) if days else period_phrase(freq, interval)
    if freq == "MONTHLY":
        if plain:
            return _weekdays(plain, 1) if interval == 1 else None
        if nth:
            what = _nth_weekdays(nth)
            if what is None or interval == 1:
                return what
            return _then(period_phrase(freq, interval), what)
        days = monthdays or ([starts_on.day] if starts_on else [])
        if not days:
            return period_phrase(freq, interval)
        if interval == 1:
            return _every_month_on(days)
        what = _month_days(days)
        return None if what is None else _then(period_phrase(freq, interval), what)
    # YEARLY
    months = _numbers(parts, "BYMONTH")
    every = period_phrase(freq, interval)
    if plain:
        return None
    if nth:
        what = _nth_weekdays(nth) if months else None
        return None if what is None else _then(every, what)
    if not monthdays and starts_on is not None:
        monthdays, months = [starts_on.day], months or [starts_on.month]
    if not monthdays:
        return every
    if len(monthdays) == 1 and len(months) == 1 and monthdays[0] > 0:
        date = pgettext_lazy("a day and a month", "%(day)s %(month)s") % {
            "day": monthdays[0], "month": _month_name(MONTHS_ALT[months[0]])}
        # The date names its month: no month list after it (see rrule_describe).
        parts["_month_said"] = "1"
        return _("every year on %(date)s") % {"date": date} if interval == 1 \
            else _then(every, date)
    what = _month_days(monthdays)
    return None if what is None else _then(every, what)


def _generic(parts: dict[str, str]) -> str:
    """A worded sentence for a rule without its own wording."""
    return _("%(every)s, on particular days") % {
        "every": period_phrase(parts["FREQ"], int(parts.get("INTERVAL", "1")))}


def rrule_describe(text: str, starts_on: datetime.date | None = None) -> str:
    """The rule as a sentence in the active language ("каждый второй вторник, до
    31.12.2027"). `starts_on` (the plan's or shift's first day) names the day a rule without
    BYDAY or BYMONTHDAY falls on. A rule the checker refuses is called unreadable."""
    try:
        parts = rule_parts(text)
        until = datetime.datetime.strptime(parts["UNTIL"], "%Y%m%d").date() \
            if "UNTIL" in parts else None
    except (RRuleError, ValueError):  # ValueError: an UNTIL such as 20271399
        return _("a repeat rule that cannot be read")
    body = _body(parts, starts_on)
    sentence = body if body is not None else _generic(parts)
    if "BYMONTH" in parts and "_month_said" not in parts:
        sentence = _("%(rule)s (%(months)s)") % {
            "rule": sentence, "months": _months(_numbers(parts, "BYMONTH"))}
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        sentence = ngettext("%(rule)s, %(n)s time", "%(rule)s, %(n)s times", count) % {
            "rule": sentence, "n": count}
    elif until is not None:
        sentence = _("%(rule)s, until %(date)s") % {"rule": sentence, "date": _date(until)}
    return sentence
