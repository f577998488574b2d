"""The pick list on paper: the day's waiting lines in the order of the shelves, a box to
tick for each, so the librarian can walk the stacks once. In the page's language."""
from __future__ import annotations

from functools import partial
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from backend.core.pdf import FONT, FONT_BOLD, NumberedCanvas, register_fonts
from backend.orders.picking import PickingDay, PickLine

# Shelf, title, copies to take, order, card, tick: fits A4 portrait inside 12 mm margins.
COLUMN_WIDTHS_MM = (36, 56, 42, 17, 25, 10)
NBSP = "\u00a0"


def _unbroken(text: str) -> str:
    """A shelf mark on one line: "84(5Каз) А-12" cut in two reads as two shelves."""
    return escape(text).replace(" ", NBSP)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=10.5,
                          splitLongWords=True)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=7.5,
                               leading=9, textColor=colors.HexColor("#444444")),
        "shelf": ParagraphStyle("shelf", parent=base, fontName=FONT_BOLD, fontSize=9.5,
                                leading=12),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16,
                                leading=20, spaceAfter=2 * mm),
    }


def _line_text(pick: PickLine) -> str:
    line = pick.line
    if line.title_id:
        text = f"<b>{escape(line.title.title)}</b>"
        if line.title.authors:
            text += "<br/>" + escape(line.title.authors_display)
        if line.kind == "wish" and line.wish_text:
            text += "<br/>" + escape(_("Wish: %(text)s") % {"text": line.wish_text})
        return text
    return escape(_("Wish: %(text)s") % {"text": line.wish_text or "—"})


def _copies_text(pick: PickLine) -> str:
    if not pick.copies:
        return escape(_("No free copy: substitute or cancel."))
    return "<br/>".join(
        f"<b>{escape(item.barcode)}</b>" + (f" · {_unbroken(item.shelf_mark)}"
                                           if item.shelf_mark else "")
        for item in pick.copies)


def _table(board: PickingDay, styles: dict[str, ParagraphStyle]) -> Table:
    heads = [_("Shelf"), _("Title"), _("Copies"), _("Order"), _("Card"), "✓"]
    rows = [[Paragraph(escape(h), styles["head"]) for h in heads]]
    shelf_rows = []
    for shelf in board.shelves:
        label = shelf.mark or _("no shelf mark")
        first = True
        for pick in shelf.lines:
            rows.append([
                Paragraph(_unbroken(label) if first else "", styles["shelf"]),
                Paragraph(_line_text(pick), styles["body"]),
                Paragraph(_copies_text(pick), styles["small"]),
                Paragraph("№" + str(pick.order.pk), styles["body"]),
                Paragraph(escape(pick.line.reader.card_number or "—"), styles["body"]),
                Paragraph("<font size='12'>☐</font>", styles["body"]),
            ])
            if first:
                shelf_rows.append(len(rows) - 1)
            first = False
    table = Table(rows, colWidths=[w * mm for w in COLUMN_WIDTHS_MM], repeatRows=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
        ("BOX", (0, 0), (-1, -1), 0.9, colors.black),
        ("INNERGRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#888888")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    # A heavier rule where a new shelf starts.
    style += [("LINEABOVE", (0, row), (-1, row), 1.2, colors.black) for row in shelf_rows]
    table.setStyle(style)
    return table


def render_pick_list_pdf(board: PickingDay) -> bytes:
    """The pick list as PDF bytes, in the active language."""
    register_fonts()
    styles = _styles()
    day = formats.date_format(board.date, "DATE_FORMAT")
    heading = _("Pick list")
    summary = " · ".join([
        board.branch.name, _("orders wanted by %(date)s") % {"date": day},
        ngettext("%(count)d line to pick", "%(count)d lines to pick", board.waiting)
        % {"count": board.waiting},
    ])
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=10 * mm,
        bottomMargin=14 * mm, title=f"{heading} — {board.branch.name} — {day}",
        author=board.branch.name, subject=heading, lang=get_language() or "ru",
        invariant=True,
    )
    story = [Paragraph(escape(heading), styles["title"]),
             Paragraph(escape(summary), styles["body"]), Spacer(1, 4 * mm)]
    if board.waiting:
        story.append(_table(board, styles))
    else:
        story.append(Paragraph(escape(_("No line waits for a copy.")), styles["body"]))
    footer = f"{heading} · {board.branch.name} · {day}"
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer=footer))
    return buffer.getvalue()
