"""A standing plan in words, as the card history shows it (the snapshot that
`services.standing_plan_snapshot` writes into CardChange)."""
from __future__ import annotations

import datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from backend.core.recurrence_text import rrule_describe


def _day(text: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return None


def _short(day: datetime.date | None) -> str:
    return date_format(day, "SHORT_DATE_FORMAT") if day else ""


def standing_plan_text(snapshot: Any) -> str:
    """`каждый второй вторник, 10:00–12:00, 2 экземпляра за визит, с 06.12.2026; перерыв
    01.07.2027–31.08.2027` in the active language."""
    if not isinstance(snapshot, dict) or not snapshot.get("rrule"):
        return gettext("standing plan")
    starts_on = _day(snapshot.get("starts_on"))
    parts = [rrule_describe(snapshot["rrule"], starts_on=starts_on)]
    if snapshot.get("window_start") and snapshot.get("window_end"):
        parts.append(f"{snapshot['window_start']}–{snapshot['window_end']}")
    items = snapshot.get("items_per_visit")
    if isinstance(items, int):
        parts.append(ngettext("%(n)d item per visit", "%(n)d items per visit", items)
                     % {"n": items})
    if starts_on:
        parts.append(gettext("from %(date)s") % {"date": _short(starts_on)})
    ends_on = _day(snapshot.get("ends_on"))
    if ends_on:
        parts.append(gettext("to %(date)s") % {"date": _short(ends_on)})
    if snapshot.get("active") is False:
        parts.append(gettext("paused"))
    text = ", ".join(parts)
    pauses = [p for p in snapshot.get("pauses") or [] if isinstance(p, dict)]
    if pauses:
        spans = ", ".join(f"{_short(_day(p.get('starts_on')))}–{_short(_day(p.get('ends_on')))}"
                          for p in pauses)
        text += "; " + ngettext("break %(spans)s", "breaks %(spans)s", len(pauses)) % {
            "spans": spans}
    if snapshot.get("note"):
        text += f" ({snapshot['note']})"
    return text
