"""A reader card's preferences and home hours as words (ru/kk/en), for every page that shows
them read-only: the phone desk, the card history in the admin. What is stored stays the API's
shape (`{"formats": ["large_print"]}`, `[{"weekday": 0, "start": "10:00", "end": "13:00"}]`);
people never see those codes."""
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from backend.catalog.models import Format
from backend.readers.models import Language

# Our own msgids (with a context), so the Kazakh names are the ones the import reads too
# (backend/readers/import_cells.py), not Django's older Kazakh catalogue.
WEEKDAY_NAMES = (
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
)
WEEKDAY_SHORT = (
    pgettext_lazy("weekday, short", "Mon"),
    pgettext_lazy("weekday, short", "Tue"),
    pgettext_lazy("weekday, short", "Wed"),
    pgettext_lazy("weekday, short", "Thu"),
    pgettext_lazy("weekday, short", "Fri"),
    pgettext_lazy("weekday, short", "Sat"),
    pgettext_lazy("weekday, short", "Sun"),
)

# The preference lists in the order a card shows them, with their labels.
PREFERENCE_LABELS = {
    "subjects": _("Subjects"),
    "authors": _("Authors"),
    "formats": _("Formats"),
    "languages": _("Languages"),
    "never_send": _("Never send"),
}


def _window_key(window: dict[str, Any]) -> tuple[int, str, str]:
    return int(window.get("weekday", 0)), str(window.get("start", "")), str(window.get("end", ""))


def availability_text(windows: Iterable[dict[str, Any]] | None) -> str:
    """`Пн 10:00–13:00, 15:00–17:00; Чт 14:00–17:00` (days short, in the page's language);
    an empty list reads "any time"."""
    by_day: dict[int, list[str]] = {}
    for window in sorted(windows or [], key=_window_key):
        day = int(window.get("weekday", -1))
        if 0 <= day <= 6:
            by_day.setdefault(day, []).append(f"{window.get('start')}–{window.get('end')}")
    if not by_day:
        return gettext("any time")
    return "; ".join(f"{WEEKDAY_SHORT[day]} {', '.join(spans)}"
                     for day, spans in sorted(by_day.items()))


def preference_values_text(key: str, values: Iterable[Any]) -> str:
    """One preference list as words: formats and languages by their names, never codes."""
    names: dict[str, Any] = {}
    if key == "formats":
        names = dict(Format.choices)
    elif key == "languages":
        names = dict(Language.choices)
    return ", ".join(str(names.get(value, value)) for value in values or [])


def preferences_lines(preferences: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, words) for each preference list that has something in it, in card order."""
    lines = []
    for key, label in PREFERENCE_LABELS.items():
        values = (preferences or {}).get(key)
        if isinstance(values, list) and values:
            lines.append((str(label), preference_values_text(key, values)))
    return lines


def preferences_text(preferences: dict[str, Any] | None) -> str:
    """`Subjects: поэзия; Formats: Large print` in one line."""
    return "; ".join(f"{label}: {words}" for label, words in preferences_lines(preferences))
