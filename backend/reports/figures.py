"""The library's figures for a month, a quarter or a year, and the period before.

Every figure is counted in the database (a fixed number of queries whatever the size of the
district) over a half-open interval [start, end) of aware datetimes; the periods are the
calendar months, quarters and years of the library's time zone (Asia/Almaty).

A year of a national library is millions of loans, and counting it takes seconds: the night
stores the figures of recent periods (`reports.services.report_figures_refresh`), and
`report` reads them when they are right (`stored_usable`), else counts live.

The definitions (the page shows the same text next to each figure):

readers.served
    Distinct readers who were served in the period: a loan was issued to them, or a visit
    (a stop) at their address was completed.
readers.new
    Of those served, readers whose card was created in the period.
readers.active
    Of those served, readers whose card was active at the end of the period: status active
    now, or closed after the end of the period.
readers.category.<code>
    Readers served, by category: each category of each reader, so a reader in two
    categories (a pensioner with a disability group) counts in both and the categories
    add up to more than readers.served.
visits.made
    Orders that reached "delivered" or "partially delivered" in the period (by the time of
    that status change in the order's history). Split into visits.delivered and
    visits.partial.
visits.failed
    Failed visits: status changes to "failed" in the period (an order failed twice counts
    twice). visits.failed.<reason> by the reason recorded with the change, or else the
    order's last reason.
items.delivered
    Loans issued in the period (copies handed over).
items.returned
    Loans returned in the period; items.returned.<channel> at the desk or collected on a
    visit.
volunteer.<id>.deliveries / volunteer.<id>.hours
    Stops a volunteer completed in the period; hours on the routes with such stops: from
    start to finish as recorded by the volunteer's app, or else the planned duration.
family_cards.served
    Distinct family cards with a loan issued in the period to the card or to one of its
    members.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from backend.branches.models import Branch, branch_zone
from backend.circulation.models import Loan, ReturnChannel
from backend.orders.models import FailReason, OrderEvent, OrderStatus
from backend.readers.models import Category, FamilyCard, Reader, ReaderStatus
from backend.readers.selectors import category_q
from backend.reports.models import PeriodFigures, scope_key
from backend.routing.models import Route, Stop, StopStatus

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
MADE_STATUSES = (OrderStatus.DELIVERED, OrderStatus.PARTIALLY_DELIVERED)


def local_zone() -> ZoneInfo:
    """The library's zone, which every branch's periods share: no branch's own zone."""
    return branch_zone()


def _month_start(year: int, month: int) -> datetime.datetime:
    """Midnight of the first of the month in the library's zone; months may run past 12."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime.datetime(year, month, 1, tzinfo=local_zone())


def period_bounds(kind: PeriodKind, year: int, number: int = 1
                  ) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of a month (number 1–12), a quarter (1–4) or a year (number ignored):
    local midnights in Asia/Almaty as aware datetimes; `end` is the next period's start."""
    if kind not in MONTHS_IN:
        raise ValueError(f"unknown period kind {kind!r}")
    if kind == "year":
        first = 1
    elif kind == "quarter":
        if not 1 <= number <= 4:
            raise ValueError("quarter must be 1–4")
        first = (number - 1) * 3 + 1
    else:
        if not 1 <= number <= 12:
            raise ValueError("month must be 1–12")
        first = number
    return _month_start(year, first), _month_start(year, first + MONTHS_IN[kind])


def previous_period(kind: PeriodKind, year: int, number: int = 1) -> tuple[int, int]:
    """(year, number) of the period before: December before January, Q4 before Q1."""
    if kind == "year":
        return year - 1, 1
    count = 4 if kind == "quarter" else 12
    return (year, number - 1) if number > 1 else (year - 1, count)


