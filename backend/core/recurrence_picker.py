"""The recurrence picker: a form field that builds a recurrence rule from choices a person
understands, for standing plans and volunteers' shifts.

Three ways cover the rules the library uses: every week or every few weeks on chosen
weekdays; every month on the 1st, 2nd, 3rd, 4th or last of chosen weekdays; every month on
chosen days of the month. Each may end on a date or after a number of times. A rule made
some other way (the API, an import) that the choices cannot show is kept as it is under
"another rule": the form shows it as its sentence, with the text box for those who know the
format. The field's value is the rule text (RFC 5545 RRULE); the services check it.

The sentence next to the picker comes from the server (`rrule_describe`): on the page as it
is rendered, then as the choices change, from `describe_view` (staff only, in the admin) which
builds the rule from the same choices with the same code.
"""
from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backend.core.recurrence import PART_ORDER, WEEKDAYS, RRuleError, rule_parts
from backend.core.recurrence_text import period_phrase, rrule_describe

WEEKLY, MONTHLY_NTH, MONTHLY_DAYS, ADVANCED = "weekly", "monthly_nth", "monthly_days", "advanced"
NEVER, UNTIL, COUNT = "never", "until", "count"
POSITIONS = (1, 2, 3, 4, -1)
LAST_DAY = -1
MAX_WEEKS = 8
PARTS = ("mode", "interval", "weekdays", "positions", "nth_weekdays", "monthdays", "end",
         "until", "count", "advanced")
LISTS = frozenset({"weekdays", "positions", "nth_weekdays", "monthdays"})

MODE_LABELS = (
    (WEEKLY, gettext_lazy("Every week or every few weeks, on chosen weekdays")),
    (MONTHLY_NTH, gettext_lazy("Every month, by the weekday's place in the month "
                               "(e.g. the 1st and 3rd Monday)")),
    (MONTHLY_DAYS, gettext_lazy("Every month, on days of the month")),
    (ADVANCED, gettext_lazy("Another rule (advanced)")),
)
WEEKDAY_NAMES = (
    pgettext_lazy("weekday", "Monday"), pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"), pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"), pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
)
POSITION_NAMES = {
    1: pgettext_lazy("which weekday of the month", "1st"),
    2: pgettext_lazy("which weekday of the month", "2nd"),
    3: pgettext_lazy("which weekday of the month", "3rd"),
    4: pgettext_lazy("which weekday of the month", "4th"),
    -1: pgettext_lazy("which weekday of the month", "last"),
}
END_LABELS = (
    (NEVER, gettext_lazy("no end")),
    (UNTIL, gettext_lazy("until a date")),
    (COUNT, gettext_lazy("a number of times")),
)


def _blank() -> dict[str, Any]:
    return {"mode": WEEKLY, "interval": "1", "weekdays": [], "positions": [],
            "nth_weekdays": [], "monthdays": [], "end": NEVER, "until": "", "count": "",
            "advanced": ""}


def picker_values(text: str | None) -> dict[str, Any]:
    """The picker's choices for a rule; "another rule" (with the text kept) for a rule the
    choices cannot make. An empty rule gives an empty weekly picker."""
    values = _blank()
    if not text or not str(text).strip():
        return values
    try:
        parts = rule_parts(text)
        if "UNTIL" in parts:
            datetime.datetime.strptime(parts["UNTIL"], "%Y%m%d")
    except (RRuleError, ValueError):  # ValueError: an UNTIL such as 20271399
        parts = None
    values.update(_choices(parts) if parts is not None else {"mode": ADVANCED})
    if values["mode"] == ADVANCED:
        # Only a rule the choices cannot show is written out, in its own box.
        values.update(_blank(), mode=ADVANCED, advanced=str(text).strip())
    return values


