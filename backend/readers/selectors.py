"""Reads of reader and family cards that views, the desk and reports share."""
from django.db.models import Prefetch, Q, QuerySet

from backend.core.phones import digits_of, to_e164
from backend.core.text import search_tokens
from backend.readers.models import CardChange, FamilyCard, FamilyStatus, Reader, ReaderPhone


def reader_queryset() -> QuerySet[Reader]:
    """Readers with everything a card shows, in a fixed number of queries."""
    return Reader.objects.select_related(
        "branch", "family_card", "consent_recorded_by"
    ).prefetch_related(Prefetch("phones", queryset=ReaderPhone.objects.order_by("position", "id")))


def phone_query(text: str) -> Q | None:
    """Match a phone said in any form: full number in any notation or its last 7+ digits.

    A condition on readers with the phones in a subquery rather than a join: a reader with
    two matching phones is one row, so no DISTINCT (over every column of the card) is
    needed, and a full number is one index lookup.
    """
    digits = digits_of(text)
    if len(digits) < 7:
        return None
    e164 = to_e164(text)
    condition = Q(number__endswith=digits[-7:]) if len(digits) < 10 else Q()
    if e164:
        condition |= Q(number=e164)
    elif len(digits) >= 10:
        condition |= Q(number__endswith=digits[-10:])
    return Q(pk__in=ReaderPhone.objects.filter(condition).values("reader_id"))


def reader_search_q(query: str) -> Q:
    """Name (any case, Kazakh and Cyrillic letters), card number or phone."""
    query = (query or "").strip()
    if not query:
        return Q()
    condition = Q()
    by_phone = phone_query(query)
    letters = any(ch.isalpha() for ch in query)
    if by_phone is not None and not letters:
        # Digits (and dashes) may also be the end of a card number; a phone said with
        # "+", spaces or brackets cannot.
        if query.replace("-", "").isdigit():
            return by_phone | Q(card_number__endswith=query)
        return by_phone
    for token in search_tokens(query):
        condition &= Q(search_text__contains=token)
    return condition


