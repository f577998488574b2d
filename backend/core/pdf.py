"""What every printed page of the house shares: the font that has every Cyrillic and Kazakh
letter, and a canvas whose footer says "page 2 of 3". The route sheets (reports) and the
pick list (orders) are laid out with these."""
from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


def register_fonts() -> None:
    """DejaVu Sans has every Cyrillic and Kazakh letter; reportlab's own fonts have none."""
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT not in registered:
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
    if FONT_BOLD not in registered:
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT,
                                  boldItalic=FONT_BOLD)


class NumberedCanvas(pdf_canvas.Canvas):
    """Holds the pages back until the end, so the footer can say "page 2 of 3"."""

    def __init__(self, *args, footer: str = "", font: str = FONT, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._footer = footer
        self._font = font

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        width, _height = self._pagesize
        self.saveState()
        self.setFont(self._font, 8)
        self.setFillColor(colors.HexColor("#444444"))
        self.drawString(12 * mm, 7 * mm, self._footer)
        self.drawRightString(width - 12 * mm, 7 * mm,
                             _("Page %(page)d of %(pages)d") % {"page": number, "pages": total})
        self.restoreState()
