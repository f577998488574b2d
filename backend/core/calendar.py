"""Kazakhstan's calendar: public holidays are days off for planning.

Holiday names are shown in the page's language. The holidays package names Kazakhstan's
holidays in Kazakh and English; for Russian (and any language it lacks) the English name is
translated through our own catalogue (msgctxt "holiday"), so a new name from a later version
of the package shows in English until it is translated, never as nothing.
"""
import datetime
import re
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

# Our languages the package names Kazakhstan's holidays in, and its name for each.
PACKAGE_LANGUAGES = {"kk": "kk", "en": "en_US"}
ENGLISH = "en_US"

# The names the package gives (in English), for our catalogue: translated by pgettext below.
HOLIDAY_NAMES = (
    pgettext_lazy("holiday", "New Year's Day"),
    pgettext_lazy("holiday", "Orthodox Christmas"),
    pgettext_lazy("holiday", "International Women's Day"),
    pgettext_lazy("holiday", "Nowruz Holiday"),
    pgettext_lazy("holiday", "Kazakhstan's People Solidarity Holiday"),
    pgettext_lazy("holiday", "Defender of the Fatherland Day"),
    pgettext_lazy("holiday", "Victory Day"),
    pgettext_lazy("holiday", "Capital Day"),
    pgettext_lazy("holiday", "Constitution Day"),
    pgettext_lazy("holiday", "Republic Day"),
    pgettext_lazy("holiday", "Independence Day"),
    pgettext_lazy("holiday", "First President Day"),
    pgettext_lazy("holiday", "Eid al-Adha"),
)
_OBSERVED_ESTIMATED = re.compile(r"^(?P<name>.+) \(observed, estimated\)$")
_OBSERVED = re.compile(r"^(?P<name>.+) \(observed\)$")
_ESTIMATED = re.compile(r"^(?P<name>.+) \(estimated\)$")
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (?P<m>\d\d)/(?P<d>\d\d)/(?P<y>\d{4})\)$")


@lru_cache(maxsize=64)
def _kz_holidays(year: int, language: str = ENGLISH) -> holidays.HolidayBase:
    return holidays.country_holidays("KZ", years=year, language=language)


def is_holiday(day: datetime.date) -> bool:
    return day in _kz_holidays(day.year)


def _translated(english: str) -> str:
    """One English holiday name of the package in the active language, from our catalogue."""
    match = _OBSERVED_ESTIMATED.match(english)
    if match:
        return _("%(holiday)s (day off moved, date estimated)") % {
            "holiday": _translated(match["name"])}
    match = _OBSERVED.match(english)
    if match:
        return _("%(holiday)s (day off moved)") % {"holiday": _translated(match["name"])}
    match = _ESTIMATED.match(english)
    if match:
        return _("%(holiday)s (date estimated)") % {"holiday": _translated(match["name"])}
    match = _SUBSTITUTED.match(english)
    if match:
        return _("Day off (moved from %(date)s)") % {
            "date": f"{match['d']}.{match['m']}.{match['y']}"}
    return pgettext("holiday", english)


def holiday_name(day: datetime.date, language: str | None = None) -> str | None:
    """The name of the public holiday on `day` in `language` (the active one by default),
    or None on an ordinary day."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    base = language.split("-")[0].split("_")[0]
    if base in PACKAGE_LANGUAGES:
        return _kz_holidays(day.year, PACKAGE_LANGUAGES[base]).get(day)
    english = _kz_holidays(day.year).get(day)
    if english is None:
        return None
    with translation.override(language):
        return "; ".join(_translated(part) for part in english.split("; "))


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


def holiday_names(day: datetime.date, languages: tuple[str, ...] = ("ru", "kk")) -> dict[str, str]:
    """The holiday on `day` named in each of `languages` (a message picks its reader's);
    empty on an ordinary day."""
    names = {language: holiday_name(day, language) for language in languages}
    return {language: name for language, name in names.items() if name}
