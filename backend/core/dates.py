"""Sane ranges for dates, by what the date means.

A date far outside any real use (`0001-01-01`, `9999-12-31`) overflows the first
`date + timedelta` or time-zone conversion it meets and ends in a 500. Every date the API,
the pages and the admin take is checked against a range that fits its meaning:

- in the models, fixed limits that stay true as time passes (a birth date or a consent is not
  in the future; nothing the service keeps is before 1900 or after 2199), so the admin and
  the imports refuse them too;
- in the API and the pages, a range around today (`DateRange`): a day plan within a year of
  today, a standing plan starting within a few years, a report period from 1900 to ten years
  ahead. A date outside answers 400 `date.out_of_range` naming the field.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)
YEAR = 366  # days; a leap year included, so "a year from today" always reaches the same day

OUT_OF_RANGE = "date.out_of_range"
MESSAGES = {
    "before": _("Enter a date on or after %(date)s."),
    "after": _("Enter a date on or before %(date)s."),
    "future": _("This date cannot be in the future."),
}

Limit = datetime.date | int | None  # a fixed day, days from today, or no limit


@dataclass(frozen=True)
class DateRange:
    """The first and last day a date may be: a fixed day or a number of days from today."""

    earliest: Limit = EARLIEST
    latest: Limit = None

    def bounds(self, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
        today = today or timezone.localdate()

        def resolve(limit: Limit, default: datetime.date) -> datetime.date:
            if limit is None:
                return default
            if isinstance(limit, int):
                return today + datetime.timedelta(days=limit)
            return limit

        return (max(resolve(self.earliest, EARLIEST), EARLIEST),
                min(resolve(self.latest, LATEST), LATEST))

    def problem(self, value: datetime.date) -> str | None:
        """The message for a day outside the range, or None."""
        first, last = self.bounds()
        if value < first:
            return MESSAGES["before"] % {"date": formats.date_format(first, "SHORT_DATE_FORMAT")}
        if value > last:
            if self.latest == 0:
                return str(MESSAGES["future"])
            return MESSAGES["after"] % {"date": formats.date_format(last, "SHORT_DATE_FORMAT")}
        return None

    def check(self, value: datetime.date) -> None:
        """Raise ValidationError(code="date.out_of_range") for a day outside the range."""
        message = self.problem(value)
        if message:
            raise ValidationError(message, code=OUT_OF_RANGE)


# The ranges by meaning.
PAST = DateRange(EARLIEST, 0)  # a birth date, a consent: since 1900, not in the future
DOCUMENT = DateRange(EARLIEST, 100 * YEAR)  # an eligibility document's "valid until"
PLAN_DAY = DateRange(-YEAR, YEAR)  # a day plan, a route list, an order's visit day
SCHEDULE = DateRange(-10 * YEAR, 10 * YEAR)  # standing plans, pauses, volunteer availability
PERIOD = DateRange(EARLIEST, 10 * YEAR)  # filters and report periods
ANY = DateRange(EARLIEST, LATEST)  # what the models keep at all


# Model validators: limits that do not move with today's date, so a saved row stays valid.

def validate_calendar_date(value: datetime.date | datetime.datetime | None) -> None:
    """Between 1900-01-01 and 2199-12-31."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    ANY.check(day)


def validate_past_date(value: datetime.date | None) -> None:
    """Since 1900-01-01 and not after today: a birth date, a consent."""
    if value is None:
        return
    PAST.check(value)


def require(bounds: DateRange, value: datetime.date | None, *, field: str) -> None:
    """For services that pages and the API share: a day outside the range is 400
    `date.out_of_range` naming the field."""
    if value is None:
        return
    message = bounds.problem(value)
    if message:
        from backend.core.exceptions import ApplicationError

        raise ApplicationError(OUT_OF_RANGE, f"{field}: {message}", fields={field: [message]})


Span = tuple[datetime.time, datetime.time]


def _span_minutes(span: Span) -> int:
    return (span[1].hour * 60 + span[1].minute) - (span[0].hour * 60 + span[0].minute)


def longest_span(spans: list[Span]) -> Span:
    """The longest of `spans`; of equal ones, the earliest."""
    return max(spans, key=lambda span: (_span_minutes(span), -span[0].hour, -span[0].minute))


def window_within(window: Span, spans: list[Span]) -> Span | None:
    """The longest part of `window` inside one of `spans` (a visit's window within the
    household's home hours that day), the earliest of equal ones; None when none overlaps."""
    overlaps = [(max(window[0], start), min(window[1], end)) for start, end in spans]
    overlaps = [span for span in overlaps if span[0] < span[1]]
    return longest_span(overlaps) if overlaps else None
