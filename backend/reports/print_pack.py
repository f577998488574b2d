"""Route sheets on paper: one volunteer's sheet (`render_route_sheet_pdf`) and the day's
print pack (`render_print_pack_pdf`: every volunteer's sheet, then the day's summary).

A sheet is portrait A4: the header once, a route picture, and a table with one row per
stop, so a route of six stops fits on one page. The stops come from
`route_sheet.route_sheet_data` (times already in the branch's zone), so the pack says what
the single sheets say; a coordinator's pack goes through `without_books` like the sheet.
"""
from __future__ import annotations

import datetime
from functools import partial
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from backend.core.pdf import FONT, FONT_BOLD, NumberedCanvas, register_fonts
from backend.reports.route_map import _distance_label, _scale_bar_km
from backend.reports.route_sheet import (
    address_text,
    book_line,
    format_date,
    format_number,
    hhmm,
    phone_kind_label,
    route_sheet_data,
    routes_for_sheet,
    without_books,
)
from backend.reports.tiles import map_background, map_view, tile_attribution
from backend.routing.models import DayPlan, Stop, StopStatus, UnservedReason

# Portrait A4 minus 12 mm margins is 186 mm.
PAGE_WIDTH_MM = 186
COLUMN_WIDTHS_MM = (7, 22, 44, 39, 57, 17)
# A coordinator's sheet counts the items instead of naming them: the names get the room.
COLUMN_WIDTHS_COUNTED_MM = (7, 22, 52, 50, 38, 17)
FOOTER_ROOM_MM = PAGE_WIDTH_MM - 40
MAP_HEIGHT_MM = 54
# The streets under the printed route: at most 2 tile pixels per point (144 dpi; at least
# 72), so a sheet's picture takes at most 6 × 3 tiles.
TILE_DENSITY = 2.0
NBSP = "\u00a0"
# A table row cannot break across pages: a stop with more lines of books than this goes on
# in continuation rows that can.
ITEM_LINES_PER_ROW = 24


# Reads -------------------------------------------------------------------------------------


def plan_pack_data(plan: DayPlan, *, books: bool) -> dict[str, Any]:
    """Each route's sheet data (in the order of the plan's routes) and the stops no route
    took, with why. `books=False` is the coordinator's pack: counts and due dates only."""
    sheets = []
    for route in routes_for_sheet().filter(plan=plan).order_by("id"):
        data = route_sheet_data(route)
        sheets.append(data if books else without_books(data))
    unserved = [
        {"name": stop.family_card.name if stop.family_card_id else stop.reader.full_name,
         "reader_id": stop.reader_id, "family_card_id": stop.family_card_id,
         "reason": stop.unserved_reason}
        for stop in Stop.objects.filter(plan=plan, route__isnull=True)
        .exclude(status=StopStatus.CANCELLED).select_related("reader", "family_card")
        .order_by("id")
    ]
    return {"plan": {"id": plan.pk, "date": plan.date, "branch": plan.branch.name,
                     "utc_offset": _utc_offset(plan)},
            "sheets": sheets, "unserved": unserved}