def _choices(parts: dict[str, str]) -> dict[str, Any]:
    values = _blank()
    parts = dict(parts)
    if "COUNT" in parts:
        values["end"], values["count"] = COUNT, parts.pop("COUNT")
    elif "UNTIL" in parts:
        until = datetime.datetime.strptime(parts.pop("UNTIL"), "%Y%m%d").date()
        values["end"], values["until"] = UNTIL, until.isoformat()
    freq, interval = parts.pop("FREQ"), int(parts.pop("INTERVAL", "1"))
    byday = parts.pop("BYDAY", "")
    monthdays = parts.pop("BYMONTHDAY", "")
    if parts:  # BYMONTH, BYSETPOS, WKST: no choice for them
        values["mode"] = ADVANCED
        return values
    days = byday.split(",") if byday else []
    if freq == "DAILY" and interval == 1 and not days and not monthdays:
        values["weekdays"] = list(WEEKDAYS)
    elif freq == "WEEKLY" and days and not monthdays and interval <= MAX_WEEKS \
            and all(len(day) == 2 for day in days):
        values["interval"] = str(interval)
        values["weekdays"] = [day for day in WEEKDAYS if day in days]
    elif freq == "MONTHLY" and interval == 1 and days and not monthdays:
        pairs = {(int(day[:-2] or 0), day[-2:]) for day in days}
        positions = sorted({n for n, _day in pairs}, key=POSITIONS.index) \
            if all(n in POSITIONS for n, _day in pairs) else []
        weekdays = [day for day in WEEKDAYS if any(d == day for _n, d in pairs)]
        if not positions or pairs != {(n, d) for n in positions for d in weekdays}:
            values["mode"] = ADVANCED
            return values
        values.update(mode=MONTHLY_NTH, positions=[str(n) for n in positions],
                      nth_weekdays=weekdays)
    elif freq == "MONTHLY" and interval == 1 and monthdays and not days:
        numbers = sorted({int(n) for n in monthdays.split(",")})
        if any(n < 1 and n != LAST_DAY for n in numbers):
            values["mode"] = ADVANCED
            return values
        values.update(mode=MONTHLY_DAYS, monthdays=[str(n) for n in numbers])
    else:
        values["mode"] = ADVANCED
    return values


def _chosen(values: dict[str, Any], name: str, allowed) -> list:
    allowed = [str(value) for value in allowed]
    return [value for value in allowed if value in {str(v) for v in values.get(name) or ()}]


def picker_rule(values: dict[str, Any]) -> str:
    """The rule the choices make, in the checker's normal form; ValidationError (a
    translated message) when a choice is missing."""
    mode = values.get("mode") or WEEKLY
    if mode == ADVANCED:
        text = (values.get("advanced") or "").strip()
        if not text:
            raise ValidationError(_("Write the rule in the box."), code="required")
        try:
            parts = rule_parts(text)
        except RRuleError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        return ";".join(f"{name}={parts[name]}" for name in PART_ORDER if name in parts)
    parts: dict[str, str] = {}
    if mode == WEEKLY:
        days = _chosen(values, "weekdays", WEEKDAYS)
        if not days:
            raise ValidationError(_("Choose at least one weekday."), code="required")
        interval = str(values.get("interval") or "1")
        if interval not in {str(n) for n in range(1, MAX_WEEKS + 1)}:
            interval = "1"
        if interval == "1" and len(days) == 7:
            parts["FREQ"] = "DAILY"
        else:
            parts["FREQ"] = "WEEKLY"
            if interval != "1":
                parts["INTERVAL"] = interval
            parts["BYDAY"] = ",".join(days)
    elif mode == MONTHLY_NTH:
        positions = _chosen(values, "positions", POSITIONS)
        days = _chosen(values, "nth_weekdays", WEEKDAYS)
        if not positions:
            raise ValidationError(
                _("Choose which of the month's weekdays: 1st, 2nd, 3rd, 4th or last."),
                code="required")
        if not days:
            raise ValidationError(_("Choose at least one weekday."), code="required")
        parts["FREQ"] = "MONTHLY"
        parts["BYDAY"] = ",".join(f"{n}{day}" for day in days for n in positions)
    elif mode == MONTHLY_DAYS:
        numbers = _chosen(values, "monthdays", [*range(1, 32), LAST_DAY])
        if not numbers:
            raise ValidationError(_("Choose at least one day of the month."), code="required")
        parts["FREQ"] = "MONTHLY"
        parts["BYMONTHDAY"] = ",".join(numbers)
    else:
        raise ValidationError(_("Choose how it repeats."), code="invalid")
    end = values.get("end") or NEVER
    if end == UNTIL:
        try:
            until = datetime.date.fromisoformat(str(values.get("until") or "").strip())
        except ValueError:
            raise ValidationError(_("Give the last date."), code="invalid") from None
        parts["UNTIL"] = until.strftime("%Y%m%d")
    elif end == COUNT:
        count = str(values.get("count") or "").strip()
        if not count.isdigit() or not 1 <= int(count) <= 10000:
            raise ValidationError(_("Give how many times (1 to 10000)."), code="invalid")
        parts["COUNT"] = str(int(count))
    return ";".join(f"{name}={parts[name]}" for name in PART_ORDER if name in parts)


