"""Kazakhstan's calendar: public holidays are days off for planning."""
import datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _kz_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=year)


def is_holiday(day: datetime.date) -> bool:
    return day in _kz_holidays(day.year)


def holiday_name(day: datetime.date) -> str | None:
    return _kz_holidays(day.year).get(day)


def working_days(start: datetime.date, days: int, *, weekends: bool = False):
    """The dates from `start` for `days` days that are not public holidays (nor weekends,
    unless `weekends`)."""
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        if is_holiday(day):
            continue
        if not weekends and day.weekday() >= 5:
            continue
        yield day
