"""What each {variable} of a template means, and sample values to show a template with in
the admin before a reader gets it (backend/notifications/admin.py)."""
import datetime
import string

from django.utils.translation import gettext_lazy as _

from backend.notifications.models import TEMPLATE_VARIABLES
from backend.notifications.texts import say_date

VARIABLE_MEANINGS = {
    "name": _("the reader's first name"),
    "date": _("the day, as people say it"),
    "window": _("the visit's time window"),
    "volunteer": _("the volunteer's name"),
    "time": _("when the volunteer will be there"),
    "titles": _("the titles to give back"),
    "count": _("how many items"),
    "stops": _("how many stops the route has"),
    "start": _("when the route starts"),
    "link": _("the link to the route in the volunteer app"),
    "code": _("the one-time sign-in code"),
    "reader": _("the reader's name"),
    "kind": _("what the volunteer is worried about"),
    "address": _("the reader's address"),
    "phone": _("the volunteer's phone"),
    "card": _("the reader's card number"),
    "branch_phone": _("the branch's phone"),
    "title": _("the title that cannot be sent"),
    "waiting": _("the ordered titles that wait for a copy, and that they come when one is free"),
    "holiday": _("the public holiday's name"),
    "moved_from": _("the holiday the visit moved from, as people say it"),
}

SAMPLE_DAY = datetime.date(2026, 3, 12)
SAMPLE_VALUES = {
    "name": "Айгуль", "window": "10:00–13:00", "volunteer": "Ерлан", "time": "11:30",
    "titles": "«Абай жолы», «Война и мир»", "count": "2", "stops": "6", "start": "09:30",
    "link": "https://kniga03.kz/v/route", "code": "4821", "reader": "Айгуль Сейткали",
    "address": "ул. Абая, 10, кв. 5", "phone": "+7 701 555 01 99", "card": "0000123",
    "branch_phone": "+7 7172 55 01 00", "title": "Абай жолы",
    "waiting": "«Абай жолы»: привезём, когда освободится экземпляр.",
}
SAMPLE_KIND = {"ru": "не открыла дверь", "kk": "есікті ашпады"}
SAMPLE_HOLIDAY = {"ru": "Наурыз мейрамы", "kk": "Наурыз мейрамы"}
SAMPLE_MOVED_FROM = datetime.date(2026, 3, 11)


def variables_described(code: str) -> list[str]:
    """`{date}: the day, as people say it (must have)`, one line a variable."""
    if code not in TEMPLATE_VARIABLES:
        return []
    required, optional = TEMPLATE_VARIABLES[code]
    lines = []
    for name in sorted(required | optional):
        meaning = VARIABLE_MEANINGS.get(name, "")
        need = _("must have") if name in required else _("may have")
        lines.append(f"{{{name}}}: {meaning} ({need})")
    return lines


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def sample_render(text: str, language: str) -> str | None:
    """`text` filled in with the sample values in `language`; None if it does not render."""
    values = dict(SAMPLE_VALUES, date=say_date(SAMPLE_DAY, language),
                  kind=SAMPLE_KIND.get(language, SAMPLE_KIND["ru"]),
                  holiday=SAMPLE_HOLIDAY.get(language, SAMPLE_HOLIDAY["ru"]),
                  moved_from=say_date(SAMPLE_MOVED_FROM, language))
    try:
        return string.Formatter().vformat(text, (), _Blank(values)).strip()
    except (ValueError, IndexError, KeyError, AttributeError):
        return None
