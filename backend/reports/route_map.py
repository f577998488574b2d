"""The route as a picture: a self-contained SVG, printable next to the sheet.

The stops are placed in Web-Mercator (`reports.tiles.map_view`), so when the tile server
of MAP_TILE_URL answers, the streets under them are embedded as one image with the tiles'
attribution; otherwise the route is drawn over the plain background."""
from __future__ import annotations

import base64
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from backend.reports.route_sheet import format_date, format_number
from backend.reports.tiles import map_background, map_view, tile_attribution

WIDTH = 800
MAP_HEIGHT = 540
TITLE_BAND = 44
PADDING = 48
LINE_HEIGHT = 16
NICE_KM = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 500, 1000)
FONT = "DejaVu Sans, Arial, sans-serif"
# Tile pixels per SVG pixel, at most: 752 × 540 takes at most 6 × 4 tiles.
TILE_DENSITY = 1.4


def _has_point(lat: float | None, lon: float | None) -> bool:
    return lat is not None and lon is not None


def _n(value: float) -> str:
    """A coordinate for the SVG: short and stable."""
    return f"{value:.1f}"


def _scale_bar_km(km_per_px: float, max_px: float) -> float:
    longest = km_per_px * max_px
    fitting = [km for km in NICE_KM if km <= longest]
    return fitting[-1] if fitting else NICE_KM[0]


def _distance_label(km: float) -> str:
    if km < 1:
        return _("%(metres)s m") % {"metres": round(km * 1000)}
    return _("%(km)s km") % {"km": format_number(km)}


def render_route_svg(data: dict[str, Any], language: str | None = None) -> str:
    """The route drawn from `route_sheet_data`: the branch as a square, numbered stops,
    the path between them, a scale bar and a north arrow. Stops without coordinates are
    listed under the map instead."""
    with translation.override(language or data["volunteer"]["language"]):
        return _render(data)


