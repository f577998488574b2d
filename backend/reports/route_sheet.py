"""The route sheet (маршрутный лист): one volunteer's day on paper.

`route_sheet_data` shapes what `routing.doors.route_doors` reads (a fixed number of
queries, whatever the number of stops); `render_route_sheet_pdf` lays it out in the
volunteer's language. Both are plain functions so the staff API, the mobile API and a
nightly print job can share them.
"""
from __future__ import annotations

import datetime
from dataclasses import asdict
from functools import partial
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from backend.catalog.models import Format
from backend.core.pdf import FONT, FONT_BOLD, NumberedCanvas, register_fonts
from backend.readers.models import PhoneKind
from backend.routing.doors import Door, route_doors
from backend.routing.models import Route

SHEET_LANGUAGES = ("kk", "ru")
DEFAULT_LANGUAGE = "ru"


# How many books one table row lists before the stop continues on the next row: a row
# cannot break across pages, so a heavy stop is cut into rows that can.
ITEMS_PER_ROW = 8
NBSP = "\u00a0"


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


def _hhmm(value: datetime.datetime | datetime.time | None) -> str:
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
        "expected_time": _hhmm(arrival),
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
        "start_time": _hhmm(departure) or (stop_rows[0]["expected_time"] if stop_rows else ""),
        "end_time": _hhmm(back),
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


def _phone_kind_label(kind: str) -> str:
    try:
        return str(PhoneKind(kind).label)
    except ValueError:
        return kind


# PDF ----------------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=10.5,
                              splitLongWords=True)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9)
        self.head = ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=7.5,
                                   leading=9, textColor=colors.HexColor("#444444"))
        self.number = ParagraphStyle("number", parent=base, fontName=FONT_BOLD, fontSize=15,
                                     leading=18, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=17,
                                    leading=21, spaceAfter=2 * mm)
        self.label = ParagraphStyle("label", parent=base, textColor=colors.HexColor("#555555"))
        self.value = ParagraphStyle("value", parent=base, fontName=FONT_BOLD, fontSize=9.5,
                                    leading=12)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _lines(*items: str) -> str:
    return "<br/>".join(item for item in items if item)


def _book_line(book: dict[str, Any], extra: str = "") -> str:
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


# Landscape A4 minus 12 mm margins is 273 mm; the books get the widest columns.
COLUMN_WIDTHS_MM = (11, 23, 33, 39, 28, 33, 44, 36, 26)


def _stop_table(stop: dict[str, Any], styles: _Styles) -> Table:
    heads = [_("No."), _("Time"), _("Reader"), _("Address"), _("Access notes"), _("Phone"),
             _("Hand over"), _("Collect"), "✓"]
    window = f"{_hhmm(stop['window_start'])}–{_hhmm(stop['window_end'])}"
    time_text = _lines(
        f"<b>{window}</b>",
        escape(_("expected at %(time)s") % {"time": stop["expected_time"]})
        if stop["expected_time"] else "",
    )
    name = _lines(
        f"<b>{escape(stop['name'])}</b>",
        escape(_("Family card: %(name)s") % {"name": stop["family_name"]})
        if stop["family_name"] else "",
        escape(_("Also served: %(names)s") % {"names": ", ".join(stop["members"])})
        if stop["members"] else "",
    )
    notes = _lines(*(escape(n) for n in stop["access_notes"]), escape(stop["note"] or ""))
    phone = stop["phone"]
    phone_text = "—"
    if phone:
        phone_text = _lines(
            # Non-breaking spaces: a number split over two lines gets misdialled.
            f"<b>{escape(phone['display']).replace(' ', NBSP)}</b>",
            escape(_phone_kind_label(phone["kind"])) + (
                f": {escape(phone['who'])}" if phone["who"] != stop["name"] else ""
            ),
        )
    if stop.get("books_hidden"):
        count = len(stop["hand_over"])
        hand = [escape(ngettext("%(count)d item", "%(count)d items", count)
                       % {"count": count})] if count else []
        back = ["• " + escape(_("due %(date)s") % {"date": b["due_date"].strftime("%d.%m")})
                for b in stop["collect"]]
    else:
        hand = [_book_line(b, b["reader"] if stop["members"] else "")
                for b in stop["hand_over"]]
        back = [
            _book_line(b, _("due %(date)s") % {"date": b["due_date"].strftime("%d.%m")})
            for b in stop["collect"]
        ]
    box = "<font size='11'>☐</font>" + NBSP
    check = _lines(box + escape(_("delivered")), box + escape(_("not home")))

    row_count = max(1, -(-max(len(hand), len(back)) // ITEMS_PER_ROW))
    rows = [[_p(escape(h), styles.head) for h in heads]]
    for index in range(row_count):
        chunk = slice(index * ITEMS_PER_ROW, (index + 1) * ITEMS_PER_ROW)
        hand_text = _lines(*hand[chunk]) or ("—" if index == 0 else "")
        back_text = _lines(*back[chunk]) or ("—" if index == 0 else "")
        if index == 0:
            rows.append([
                _p(str(stop["number"]), styles.number),
                _p(time_text, styles.body),
                _p(name, styles.body),
                _p(escape(address_text(stop["address"])) or "—", styles.body),
                _p(notes or "—", styles.small),
                _p(phone_text, styles.body),
                _p(hand_text, styles.small),
                _p(back_text, styles.small),
                _p(check, styles.small),
            ])
        else:
            rows.append(["", "", "", "", "", "", _p(hand_text, styles.small),
                         _p(back_text, styles.small), ""])
    table = Table(rows, colWidths=[w * mm for w in COLUMN_WIDTHS_MM], repeatRows=1)
    table.setStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
        ("BOX", (0, 0), (-1, -1), 0.9, colors.black),
        ("INNERGRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#888888")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])
    return table