def _utc_offset(plan: DayPlan) -> str:
    """"+5" for Almaty: the zone as a reader of the page knows it, not its database name."""
    noon = datetime.datetime.combine(plan.date, datetime.time(12), tzinfo=plan.branch.zone)
    minutes = round(noon.utcoffset().total_seconds() / 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def pack_reader_ids(pack: dict[str, Any]) -> tuple[list[int], list[int]]:
    """The readers and family cards the pack names, for the card access log."""
    readers = [pk for sheet in pack["sheets"] for stop in sheet["stops"]
               for pk in (stop["reader_id"], *stop["member_ids"])]
    readers += [row["reader_id"] for row in pack["unserved"]]
    families = [stop["family_card_id"] for sheet in pack["sheets"] for stop in sheet["stops"]]
    families += [row["family_card_id"] for row in pack["unserved"]]
    return readers, [pk for pk in families if pk]


# The route picture --------------------------------------------------------------------------


class RoutePicture(Flowable):
    """The route drawn straight onto the page, as the SVG draws it: the branch as a square,
    numbered stops joined in order over the streets (or a plain background when the tile
    server does not answer), a scale bar and a north arrow."""

    def __init__(self, data: dict[str, Any], width: float, height: float) -> None:
        super().__init__()
        self.data, self.width, self.height = data, width, height
        self.scale_text = ""
        self.north = pgettext("compass", "N")
        self.branch_text = _("Branch")
        self.nothing = _("Nothing to draw: no coordinates.")
        self.credit = tile_attribution()
        self.missing = [s for s in data["stops"] if s["lat"] is None or s["lon"] is None]
        self.missing_text = (_("No coordinates:") + " " + ", ".join(
            f"{s['number']}. {s['name']}" for s in self.missing)) if self.missing else ""

    def _points(self) -> tuple[list, tuple | None, tuple | None]:
        branch, volunteer = self.data["branch"], self.data["volunteer"]
        depot = (branch["lat"], branch["lon"]) if branch["lat"] is not None else None
        home = tuple(volunteer.get("home") or (None, None))
        home = home if None not in home else None
        start = home if volunteer.get("starts_at") == "home" and home else depot
        end = home if volunteer.get("ends_at") == "home" and home else depot
        placed = [s for s in self.data["stops"] if s not in self.missing]
        return placed, start, end

    def draw(self) -> None:
        c = self.canv
        w, h = self.width, self.height
        band = 5 * mm if self.missing else 0
        c.saveState()
        c.setFillColor(colors.HexColor("#f7f7f2"))
        c.setStrokeColor(colors.HexColor("#bbbbbb"))
        c.rect(0, band, w, h - band, fill=1, stroke=1)
        placed, start, end = self._points()
        points = [(s["lat"], s["lon"]) for s in placed] + [p for p in (start, end) if p]
        if points:
            self._draw_route(placed, start, end, points, band)
        else:
            c.setFillColor(colors.HexColor("#666666"))
            c.setFont(FONT, 10)
            c.drawCentredString(w / 2, h / 2, self.nothing)
        # North arrow, top right.
        nx, ny = w - 8 * mm, h - 4 * mm
        c.setFillColor(colors.black)
        path = c.beginPath()
        path.moveTo(nx, ny)
        path.lineTo(nx - 2.5 * mm, ny - 7 * mm)
        path.lineTo(nx, ny - 5 * mm)
        path.lineTo(nx + 2.5 * mm, ny - 7 * mm)
        path.close()
        c.drawPath(path, fill=1, stroke=0)
        c.setFont(FONT_BOLD, 9)
        c.drawCentredString(nx, ny - 11 * mm, self.north)
        if self.missing:
            c.setFont(FONT, 7.5)
            c.setFillColor(colors.HexColor("#8a3b00"))
            c.drawString(1 * mm, 1.3 * mm, self.missing_text[:150])
        c.restoreState()

    def _draw_route(self, placed, start, end, points, band) -> None:
        c = self.canv
        top = self.height
        view = map_view(points, self.width, top - band, 6 * mm, density=TILE_DENSITY)
        background = map_background(view)
        if background is not None:
            c.drawImage(ImageReader(BytesIO(background)), 0, band, self.width, top - band)
            c.setStrokeColor(colors.HexColor("#bbbbbb"))
            c.rect(0, band, self.width, top - band, fill=0, stroke=1)
            if self.credit:
                c.setFont(FONT, 6.5)
                room = stringWidth(self.credit, FONT, 6.5) + 2 * mm
                c.setFillColor(colors.Color(1, 1, 1, alpha=0.8))
                c.rect(self.width - room, band, room, 3.4 * mm, fill=1, stroke=0)
                c.setFillColor(colors.HexColor("#333333"))
                c.drawRightString(self.width - 1 * mm, band + 1 * mm, self.credit)

        def xy(point):
            x, y = view.xy(*point)
            return x, top - y

        path = [p for p in (start,) if p] + [(s["lat"], s["lon"]) for s in placed]
        path += [p for p in (end,) if p]
        if len(path) >= 2:
            c.setStrokeColor(colors.HexColor("#1f5fa8"))
            c.setLineWidth(1.8)
            c.setLineJoin(1)
            line = c.beginPath()
            line.moveTo(*xy(path[0]))
            for point in path[1:]:
                line.lineTo(*xy(point))
            c.drawPath(line, fill=0, stroke=1)
        branch = self.data["branch"]
        for place in {p for p in (start, end) if p}:
            x, y = xy(place)
            label = (self.branch_text if place == (branch["lat"], branch["lon"])
                     else pgettext("map", "Home"))
            c.setFillColor(colors.HexColor("#333333"))
            c.setStrokeColor(colors.white)
            c.rect(x - 2.2 * mm, y - 2.2 * mm, 4.4 * mm, 4.4 * mm, fill=1, stroke=1)
            c.setFont(FONT_BOLD, 8)
            c.setFillColor(colors.black)
            c.drawString(x + 3.2 * mm, y - 1 * mm, label)
        for stop in placed:
            x, y = xy((stop["lat"], stop["lon"]))
            c.setFillColor(colors.HexColor("#d9480f"))
            c.setStrokeColor(colors.white)
            c.setLineWidth(1.2)
            c.circle(x, y, 3 * mm, fill=1, stroke=1)
            c.setFillColor(colors.white)
            c.setFont(FONT_BOLD, 8 if stop["number"] < 100 else 6)
            c.drawCentredString(x, y - 1.05 * mm, str(stop["number"]))
        per_km = 1000 / view.metres_per_unit()
        bar_km = _scale_bar_km(1 / per_km, (self.width - 18 * mm) / 4)
        bx, by = 4 * mm, band + 3 * mm
        c.setStrokeColor(colors.black)
        c.setLineWidth(1.2)
        c.line(bx, by, bx + bar_km * per_km, by)
        c.line(bx, by, bx, by + 1.5 * mm)
        c.line(bx + bar_km * per_km, by, bx + bar_km * per_km, by + 1.5 * mm)
        c.setFillColor(colors.black)
        c.setFont(FONT, 8)
        c.drawString(bx + bar_km * per_km + 1.5 * mm, by, _distance_label(bar_km))


# Text ----------------------------------------------------------------------------------------


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("pack", fontName=FONT, fontSize=8, leading=9.6,
                              splitLongWords=True)
        self.body = base
        self.small = ParagraphStyle("pack-small", parent=base, fontSize=7, leading=8.4)
        self.head = ParagraphStyle("pack-head", parent=base, fontName=FONT_BOLD, fontSize=7,
                                   leading=8.4, textColor=colors.HexColor("#444444"))
        self.number = ParagraphStyle("pack-number", parent=base, fontName=FONT_BOLD,
                                     fontSize=12, leading=14)
        self.title = ParagraphStyle("pack-title", parent=base, fontName=FONT_BOLD,
                                    fontSize=14, leading=17, spaceAfter=1 * mm)
        self.subtitle = ParagraphStyle("pack-subtitle", parent=base, fontName=FONT_BOLD,
                                       fontSize=10.5, leading=13, spaceBefore=3 * mm,
                                       spaceAfter=1 * mm)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(text, style)


def _lines(*items: str) -> str:
    return "<br/>".join(item for item in items if item)


def _count(singular: str, plural: str, count: int) -> str:
    return ngettext(singular, plural, count) % {"count": count}


def stops_text(count: int) -> str:
    return _count("%(count)d stop", "%(count)d stops", count)


def volunteers_text(count: int) -> str:
    return _count("%(count)d volunteer", "%(count)d volunteers", count)


def items_text(count: int) -> str:
    return _count("%(count)d item", "%(count)d items", count)


def _sheet_header(data: dict[str, Any], styles: _Styles) -> list:
    totals, branch = data["totals"], data["branch"]
    facts = [stops_text(totals["stops"]),
             _count("To hand over: %(count)d item", "To hand over: %(count)d items",
                    totals["hand_over"]),
             _count("To collect: %(count)d item", "To collect: %(count)d items",
                    totals["collect"])]
    if totals["distance_km"]:
        facts.append(_("Distance: %(km)s km") % {"km": format_number(totals["distance_km"])})
    times = " · ".join(p for p in (
        _("Leaves at") + " " + data["start_time"] if data["start_time"] else "",
        _("Back by") + " " + data["end_time"] if data["end_time"] else "") if p)
    title = f"{escape(_('Route sheet'))} — {escape(data['volunteer']['name'])}"
    phone = _("Branch phone: %(phone)s") % {"phone": branch["phone"]} if branch["phone"] else ""
    line = " · ".join(p for p in (format_date(data["date"]), branch["name"],
                                  branch["address"], phone) if p)
    return [
        _p(title, styles.title),
        _p(_lines(f"<b>{escape(line)}</b>", escape(times), escape(" · ".join(facts))),
           styles.body),
        Spacer(1, 2 * mm),
    ]


def _items_lines(stop: dict[str, Any]) -> list[str]:
    if stop.get("books_hidden"):
        out = len(stop["hand_over"])
        hand = [escape(_("Hand over") + ": " + items_text(out))] if out else []
        back = [escape(_("Collect") + ": " + ", ".join(
            _("due %(date)s") % {"date": b["due_date"].strftime("%d.%m")}
            for b in stop["collect"]))] if stop["collect"] else []
    else:
        hand = ([f"<b>{escape(_('Hand over'))}</b>"]
                + [book_line(b) for b in stop["hand_over"]]) if stop["hand_over"] else []
        back = ([f"<b>{escape(_('Collect'))}</b>"]
                + [book_line(b, _("due %(date)s") % {"date": b["due_date"].strftime("%d.%m")})
                   for b in stop["collect"]]) if stop["collect"] else []
    return [*hand, *back] or ["—"]


def _stops_table(data: dict[str, Any], styles: _Styles) -> Table:
    heads = [_("No."), _("Time"), _("Reader"), _("Address"), _("Items"), "✓"]
    rows = [[_p(escape(h), styles.head) for h in heads]]
    box = "☐" + NBSP
    for stop in data["stops"]:
        window = f"{hhmm(stop['window_start'])}–{hhmm(stop['window_end'])}"
        time_text = _lines(f"<b>{window}</b>", escape(
            _("expected at %(time)s") % {"time": stop["expected_time"]})
            if stop["expected_time"] else "")
        phone = stop["phone"]
        phone_text = ""
        if phone:
            kind = phone_kind_label(phone["kind"])
            if phone["who"] != stop["name"]:
                kind += f": {phone['who']}"
            phone_text = (f"<b>{escape(phone['display']).replace(' ', NBSP)}</b> "
                          f"<font color='#555555'>({escape(kind)})</font>")
        name = _lines(
            f"<b>{escape(stop['name'])}</b>",
            escape(_("Family card: %(name)s") % {"name": stop["family_name"]})
            if stop["family_name"] else "",
            escape(_("Also served: %(names)s") % {"names": ", ".join(stop["members"])})
            if stop["members"] else "",
            phone_text,
        )
        items = _items_lines(stop)
        notes = [escape(n) for n in (*stop["access_notes"], stop["note"] or "") if n]
        address = _lines(escape(address_text(stop["address"])) or "—",
                         *(f"<font color='#8a3b00'>{n}</font>" for n in notes))
        rows.append([
            _p(str(stop["number"]), styles.number),
            _p(time_text, styles.body),
            _p(name, styles.body),
            _p(address, styles.body),
            _p(_lines(*items[:ITEM_LINES_PER_ROW]), styles.small),
            _p(_lines(box + escape(_("delivered")), box + escape(_("not home"))),
               styles.small),
        ])
        for start in range(ITEM_LINES_PER_ROW, len(items), ITEM_LINES_PER_ROW):
            rows.append(["", "", "", "",
                         _p(_lines(*items[start:start + ITEM_LINES_PER_ROW]), styles.small),
                         ""])
    counted = any(stop.get("books_hidden") for stop in data["stops"])
    widths = COLUMN_WIDTHS_COUNTED_MM if counted else COLUMN_WIDTHS_MM
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
        ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
        ("INNERGRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#888888")),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ])
    return table