def _render(data: dict[str, Any]) -> str:
    branch = data["branch"]
    volunteer = data["volunteer"]
    stops = data["stops"]
    placed = [s for s in stops if _has_point(s["lat"], s["lon"])]
    missing = [s for s in stops if not _has_point(s["lat"], s["lon"])]

    depot = (branch["lat"], branch["lon"]) if _has_point(branch["lat"], branch["lon"]) else None
    home = volunteer.get("home") or (None, None)
    home = tuple(home) if _has_point(*home) else None
    start = home if volunteer.get("starts_at") == "home" and home else depot
    end = home if volunteer.get("ends_at") == "home" and home else depot

    points = [(s["lat"], s["lon"]) for s in placed]
    points += [p for p in (depot, start, end) if p]

    footer_lines = (1 + len(missing)) if missing else 0
    height = TITLE_BAND + MAP_HEIGHT + footer_lines * LINE_HEIGHT + (20 if missing else 8)
    title = _("Route of %(name)s, %(date)s") % {
        "name": volunteer["name"], "date": format_date(data["date"])}

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="{FONT}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{PADDING / 2:g}" y="28" font-size="18" font-weight="bold" '
        f'class="title">{escape(title)}</text>',
        f'<rect x="{PADDING / 2:g}" y="{TITLE_BAND}" width="{WIDTH - PADDING}" '
        f'height="{MAP_HEIGHT}" fill="#f7f7f2" stroke="#bbbbbb"/>',
    ]

    view = map_view(points, WIDTH - PADDING, MAP_HEIGHT, PADDING, density=TILE_DENSITY)
    if view is not None:
        background = map_background(view)
        if background is not None:
            out.append(_background(background))

        def to_px(point: tuple[float, float]) -> tuple[float, float]:
            x, y = view.xy(*point)
            return PADDING / 2 + x, TITLE_BAND + y

        path = [p for p in (start,) if p] + points[:len(placed)] + [p for p in (end,) if p]
        if len(path) >= 2:
            coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in map(to_px, path))
            out.append(f'<polyline class="route" points="{coords}" fill="none" '
                       f'stroke="#1f5fa8" stroke-width="2.5" stroke-linejoin="round" '
                       f'stroke-opacity="0.8"/>')

        ends = [(depot, _("Branch"), "depot")]
        if home is not None and home in (start, end):
            ends.append((home, pgettext("map", "Home"), "home"))
        for place, label, css in ends:
            if place is None:
                continue
            x, y = to_px(place)
            out.append(
                f'<g class="{css}"><rect x="{_n(x - 9)}" y="{_n(y - 9)}" width="18" '
                f'height="18" fill="#333333" stroke="#ffffff" stroke-width="1.5"/>'
                f'<text x="{_n(x + 13)}" y="{_n(y + 4)}" font-size="12" '
                f'font-weight="bold">{escape(str(label))}</text></g>'
            )

        for stop in placed:
            x, y = to_px((stop["lat"], stop["lon"]))
            size = 12 if stop["number"] < 10 else 10 if stop["number"] < 100 else 8
            out.append(
                f'<g class="stop" data-number="{stop["number"]}">'
                f'<title>{escape(str(stop["number"]))}. {escape(stop["name"])}</title>'
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="11" fill="#d9480f" stroke="#ffffff" '
                f'stroke-width="2"/>'
                f'<text x="{_n(x)}" y="{_n(y + size * 0.36)}" font-size="{size}" '
                f'font-weight="bold" text-anchor="middle" fill="#ffffff">'
                f'{stop["number"]}</text></g>'
            )

        # Scale bar, bottom left of the map.
        km_per_px = view.metres_per_unit() / 1000
        bar_km = _scale_bar_km(km_per_px, (WIDTH - 2 * PADDING) / 4)
        bar_px = bar_km / km_per_px
        bx, by = PADDING / 2 + 16, TITLE_BAND + MAP_HEIGHT - 18
        out.append(
            f'<g class="scale"><path d="M{_n(bx)},{_n(by - 6)} V{_n(by)} H{_n(bx + bar_px)} '
            f'V{_n(by - 6)}" fill="none" stroke="#000000" stroke-width="2"/>'
            f'<text x="{_n(bx + bar_px + 6)}" y="{_n(by)}" font-size="12">'
            f'{escape(_distance_label(bar_km))}</text></g>'
        )

    # North arrow, top right of the map.
    nx, ny = WIDTH - PADDING / 2 - 24, TITLE_BAND + 14
    north = pgettext("compass", "N")
    out.append(
        f'<g class="north"><path d="M{nx:g},{ny:g} l-8,24 l8,-6 l8,6 z" fill="#000000"/>'
        f'<text x="{nx:g}" y="{ny + 40:g}" font-size="13" font-weight="bold" '
        f'text-anchor="middle">{escape(north)}</text></g>'
    )

    if view is None:
        nothing = _("Nothing to draw: no coordinates.")
        out.append(
            f'<text x="{WIDTH / 2:g}" y="{TITLE_BAND + MAP_HEIGHT / 2:g}" font-size="14" '
            f'text-anchor="middle" fill="#666666">{escape(nothing)}'
            f"</text>"
        )

    if missing:
        top = TITLE_BAND + MAP_HEIGHT + 8
        out.append(f'<g class="no-coordinates"><rect x="{PADDING / 2:g}" y="{top}" '
                   f'width="{WIDTH - PADDING}" height="{footer_lines * LINE_HEIGHT + 4}" '
                   f'fill="#fff4e6" stroke="#e8590c"/>')
        y = top + LINE_HEIGHT - 2
        heading = _("No coordinates:")
        out.append(f'<text x="{PADDING / 2 + 8:g}" y="{y}" font-size="12" font-weight="bold">'
                   f"{escape(heading)}</text>")
        for stop in missing:
            y += LINE_HEIGHT
            out.append(f'<text x="{PADDING / 2 + 8:g}" y="{y}" font-size="12" class="missing">'
                       f'{stop["number"]}. {escape(stop["name"])}</text>')
        out.append("</g>")

    out.append("</svg>")
    return "\n".join(out)


def _background(png: bytes) -> str:
    """The streets under the map's frame, and the credit the tiles ask for."""
    left, top, width = PADDING / 2, TITLE_BAND, WIDTH - PADDING
    data = base64.b64encode(png).decode("ascii")
    parts = [
        f'<image class="tiles" x="{left:g}" y="{top}" width="{width}" height="{MAP_HEIGHT}" '
        f'preserveAspectRatio="none" href="data:image/png;base64,{data}"/>',
        f'<rect x="{left:g}" y="{top}" width="{width}" height="{MAP_HEIGHT}" fill="none" '
        f'stroke="#bbbbbb"/>',
    ]
    credit = tile_attribution()
    if credit:
        box = len(credit) * 6.2 + 10
        right, bottom = left + width, top + MAP_HEIGHT
        parts.append(
            f'<g class="attribution"><rect x="{_n(right - box)}" y="{bottom - 16}" '
            f'width="{_n(box)}" height="16" fill="#ffffff" fill-opacity="0.8"/>'
            f'<text x="{_n(right - 5)}" y="{bottom - 4}" font-size="11" text-anchor="end" '
            f'fill="#333333">{escape(credit)}</text></g>')
    return "\n".join(parts)