def _header(data: dict[str, Any], styles: _Styles) -> list:
    totals = data["totals"]
    branch = data["branch"]
    summary = " · ".join([
        ngettext("%(count)d stop", "%(count)d stops", totals["stops"])
        % {"count": totals["stops"]},
        ngettext("To hand over: %(count)d item", "To hand over: %(count)d items",
                 totals["hand_over"]) % {"count": totals["hand_over"]},
        ngettext("To collect: %(count)d item", "To collect: %(count)d items",
                 totals["collect"]) % {"count": totals["collect"]},
    ] + ([_("Distance: %(km)s km") % {"km": format_number(totals["distance_km"])}]
         if totals["distance_km"] else []))
    pairs = [
        (_("Volunteer"), data["volunteer"]["name"], _("Date"), format_date(data["date"])),
        (_("Branch"), ", ".join(p for p in (branch["name"], branch["address"]) if p),
         _("Leaves at"), data["start_time"] or "—"),
        (_("Totals"), summary, _("Back by"), data["end_time"] or "—"),
    ]
    rows = [
        [_p(escape(a), styles.label), _p(escape(b), styles.value),
         _p(escape(c), styles.label), _p(escape(d), styles.value)]
        for a, b, c, d in pairs
    ]
    info = Table(rows, colWidths=[28 * mm, 160 * mm, 32 * mm, 53 * mm])
    info.setStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, -1), (-1, -1), 0.9, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])
    return [_p(escape(_("Route sheet")), styles.title), info, Spacer(1, 4 * mm)]


def render_route_sheet_pdf(data: dict[str, Any], language: str | None = None) -> bytes:
    """The sheet as PDF bytes, in `language` (default: the volunteer's)."""
    register_fonts()
    language = language or data["volunteer"]["language"]
    with translation.override(language):
        styles = _Styles()
        heading = _("Route sheet")
        title = f"{heading} — {data['volunteer']['name']} — {format_date(data['date'])}"
        branch = data["branch"]
        # Names the day on every page, in case the pages come apart on the way.
        footer = f"{data['volunteer']['name']}, {format_date(data['date'])} · {branch['name']}"
        if branch["phone"]:
            footer += " · " + _("Branch phone: %(phone)s") % {"phone": branch["phone"]}
        buffer = BytesIO()
        doc = SimpleDocTemplate(
            buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
            topMargin=10 * mm, bottomMargin=14 * mm, title=title,
            author=branch["name"], subject=_("Route sheet"),
            lang=language, invariant=True,
        )
        story = _header(data, styles)
        for stop in data["stops"]:
            story.append(KeepTogether([_stop_table(stop, styles), Spacer(1, 3 * mm)]))
        if not data["stops"]:
            story.append(_p(escape(_("No stops on this route.")), styles.body))
        doc.build(story, canvasmaker=partial(NumberedCanvas, footer=footer))
    return buffer.getvalue()