def sheet_story(data: dict[str, Any]) -> list:
    """One volunteer's compact sheet, in the active language."""
    styles = _Styles()
    story = _sheet_header(data, styles)
    story.append(RoutePicture(data, PAGE_WIDTH_MM * mm, MAP_HEIGHT_MM * mm))
    story.append(Spacer(1, 3 * mm))
    if data["stops"]:
        story.append(_stops_table(data, styles))
    else:
        story.append(_p(escape(_("No stops on this route.")), styles.body))
    return story


def _reason_text(code: str) -> str:
    try:
        return str(UnservedReason(code).label)
    except ValueError:
        return _("Not planned")


def summary_story(pack: dict[str, Any]) -> list:
    """The day on one page: each volunteer's figures, the totals, the stops left out."""
    styles = _Styles()
    plan, sheets = pack["plan"], pack["sheets"]
    story = [_p(escape(_("The day: %(branch)s, %(date)s") % {
        "branch": plan["branch"], "date": format_date(plan["date"])}), styles.title)]
    served = sum(s["totals"]["stops"] for s in sheets)
    hand = sum(s["totals"]["hand_over"] for s in sheets)
    back = sum(s["totals"]["collect"] for s in sheets)
    km = round(sum(s["totals"]["distance_km"] for s in sheets), 1)
    totals = [
        _count("%(count)d stop planned", "%(count)d stops planned", served),
        _count("%(count)d stop not planned", "%(count)d stops not planned",
               len(pack["unserved"])),
        volunteers_text(len(sheets)),
        _count("To hand over: %(count)d item", "To hand over: %(count)d items", hand),
        _count("To collect: %(count)d item", "To collect: %(count)d items", back),
        _("Distance: %(km)s km") % {"km": format_number(km)},
    ]
    story.append(_p(escape(" · ".join(totals)), styles.body))
    story.append(_p(escape(_("Volunteers")), styles.subtitle))
    heads = [_("Volunteer"), _("Stops"), _("Leaves at"), _("Back by"), _("Items"),
             _("Distance")]
    rows = [[_p(escape(h), styles.head) for h in heads]]
    for sheet in sheets:
        t = sheet["totals"]
        rows.append([_p(escape(x), styles.body) for x in (
            sheet["volunteer"]["name"], stops_text(t["stops"]), sheet["start_time"] or "—",
            sheet["end_time"] or "—",
            _("%(out)s out, %(back)s back") % {"out": t["hand_over"], "back": t["collect"]},
            _("%(km)s km") % {"km": format_number(t["distance_km"])})])
    story.append(_table(rows, (50, 26, 22, 26, 38, 24)))
    story.append(_p(escape(_("Not planned")), styles.subtitle))
    if pack["unserved"]:
        rows = [[_p(escape(_("Reader")), styles.head), _p(escape(_("Why")), styles.head)]]
        rows += [[_p(escape(row["name"]), styles.body),
                  _p(escape(_reason_text(row["reason"])), styles.body)]
                 for row in pack["unserved"]]
        story.append(_table(rows, (80, 106)))
    else:
        story.append(_p(escape(_("Every stop of the day is in a route.")), styles.body))
    story.append(Spacer(1, 3 * mm))
    story.append(_p(escape(_("Times are the branch's local time (UTC%(offset)s).")
                           % {"offset": plan["utc_offset"]}), styles.small))
    return story


