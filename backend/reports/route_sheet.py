"""The route sheet (маршрутный лист): one volunteer's day, as data and as text.

`route_sheet_data` shapes what `routing.doors.route_doors` reads (a fixed number of
queries, whatever the number of stops); `reports.print_pack` lays it out on paper in the
volunteer's language, and `reports.route_map` draws it. Plain functions, so the staff API,
the mobile API and a nightly print job can share them.
"""
from __future__ import annotations

import datetime
from dataclasses import asdict
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from backend.catalog.models import Format
from backend.readers.models import PhoneKind
from backend.routing.doors import Door, route_doors
from backend.routing.models import Route

SHEET_LANGUAGES = ("kk", "ru")
DEFAULT_LANGUAGE = "ru"



# Reads -------------------------------------------------------------------------------------


def routes_for_sheet() -> QuerySet[Route]:
    """Routes with what the sheet's header needs, in the same query."""
    return Route.objects.select_related("plan__branch", "volunteer__user")


def volunteer_language(volunteer) -> str:
    """The sheet's language: the volunteer's first language we print in, else Russian."""
    for code in volunteer.languages or []:
        code = str(code).strip().lower()[:2]
        if code in SHEET_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def _local(value: datetime.datetime | None, zone: ZoneInfo) -> datetime.datetime | None:
    return value.astimezone(zone) if value is not None else None


def hhmm(value: datetime.datetime | datetime.time | None) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def _stop_row(door: Door, zone: ZoneInfo) -> dict[str, Any]:
    arrival = _local(door.expected_arrival, zone)
    return {
        "id": door.stop_id,
        "number": door.number,
        "sequence": door.sequence,
        "kind": door.kind,
        "status": door.status,
        "name": door.name,
        "reader_id": door.reader_id,
        "family_card_id": door.family_card_id,
        "family_name": door.family_name,
        "members": list(door.members),
        "member_ids": list(door.member_ids),
        "address": asdict(door.address),
        "access_notes": list(door.access_notes),
        "note": door.note,
        "phone": asdict(door.phone) if door.phone is not None else None,
        "window_start": door.window_start,
        "window_end": door.window_end,
        "expected_arrival": arrival,
        "expected_time": hhmm(arrival),
        "hand_over": [asdict(book) for book in door.hand_over],
        "collect": [asdict(book) for book in door.collect],
        "lat": door.lat,
        "lon": door.lon,
    }


def route_sheet_data(route: Route) -> dict[str, Any]:
    """Everything the sheet and the map show, as plain data.

    The stops are `routing.doors.route_doors` (six queries however many stops there are),
    plus up to three queries if `route` did not come from `routes_for_sheet()`. Times are in
    the branch's zone.
    """
    plan = route.plan
    branch = plan.branch
    volunteer = route.volunteer
    zone = branch.zone
    stop_rows = [_stop_row(door, zone) for door in route_doors(route)]

    user = volunteer.user
    departure = _local(route.departure, zone)
    back = _local(route.end, zone)
    return {
        "route": {
            "id": route.pk,
            "status": route.status,
            "distance_km": round(route.distance_m / 1000, 1),
            "duration_min": round(route.duration_s / 60),
            "departure": departure,
            "end": back,
        },
        "date": plan.date,
        "time_zone": str(zone),
        "start_time": hhmm(departure) or (stop_rows[0]["expected_time"] if stop_rows else ""),
        "end_time": hhmm(back),
        "volunteer": {
            "id": volunteer.pk,
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "phone": str(user.phone or ""),
            "language": volunteer_language(volunteer),
            "starts_at": volunteer.starts_at,
            "ends_at": volunteer.ends_at,
            "home": (volunteer.home_lat, volunteer.home_lon),
        },
        "branch": {
            "id": branch.pk,
            "name": branch.name,
            "address": ", ".join(p for p in (branch.settlement, branch.address) if p),
            "phone": branch.phone,
            "lat": branch.lat,
            "lon": branch.lon,
        },
        "stops": stop_rows,
        "totals": {
            "stops": len(stop_rows),
            "hand_over": sum(len(row["hand_over"]) for row in stop_rows),
            "collect": sum(len(row["collect"]) for row in stop_rows),
            "distance_km": round(route.distance_m / 1000, 1),
        },
    }


def without_books(data: dict[str, Any]) -> dict[str, Any]:
    """The sheet as a coordinator prints it: how many items to hand over and to collect and
    when each is due, but not which books (a title or a format such as Braille tells about
    the reader's health; a barcode leads to the title)."""
    blank = {"title": "", "authors": "", "format": "", "barcode": ""}
    stops = [
        {**stop, "books_hidden": True,
         "hand_over": [{**book, **blank} for book in stop["hand_over"]],
         "collect": [{**book, **blank} for book in stop["collect"]]}
        for stop in data["stops"]
    ]
    return {**data, "stops": stops}


# Text in the active language ----------------------------------------------------------------


def address_text(address: dict[str, Any]) -> str:
    """One line a volunteer can follow: street, house, flat, entrance, floor, code, landmark."""
    parts = [p for p in (address["settlement"], address["street"], address["house"]) if p]
    if address["apartment"]:
        parts.append(_("apt. %(number)s") % {"number": address["apartment"]})
    if address["entrance"]:
        parts.append(_("entrance %(entrance)s") % {"entrance": address["entrance"]})
    if address["floor"] is not None:
        parts.append(_("floor %(floor)s") % {"floor": address["floor"]})
    if address["door_code"]:
        parts.append(_("door code %(code)s") % {"code": address["door_code"]})
    if address["elevator"] is True:
        parts.append(_("elevator"))
    elif address["elevator"] is False:
        parts.append(_("no elevator"))
    line = ", ".join(str(p) for p in parts)
    if address["landmark"]:
        line += f" ({address['landmark']})"
    return line


def format_date(value: datetime.date) -> str:
    return value.strftime("%d.%m.%Y")


def format_number(value: float) -> str:
    """4.2 -> "4,2": Kazakh and Russian write a decimal comma (Django has no kk formats)."""
    text = f"{value:g}"
    if translation.get_language() in ("ru", "kk"):
        text = text.replace(".", ",")
    return text


def _format_label(code: str) -> str:
    try:
        return str(Format(code).label)
    except ValueError:
        return code


def phone_kind_label(kind: str) -> str:
    try:
        return str(PhoneKind(kind).label)
    except ValueError:
        return kind


def book_line(book: dict[str, Any], extra: str = "") -> str:
    text = escape(book["title"] or "?")
    if book["authors"]:
        text += f" <font color='#555555'>— {escape(book['authors'])}</font>"
    if book["format"] and book["format"] != Format.PRINT:
        text += f" ({escape(_format_label(book['format']))})"
    if book["barcode"]:
        text += f" <b>[{escape(book['barcode'])}]</b>"
    if extra:
        text += f" <font color='#555555'>{escape(extra)}</font>"
    return f"• {text}"