def picker_sentence(values: dict[str, Any]) -> tuple[str, str]:
    """(the sentence, an error) for the choices: one of them is empty."""
    try:
        return rrule_describe(picker_rule(values)), ""
    except ValidationError as error:
        return "", " ".join(error.messages)


class RecurrencePicker(forms.Widget):
    """The choices of a rule; its value is a dict (see PARTS), the field makes the rule."""

    template_name = "core/recurrence_picker.html"

    class Media:
        css = {"all": ("css/recurrence-picker.css",)}
        js = ("js/recurrence-picker.js",)

    def format_value(self, value):
        return value if isinstance(value, dict) else picker_values(value)

    def value_from_datadict(self, data, files, name):
        if f"{name}_mode" not in data:
            return None
        values = {}
        for part in PARTS:
            key = f"{name}_{part}"
            if part in LISTS:
                values[part] = data.getlist(key) if hasattr(data, "getlist") \
                    else list(data.get(key) or [])
            else:
                values[part] = data.get(key, "")
        return values

    def value_omitted_from_data(self, data, files, name):
        return f"{name}_mode" not in data

    def id_for_label(self, id_):
        return ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = context["widget"]["value"]
        sentence, error = picker_sentence(values)
        if values["mode"] == ADVANCED and not error:
            sentence = rrule_describe(values["advanced"])
        chosen = {part: {str(v) for v in values[part]} for part in LISTS}
        context["picker"] = {
            "values": values,
            "sentence": sentence,
            "describe_url": reverse("admin:recurrence_describe"),
            "modes": [(key, label, values["mode"] == key) for key, label in MODE_LABELS],
            "intervals": [(str(n), period_phrase("WEEKLY", n), values["interval"] == str(n))
                          for n in range(1, MAX_WEEKS + 1)],
            "weekdays": [(day, WEEKDAY_NAMES[i], day in chosen["weekdays"])
                         for i, day in enumerate(WEEKDAYS)],
            "positions": [(str(n), POSITION_NAMES[n], str(n) in chosen["positions"])
                          for n in POSITIONS],
            "nth_weekdays": [(day, WEEKDAY_NAMES[i], day in chosen["nth_weekdays"])
                             for i, day in enumerate(WEEKDAYS)],
            "monthdays": [(str(n), str(n), str(n) in chosen["monthdays"])
                          for n in range(1, 32)],
            "last_day": str(LAST_DAY) in chosen["monthdays"],
            "ends": [(key, label, values["end"] == key) for key, label in END_LABELS],
        }
        return context


class RecurrenceField(forms.Field):
    """A rule chosen with the picker; the cleaned value is the rule's text."""

    widget = RecurrencePicker
    default_error_messages = {"required": gettext_lazy("Choose how it repeats.")}

    def __init__(self, *, max_length: int | None = None, **kwargs):
        kwargs.pop("empty_value", None)
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_python(self, value):
        if value in (None, "", {}):
            return ""
        if isinstance(value, str):
            return value.strip()
        return picker_rule(value)

    def prepare_value(self, value):
        return value


def describe_view(request):
    """GET: the sentence for the picker's choices (the query string holds them by their
    part names). Staff only: the admin site wraps it in its sign-in and permission check."""
    values = {part: request.GET.getlist(part) if part in LISTS else request.GET.get(part, "")
              for part in PARTS}
    sentence, error = picker_sentence(values)
    return JsonResponse({"text": capfirst(sentence), "error": error})
