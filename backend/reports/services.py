"""Writes of the reports app: the stored figures of a period (see models.PeriodFigures)."""
from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from backend.branches.models import Branch
from backend.reports.figures import PERIOD_KINDS, Period, local_zone, period_figures
from backend.reports.models import PeriodFigures, scope_key


def period_figures_store(branch: Branch | None, start: datetime.datetime,
                         end: datetime.datetime, now: datetime.datetime | None = None
                         ) -> PeriodFigures:
    """Count the figures of [start, end) for the branch (None: the whole district) and keep
    them, replacing what was kept for the same period.

    `computed_at` is the moment the counting began (`now`), never later: a row computed
    after the period's end is final, and a change made while counting must not be taken
    as included."""
    computed_at = now or timezone.now()
    figures = period_figures(branch, start, end)
    with transaction.atomic():
        row, _ = PeriodFigures.objects.update_or_create(
            scope=scope_key(branch), start=start, end=end,
            defaults={"branch": branch, "figures": figures, "computed_at": computed_at},
        )
    return row


def periods_to_refresh(today: datetime.date, since: datetime.date | None = None
                       ) -> list[Period]:
    """The months, quarters and years the nightly refresh counts on `today` (a date of the
    library's zone): those that contain yesterday and the two before them. The report opens
    on the last complete period, which is compared with the one before it; the period still
    open is compared with the last complete one: both reports find both their periods. With
    `since`: every period from the one containing `since` on, up to those containing
    yesterday (and at least those three)."""
    yesterday = today - datetime.timedelta(days=1)
    periods: list[Period] = []
    for kind in PERIOD_KINDS:
        number = {"month": yesterday.month, "quarter": (yesterday.month - 1) // 3 + 1,
                  "year": 1}[kind]
        last = Period.of(kind, yesterday.year, number)
        first = last.previous().previous()
        if since is not None:
            first_start = datetime.datetime.combine(since, datetime.time(), local_zone())
            while first.start > first_start:
                first = first.previous()
        period, chain = last, [last]
        while period != first:
            period = period.previous()
            chain.append(period)
        periods += reversed(chain)
    return periods


def report_figures_refresh(*, today: datetime.date | None = None,
                           since: datetime.date | None = None,
                           now: datetime.datetime | None = None) -> list[PeriodFigures]:
    """Store the figures of `periods_to_refresh` for every branch and the whole district.
    Each period is its own transaction: a refresh cut short keeps what it finished."""
    now = now or timezone.now()
    today = today or now.astimezone(local_zone()).date()
    scopes: list[Branch | None] = [None, *Branch.objects.order_by("pk")]
    return [period_figures_store(branch, period.start, period.end, now=now)
            for period in periods_to_refresh(today, since) for branch in scopes]