def previous_bounds(start: datetime.datetime, end: datetime.datetime
                    ) -> tuple[datetime.datetime, datetime.datetime]:
    """The period of the same length just before: whole calendar months when [start, end)
    is whole months (so February comes before March), else the same number of days."""
    zone = local_zone()
    s, e = start.astimezone(zone), end.astimezone(zone)
    whole_months = (s.day == 1 and e.day == 1 and s.time() == e.time() == datetime.time(0))
    if whole_months:
        months = (e.year - s.year) * 12 + e.month - s.month
        return _month_start(s.year, s.month - months), start
    return start - (end - start), start


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int
    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def of(cls, kind: PeriodKind, year: int, number: int = 1) -> Period:
        number = 1 if kind == "year" else number
        start, end = period_bounds(kind, year, number)
        return cls(kind, year, number, start, end)

    def previous(self) -> Period:
        return Period.of(self.kind, *previous_period(self.kind, self.year, self.number))

    @property
    def last_day(self) -> datetime.date:
        return (self.end.astimezone(local_zone()) - datetime.timedelta(days=1)).date()

    @property
    def label(self) -> str:
        if self.kind == "year":
            return str(self.year)
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {"quarter": self.number, "year": self.year}
        return f"{month_name(self.number)} {self.year}"


def month_name(number: int) -> str:
    names = [
        pgettext("month", "January"), pgettext("month", "February"),
        pgettext("month", "March"), pgettext("month", "April"), pgettext("month", "May"),
        pgettext("month", "June"), pgettext("month", "July"), pgettext("month", "August"),
        pgettext("month", "September"), pgettext("month", "October"),
        pgettext("month", "November"), pgettext("month", "December"),
    ]
    return names[number - 1]


# Counting -----------------------------------------------------------------------------------


def _in(field: str, start: datetime.datetime, end: datetime.datetime) -> Q:
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _branch_q(branch: Branch | None, field: str = "branch") -> Q:
    return Q(**{field: branch}) if branch is not None else Q()


def _served_reader_ids(branch, start, end):
    """The readers served in [start, end): one list of ids, loans and completed stops
    together, which the database reads once per range (a covering index each) instead of
    once per card."""
    loans = Loan.objects.filter(_in("issued_at", start, end), _branch_q(branch)
                                ).order_by().values("reader_id")
    stops = Stop.objects.filter(_in("completed_at", start, end), _branch_q(branch, "plan__branch"),
                                status=StopStatus.COMPLETED).order_by().values("reader_id")
    return loans.union(stops)


def _readers_figures(branch, start, end) -> dict[str, Any]:
    served = Reader.objects.filter(pk__in=_served_reader_ids(branch, start, end))
    # The card has no status history: active now, or closed only after the period ended.
    active_at_end = Q(status=ReaderStatus.ACTIVE) | Q(status=ReaderStatus.CLOSED,
                                                      closed_at__gte=end)
    # Each category of each reader: a pensioner with a disability group counts in both.
    totals = served.aggregate(
        served=Count("pk"),
        new=Count("pk", filter=_in("created_at", start, end)),
        active=Count("pk", filter=active_at_end),
        **{f"category_{code}": Count("pk", filter=category_q(code)) for code in Category.values},
    )
    return {"served": totals["served"], "new": totals["new"], "active": totals["active"],
            "by_category": {c: totals[f"category_{c}"] or 0 for c in Category.values}}


def _reason_of_failure():
    """The reason written by order_fail as "<reason>" or "<reason>: <note>", else the order's."""
    from django.db.models import Case, Value, When

    whens = []
    for reason in FailReason.values:
        whens.append(When(Q(note=reason) | Q(note__startswith=f"{reason}:"), then=Value(reason)))
    return Case(*whens, default=F("order__fail_reason"))


def _visits_figures(branch, start, end) -> dict[str, Any]:
    events = OrderEvent.objects.filter(_in("at", start, end), _branch_q(branch, "order__branch"))
    made = events.filter(to_status__in=MADE_STATUSES).aggregate(
        made=Count("order", distinct=True),
        delivered=Count("order", distinct=True, filter=Q(to_status=OrderStatus.DELIVERED)),
        partial=Count("order", distinct=True,
                      filter=Q(to_status=OrderStatus.PARTIALLY_DELIVERED)),
    )
    failed_by = dict(
        events.filter(to_status=OrderStatus.FAILED).annotate(reason=_reason_of_failure())
        .order_by().values_list("reason").annotate(n=Count("pk"))
    )
    by_reason = {r: failed_by.pop(r, 0) for r in FailReason.values}
    # An empty or unknown reason (older data) is still a failed visit: count it as other.
    by_reason[FailReason.OTHER] += sum(failed_by.values())
    return {**made, "failed": sum(by_reason.values()), "failed_by_reason": by_reason}


