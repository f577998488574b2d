"""Recurrence rules (backend/core/recurrence.py): the dates a rule gives, and a bound on the
work it takes to find them."""
import datetime
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.exceptions import ApplicationError
from backend.core.recurrence import RRuleError, rrule_check, rrule_dates, rrule_parse

D = datetime.date


def _dateutil_dates(recurrence, start, end):
    low, high = (datetime.datetime.combine(d, datetime.time()) for d in (start, end))
    return [moment.date() for moment in recurrence.rule.between(low, high, inc=True)]


@pytest.mark.parametrize("rule", [
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
    "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=3,9;BYDAY=2WE",
    "FREQ=YEARLY;BYDAY=20MO",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=5",
    "FREQ=DAILY;INTERVAL=3;UNTIL=20270301",
    "FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=SU,MO",
    "FREQ=YEARLY",
])
def test_dates_are_dateutils_own(rule):
    _text, recurrence = rrule_parse(rule, D(2026, 11, 17))
    start, end = D(2026, 12, 1), D(2028, 12, 31)
    assert rrule_dates(recurrence, start, end) == _dateutil_dates(recurrence, start, end)


@settings(max_examples=60, deadline=None)
@given(
    freq=st.sampled_from(["MONTHLY", "YEARLY"]),
    n=st.sampled_from([1, 2, 3, 4, 5, -1, -2]),
    day=st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
    month=st.none() | st.integers(1, 12),
    first=st.dates(D(2025, 1, 1), D(2030, 12, 31)),
)
def test_numbered_weekdays_match_dateutil(freq, n, day, month, first):
    rule = f"FREQ={freq};BYDAY={n}{day}" + (f";BYMONTH={month}" if month else "")
    _text, recurrence = rrule_parse(rule, first)
    end = first + datetime.timedelta(days=900)
    assert rrule_dates(recurrence, first, end) == _dateutil_dates(recurrence, first, end)


def test_a_rule_that_never_matches_is_answered_at_once():
    _text, recurrence = rrule_parse("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", D(2026, 12, 1))
    began = time.monotonic()
    assert rrule_dates(recurrence, D(2026, 12, 1), D(2036, 12, 1)) == []
    assert time.monotonic() - began < 1


def test_parts_dateutil_does_not_check_are_refused_with_a_reason():
    with pytest.raises(RRuleError, match="FREQ"):
        rrule_parse("FREQ=HOURLY", D(2026, 12, 1))
    with pytest.raises(RRuleError, match="BYHOUR"):
        rrule_parse("FREQ=DAILY;BYHOUR=10", D(2026, 12, 1))


def test_check_names_the_code_it_is_given_and_the_rrule_field():
    with pytest.raises(ApplicationError) as caught:
        rrule_check(rrule="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", starts_on=D(2026, 12, 1),
                    today=D(2026, 12, 1), code="shift.invalid_rrule")
    assert caught.value.code == "shift.invalid_rrule"
    assert list(caught.value.fields) == ["rrule"]
    assert rrule_check(rrule="rrule:freq=weekly;byday=tu", starts_on=D(2026, 12, 1),
                       today=D(2026, 12, 1)) == "FREQ=WEEKLY;BYDAY=TU"