def _table(rows: list, widths_mm: tuple[int, ...]) -> Table:
    table = Table(rows, colWidths=[w * mm for w in widths_mm], repeatRows=1)
    table.setStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
        ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
        ("INNERGRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#888888")),
    ])
    return table


def _footer(name: str, date, branch: str) -> str:
    """Names the day on every page, in case the pages come apart on the way; cut short
    rather than run into the page number."""
    footer = ", ".join(p for p in (name, format_date(date)) if p) + f" · {branch}"
    room = FOOTER_ROOM_MM * mm
    if stringWidth(footer, FONT, 8) <= room:
        return footer
    while footer and stringWidth(footer + "…", FONT, 8) > room:
        footer = footer[:-1]
    return footer + "…"


def _build(story: list, *, title: str, author: str, language: str, footer: str) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=10 * mm, bottomMargin=13 * mm, title=title, author=author,
        subject=_("Route sheet"), lang=language, invariant=True,
    )
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer=footer))
    return buffer.getvalue()


def render_route_sheet_pdf(data: dict[str, Any], language: str | None = None) -> bytes:
    """One volunteer's sheet as PDF bytes, in `language` (default: the volunteer's)."""
    register_fonts()
    language = language or data["volunteer"]["language"]
    with translation.override(language):
        name, branch = data["volunteer"]["name"], data["branch"]
        return _build(
            sheet_story(data),
            title=f"{_('Route sheet')} — {name} — {format_date(data['date'])}",
            author=branch["name"], language=language,
            footer=_footer(name, data["date"], branch["name"]))


def render_print_pack_pdf(pack: dict[str, Any], language: str | None = None) -> bytes:
    """The pack as PDF bytes: each sheet in `language`, else in its volunteer's; the
    summary page in `language`, else the active one."""
    register_fonts()
    summary_language = language or translation.get_language() or "ru"
    story: list = []
    for data in pack["sheets"]:
        with translation.override(language or data["volunteer"]["language"]):
            story += sheet_story(data)
        story.append(PageBreak())
    with translation.override(summary_language):
        story += summary_story(pack)
        plan = pack["plan"]
        return _build(
            story, title=f"{_('Route sheets')} — {plan['branch']}, {format_date(plan['date'])}",
            author=plan["branch"], language=summary_language,
            footer=_footer("", plan["date"], plan["branch"]))