def _items_figures(branch, start, end) -> dict[str, Any]:
    # Two ranges, two queries: each reads only its period's loans (loans' range indexes).
    loans = Loan.objects.filter(_branch_q(branch)).order_by()
    delivered = loans.filter(_in("issued_at", start, end)).count()
    returned = dict(loans.filter(_in("returned_at", start, end))
                    .values_list("return_channel").annotate(n=Count("pk")))
    return {
        "delivered": delivered,
        "returned": sum(returned.values()),
        "returned_by_channel": {c: returned.get(c, 0) for c in ReturnChannel.values},
    }


def _volunteer_figures(branch, start, end) -> list[dict[str, Any]]:
    done = Stop.objects.filter(_in("completed_at", start, end), _branch_q(branch, "plan__branch"),
                               status=StopStatus.COMPLETED)
    deliveries = {
        row["route__volunteer"]: row for row in done.filter(route__isnull=False).order_by()
        .values("route__volunteer", "route__volunteer__user__first_name",
                "route__volunteer__user__last_name", "route__volunteer__user__username")
        .annotate(n=Count("pk"))
    }
    recorded = Q(started_at__isnull=False, finished_at__isnull=False,
                 finished_at__gt=F("started_at"))
    hours = {
        row["volunteer"]: row for row in Route.objects
        .filter(Exists(done.filter(route=OuterRef("pk")))).order_by().values("volunteer")
        .annotate(
            actual=Sum(ExpressionWrapper(F("finished_at") - F("started_at"),
                                         output_field=DurationField()), filter=recorded),
            planned=Coalesce(Sum("duration_s", filter=~recorded), 0),
        )
    }
    rows = []
    for volunteer_id, row in deliveries.items():
        spent = hours.get(volunteer_id, {})
        seconds = (spent.get("actual") or datetime.timedelta()).total_seconds() + (
            spent.get("planned") or 0)
        name = " ".join(p for p in (row["route__volunteer__user__last_name"],
                                    row["route__volunteer__user__first_name"]) if p)
        rows.append({
            "id": volunteer_id,
            "name": name or row["route__volunteer__user__username"],
            "deliveries": row["n"],
            "hours": round(seconds / 3600, 1),
        })
    rows.sort(key=lambda r: (-r["deliveries"], r["name"], r["id"]))
    return rows


def _family_figures(branch, start, end) -> dict[str, Any]:
    loans = Loan.objects.filter(_in("issued_at", start, end), _branch_q(branch)).order_by()
    own = loans.filter(family_card__isnull=False).values("family_card_id")
    members = Reader.objects.filter(family_card__isnull=False,
                                    pk__in=loans.values("reader_id")).order_by()
    cards = own.union(members.values("family_card_id"))
    return {"served": FamilyCard.objects.filter(pk__in=cards).count()}


def period_figures(branch: Branch | None, start: datetime.datetime,
                   end: datetime.datetime) -> dict[str, Any]:
    """The figures of one period [start, end), for one branch or (None) the whole district.
    Eight queries whatever the amount of data."""
    return {
        "readers": _readers_figures(branch, start, end),
        "visits": _visits_figures(branch, start, end),
        "items": _items_figures(branch, start, end),
        "volunteers": _volunteer_figures(branch, start, end),
        "family_cards": _family_figures(branch, start, end),
    }


# Rows: one per figure, this period against the one before ---------------------------------