def reader_list(*, filters: dict | None = None) -> QuerySet[Reader]:
    filters = filters or {}
    qs = reader_queryset()
    if filters.get("q"):
        qs = qs.filter(reader_search_q(filters["q"]))
    for name in ("status", "category", "branch", "language"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("settlement"):
        settlements = Reader.objects.values_list("settlement", flat=True).distinct()
        wanted = {s for s in settlements if s and s.casefold() == filters["settlement"].casefold()}
        qs = qs.filter(settlement__in=wanted or {filters["settlement"]})
    if filters.get("family_card"):
        qs = qs.filter(family_card=filters["family_card"])
    return qs


def readers_by_phone(phone: str) -> QuerySet[Reader]:
    condition = phone_query(phone)
    if condition is None:
        return reader_queryset().none()
    return reader_queryset().filter(condition)


def delivery_address(reader: Reader) -> dict:
    """A family member is visited at the family's address."""
    family = reader.family_card
    if family is not None and family.status == FamilyStatus.OPEN:
        return family.address_dict()
    return reader.address_dict()


def family_card_queryset() -> QuerySet[FamilyCard]:
    return FamilyCard.objects.select_related("branch", "head").prefetch_related(
        Prefetch("members", queryset=Reader.objects.order_by("last_name", "first_name", "id"))
    )


def family_card_list(*, filters: dict | None = None) -> QuerySet[FamilyCard]:
    filters = filters or {}
    qs = family_card_queryset()
    for name in ("status", "branch"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("q"):
        tokens = search_tokens(filters["q"])
        member_q = Q()
        for token in tokens:
            member_q &= Q(members__search_text__contains=token)
        qs = qs.filter(member_q | Q(number__iexact=filters["q"].strip())).distinct()
    return qs


def card_history(*, reader: Reader | None = None, family: FamilyCard | None = None):
    qs = CardChange.objects.select_related("actor")
    if reader is not None:
        return qs.filter(reader=reader)
    return qs.filter(family_card=family)


def card_access_list(*, filters: dict | None = None):
    """The card access log, newest first: by reader, family card, user or period."""
    from backend.readers.models import CardAccess

    filters = filters or {}
    qs = CardAccess.objects.select_related("user").prefetch_related(
        Prefetch("readers", queryset=Reader.objects.only("id", "card_number").order_by("id")),
        Prefetch("family_cards", queryset=FamilyCard.objects.only("id", "number").order_by("id")),
    )
    # A row names several cards: a filter by one card is a join on the link table, which
    # gives each row at most once (a card is linked to a row once).
    if filters.get("reader") is not None:
        qs = qs.filter(readers=filters["reader"])
    if filters.get("family_card") is not None:
        qs = qs.filter(family_cards=filters["family_card"])
    for name in ("user", "action", "channel"):
        if filters.get(name) is not None:
            qs = qs.filter(**{name: filters[name]})
    if filters.get("since"):
        qs = qs.filter(at__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__lt=filters["until"])
    return qs


def home_windows(reader: Reader) -> dict[int, list[tuple[str, str]]]:
    """Weekday -> [(start, end)] when someone of the household is at home."""
    people = [reader]
    family = reader.family_card
    if family is not None and family.status == FamilyStatus.OPEN:
        people = list(family.members.all()) or [reader]
    windows: dict[int, list[tuple[str, str]]] = {}
    for person in people:
        for slot in person.availability or []:
            windows.setdefault(int(slot["weekday"]), []).append((slot["start"], slot["end"]))
    return {day: sorted(set(slots)) for day, slots in windows.items()}


def next_visit_dates(reader: Reader, *, start=None, days: int = 21, limit: int = 5) -> list[dict]:
    """The next working days on which a volunteer can come: the household is at home and
    it is not a public holiday. With no availability recorded, every working day counts."""
    import datetime

    from django.utils import timezone

    from backend.core.calendar import working_days

    start = start or timezone.localdate() + datetime.timedelta(days=1)
    windows = home_windows(reader)
    result = []
    for day in working_days(start, days):
        if windows and day.weekday() not in windows:
            continue
        slots = windows.get(day.weekday(), [])
        result.append({"date": day, "windows": [{"start": s, "end": e} for s, e in slots]})
        if len(result) >= limit:
            break
    return result


# Standing plans ------------------------------------------------------------------------------
#
# A plan's recurrence is one RFC 5545 RRULE (no DTSTART, EXDATE or RDATE lines): the plan's
# `starts_on` is its DTSTART, `ends_on` an extra upper bound, pauses and Kazakhstan's public
# holidays the exceptions. A date that falls on a holiday is skipped, not moved: the next
# visit is the rule's next date.

PLAN_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
PLAN_RULE_PARTS = frozenset(
    {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
)
PLAN_RULE_HORIZON_DAYS = 731  # "a date within the next two years"


class RRuleError(ValueError):
    """An RRULE a standing plan cannot use; the message is translated and says why."""


def _plan_rule_parts(text: str) -> dict[str, str]:
    from django.utils.translation import gettext as _

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
    unknown = sorted(set(parts) - PLAN_RULE_PARTS)
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
    if freq not in PLAN_FREQUENCIES:
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


def rrule_parse(text: str, starts_on):
    """(normalised text, dateutil rule) for a plan's RRULE starting on `starts_on`.

    Raises RRuleError (a translated message) for a rule a plan cannot use.
    """
    import datetime
    import warnings

    from dateutil.rrule import rrulestr
    from django.utils.translation import gettext as _

    parts = _plan_rule_parts(text)
    order = ["FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT",
             "UNTIL"]
    normalised = ";".join(f"{name}={parts[name]}" for name in order if name in parts)
    dtstart = datetime.datetime.combine(starts_on, datetime.time())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rule = rrulestr(normalised, dtstart=dtstart)
    except (ValueError, TypeError, IndexError, KeyError, Warning) as exc:
        raise RRuleError(_("Not a valid RRULE: %(error)s") % {"error": exc}) from exc
    return normalised, rule


def _month_length(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


def _rule_candidates(rule, start, end) -> list:
    """Dates in [start, end] the rule can produce, found without dateutil's iterator.

    dateutil looks for the next occurrence until the year 9999, which for a rule that never
    matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) takes seconds. This walks only the periods
    the rule's FREQ and INTERVAL reach inside [start, end] and applies BYMONTH, BYMONTHDAY,
    BYDAY and BYSETPOS: exact, except that a numbered weekday (1MO) counts as any such
    weekday, so the answer is a superset of the rule's dates (and COUNT/UNTIL are ignored).
    """
    import datetime

    from dateutil.rrule import DAILY, MONTHLY, WEEKLY

    first = rule._dtstart.date()
    bymonth = rule._bymonth or ()
    weekdays = set(rule._byweekday or ()) | {wd for wd, _n in (rule._bynweekday or ())}
    monthdays = set(rule._bymonthday or ())
    nmonthdays = set(rule._bynmonthday or ())
    setpos = rule._bysetpos or ()
    interval = rule._interval

    def matches(day) -> bool:
        if bymonth and day.month not in bymonth:
            return False
        if weekdays and day.weekday() not in weekdays:
            return False
        if monthdays or nmonthdays:
            negative = day.day - _month_length(day.year, day.month) - 1
            if day.day not in monthdays and negative not in nmonthdays:
                return False
        return True

    def periods():
        if rule._freq == DAILY:
            step = interval
            offset = max(0, (start - first).days)
            day = first + datetime.timedelta(days=offset + (-offset) % step)
            while day <= end:
                yield [day]
                day += datetime.timedelta(days=step)
        elif rule._freq == WEEKLY:
            week = first - datetime.timedelta(days=(first.weekday() - rule._wkst) % 7)
            while week <= end:
                yield [week + datetime.timedelta(days=i) for i in range(7)]
                week += datetime.timedelta(days=7 * interval)
        elif rule._freq == MONTHLY:
            year, month = first.year, first.month
            while datetime.date(year, month, 1) <= end:
                yield [datetime.date(year, month, d)
                       for d in range(1, _month_length(year, month) + 1)]
                month += interval
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        else:
            year = first.year
            while datetime.date(year, 1, 1) <= end:
                base = datetime.date(year, 1, 1)
                yield [base + datetime.timedelta(days=i)
                       for i in range((datetime.date(year + 1, 1, 1) - base).days)]
                year += interval

    found = []
    for days in periods():
        if days[-1] < start:
            continue
        hits = [day for day in days if matches(day)]
        if setpos:
            chosen = set()
            for pos in setpos:
                index = pos - 1 if pos > 0 else pos
                if -len(hits) <= index < len(hits):
                    chosen.add(hits[index])
            hits = sorted(chosen)
        found.extend(day for day in hits if first <= day and start <= day <= end)
    return found


def rrule_dates(rule, start, end) -> list:
    """The dates in [start, end] (inclusive) a parsed plan rule produces."""
    import datetime

    if end < start or not _rule_candidates(rule, start, end):
        return []
    # A candidate exists, so dateutil finds an occurrence without running to the year 9999.
    # Bounding the rule by UNTIL stops it right after `end`.
    until = datetime.datetime.combine(end, datetime.time())
    if rule._until is not None and rule._until < until:
        until = rule._until
    bounded = rule.replace(until=until) if rule._count is None else rule
    low = datetime.datetime.combine(start, datetime.time())
    seen: dict = {}
    for moment in bounded.xafter(low, inc=True):
        if moment.date() > end:
            break
        seen.setdefault(moment.date(), None)
    return list(seen)


def standing_plan_queryset() -> QuerySet:
    from backend.readers.models import StandingPlan, StandingPlanPause

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


def standing_plan_calendar(plan, start, end) -> list[dict]:
    """Every date in [start, end] the plan's rule gives, each marked `skipped` with a
    `reason` ("pause" or "holiday") and a `note` (the pause's reason, the holiday's name).

    Holidays are skipped, not moved. `starts_on`/`ends_on` bound the dates.
    """
    from backend.core.calendar import holiday_name

    start = max(start, plan.starts_on)
    if plan.ends_on is not None:
        end = min(end, plan.ends_on)
    try:
        _text, rule = rrule_parse(plan.rrule, plan.starts_on)
    except RRuleError:
        return []  # a rule saved before validation existed; the services refuse new ones
    pauses = list(plan.pauses.all())
    result = []
    for day in rrule_dates(rule, start, end):
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


def standing_plan_occurrences(plan, start, end) -> list:
    """The dates in [start, end] the plan produces, without its pauses and without
    Kazakhstan's public holidays (a holiday is skipped, not moved to another day)."""
    return [e["date"] for e in standing_plan_calendar(plan, start, end) if not e["skipped"]]


def readers_using_phone(number: str) -> QuerySet[Reader]:
    """The cards with exactly this number (E.164), as their own phone or their caregiver's."""
    return Reader.objects.filter(Q(phones__number=number) | Q(caregiver_phone=number)).distinct()


def reader_for_phone(number: str) -> Reader | None:
    """Whose number is calling or writing: the card found by phone search, else a card
    that gives it as the caregiver's."""
    reader = readers_by_phone(number).first()
    if reader is None:
        reader = readers_using_phone(number).select_related("branch").first()
    return reader