def figure_help() -> dict[str, str]:
    """The definition of each kind of figure, for the "?" notes and the API."""
    return {
        "readers.served": _("Distinct readers to whom a loan was issued or whose visit was "
                            "completed in the period."),
        "readers.new": _("Readers served whose card was created in the period."),
        "readers.active": _("Readers served whose card was active at the end of the period "
                            "(active now, or closed after the period ended)."),
        "readers.category": _("Readers served, by category. A reader in several categories "
                              "(a pensioner with a disability group) counts in each, so the "
                              "categories add up to more than the readers served."),
        "visits.made": _("Orders that reached “delivered” or “partially delivered” in the "
                         "period, by the time of that change in the order's history."),
        "visits.delivered": _("Visits where everything ordered was handed over."),
        "visits.partial": _("Visits where only part of the order was handed over."),
        "visits.failed": _("Changes to “failed” in the period: an order that failed twice "
                           "counts twice."),
        "visits.failed.reason": _("Failed visits by the reason recorded by the volunteer, or "
                                  "else the order's last reason."),
        "items.delivered": _("Loans issued in the period: copies handed over."),
        "items.returned": _("Loans returned in the period."),
        "items.returned.channel": _("Loans returned in the period, by how they came back."),
        "volunteer.deliveries": _("Stops the volunteer completed in the period."),
        "volunteer.hours": _("Hours on the routes with those stops: start to finish as "
                             "recorded, or else the planned duration."),
        "family_cards.served": _("Distinct family cards with a loan issued in the period to "
                                 "the card or one of its members."),
    }


def _rows(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    notes = figure_help()

    def row(key: str, group: str, label: str, value, before, help_key: str | None = None):
        change = round(value - before, 1) if isinstance(value, float) or isinstance(
            before, float) else value - before
        return {"key": key, "group": group, "label": str(label), "value": value,
                "previous": before, "change": change,
                "help": notes[help_key or key]}

    cr, pr = current["readers"], previous["readers"]
    rows = [
        row("readers.served", "readers", _("Readers served"), cr["served"], pr["served"]),
        row("readers.new", "readers", _("of them new"), cr["new"], pr["new"]),
        row("readers.active", "readers", _("of them active at the end"), cr["active"],
            pr["active"]),
    ]
    for code, label in Category.choices:
        rows.append(row(f"readers.category.{code}", "categories", label,
                        cr["by_category"][code], pr["by_category"][code], "readers.category"))
    cv, pv = current["visits"], previous["visits"]
    rows += [
        row("visits.made", "visits", _("Visits made"), cv["made"], pv["made"]),
        row("visits.delivered", "visits", _("of them fully delivered"), cv["delivered"],
            pv["delivered"]),
        row("visits.partial", "visits", _("of them partially delivered"), cv["partial"],
            pv["partial"]),
        row("visits.failed", "visits", _("Visits failed"), cv["failed"], pv["failed"]),
    ]
    for code, label in FailReason.choices:
        rows.append(row(f"visits.failed.{code}", "failures", label,
                        cv["failed_by_reason"][code], pv["failed_by_reason"][code],
                        "visits.failed.reason"))
    ci, pi = current["items"], previous["items"]
    rows += [
        row("items.delivered", "items", _("Items delivered"), ci["delivered"], pi["delivered"]),
        row("items.returned", "items", _("Items returned"), ci["returned"], pi["returned"]),
    ]
    for code, label in ReturnChannel.choices:
        rows.append(row(f"items.returned.{code}", "items", label,
                        ci["returned_by_channel"][code], pi["returned_by_channel"][code],
                        "items.returned.channel"))
    rows.append(row("family_cards.served", "family_cards", _("Family cards served"),
                    current["family_cards"]["served"], previous["family_cards"]["served"]))
    before = {v["id"]: v for v in previous["volunteers"]}
    now = {v["id"]: v for v in current["volunteers"]}
    order = [v["id"] for v in current["volunteers"]] + [
        v["id"] for v in previous["volunteers"] if v["id"] not in now]
    for volunteer_id in order:
        this = now.get(volunteer_id)
        that = before.get(volunteer_id)
        name = (this or that)["name"]
        rows.append(row(f"volunteer.{volunteer_id}.deliveries", "volunteers",
                        _("%(name)s: deliveries") % {"name": name},
                        this["deliveries"] if this else 0, that["deliveries"] if that else 0,
                        "volunteer.deliveries"))
        rows.append(row(f"volunteer.{volunteer_id}.hours", "volunteers",
                        _("%(name)s: hours") % {"name": name},
                        this["hours"] if this else 0.0, that["hours"] if that else 0.0,
                        "volunteer.hours"))
    return rows


# Stored figures: counted at night, read when they are right ------------------------------


def stored_usable(row: PeriodFigures, now: datetime.datetime) -> bool:
    """A stored row stands for its period when it is final — counted after the period ended
    — or when the period is still open and the row was counted today (in the library's
    zone): the report then says "as of" when. Anything else (an open period counted on an
    earlier day, a row counted before its period ended) is counted live again."""
    if row.computed_at >= row.end:
        return True
    zone = local_zone()
    return (now < row.end and
            row.computed_at.astimezone(zone).date() == now.astimezone(zone).date())


def _stored_rows(branch: Branch | None, bounds: list[tuple[datetime.datetime,
                 datetime.datetime]]) -> dict[tuple, PeriodFigures]:
    """The stored rows of the branch for these periods, in one query."""
    wanted = Q()
    for start, end in bounds:
        wanted |= Q(start=start, end=end)
    rows = PeriodFigures.objects.filter(wanted, scope=scope_key(branch))
    return {(row.start, row.end): row for row in rows}


def report(branch: Branch | None, start: datetime.datetime, end: datetime.datetime, *,
           previous_start: datetime.datetime | None = None,
           previous_end: datetime.datetime | None = None, live: bool = False,
           now: datetime.datetime | None = None) -> dict[str, Any]:
    """The figures of [start, end) and of the period before (by default the same number of
    calendar months just before, see `previous_bounds`), with one row per figure: this
    period, the previous one and the change.

    Each period's figures come from the nightly store when `stored_usable` says so (one
    query for both), else they are counted live (eight queries each); `live` counts both
    live whatever is stored. `sources` tells, per period, whether the figures were stored
    and, for a period still open, the moment they were counted (`as_of`; None when the
    figures are complete)."""
    if previous_start is None or previous_end is None:
        previous_start, previous_end = previous_bounds(start, end)
    now = now or timezone.now()
    bounds = {"current": (start, end), "previous": (previous_start, previous_end)}
    stored = {} if live else _stored_rows(branch, list(bounds.values()))
    figures: dict[str, dict[str, Any]] = {}
    sources: dict[str, dict[str, Any]] = {}
    for which, (s, e) in bounds.items():
        row = stored.get((s, e))
        if row is not None and stored_usable(row, now):
            figures[which] = row.figures
            sources[which] = {"stored": True,
                              "as_of": row.computed_at if row.computed_at < e else None}
        else:
            figures[which] = period_figures(branch, s, e)
            sources[which] = {"stored": False, "as_of": None}
    current, previous = figures["current"], figures["previous"]
    return {
        "branch": {"id": branch.pk, "name": branch.name} if branch is not None else None,
        "start": start,
        "end": end,
        "previous_start": previous_start,
        "previous_end": previous_end,
        "current": current,
        "previous": previous,
        "sources": sources,
        "rows": _rows(current, previous),
    }


def as_of_text(data: dict[str, Any]) -> str:
    """"Figures as of 7 December, 02:30" when this period is still open and shown from the
    night's figures (in the library's zone and the request's language), else ""."""
    as_of = data["sources"]["current"]["as_of"]
    if as_of is None:
        return ""
    return _("Figures as of %(as_of)s") % {
        "as_of": date_format(as_of.astimezone(local_zone()), "j E, H:i")}


def summary(branch: Branch | None, kind: PeriodKind, year: int, number: int = 1, *,
            live: bool = False, now: datetime.datetime | None = None) -> dict[str, Any]:
    """`report` for a calendar month, quarter or year, with both periods named."""
    period = Period.of(kind, year, number)
    before = period.previous()
    data = report(branch, period.start, period.end,
                  previous_start=before.start, previous_end=before.end, live=live, now=now)
    data["period"] = _period_dict(period)
    data["previous_period"] = _period_dict(before)
    return data


def _period_dict(period: Period) -> dict[str, Any]:
    return {
        "kind": period.kind, "year": period.year, "number": period.number,
        "label": period.label,
        "first_day": period.start.astimezone(local_zone()).date(),
        "last_day": period.last_day,
    }


def default_period(kind: PeriodKind = "month", today: datetime.date | None = None
                   ) -> tuple[int, int]:
    """The last complete period: last month on the 25th of November."""
    today = today or datetime.datetime.now(local_zone()).date()
    if kind == "year":
        return today.year - 1, 1
    if kind == "quarter":
        return previous_period("quarter", today.year, (today.month - 1) // 3 + 1)
    return previous_period("month", today.year, today.month)
