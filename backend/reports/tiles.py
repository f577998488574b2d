"""Map tiles for the route pictures the server draws (the SVG and the printed sheets).

One gateway to the tile server of ``MAP_TILE_URL`` (``https://…/{z}/{x}/{y}.png``, the same
server the pages' maps use): `map_view` chooses the Web-Mercator view that fits the points,
`view.xy` places a point on it, and `map_background` returns the streets under that view as
one PNG, or None when there is no tile server or it does not answer; the picture is then
drawn over its plain background.

The work is bounded, because a sheet must print whatever the tile server does:

- at most `MAX_TILES` tiles per picture, each with short connect and read timeouts and at
  most `MAX_TILE_BYTES`, and the whole picture within `PICTURE_SECONDS`;
- all or nothing: one tile missing and the picture goes without streets (a mosaic with a
  hole is worse than the plain background);
- tiles are kept in the cache for a week (tiles change rarely, and the public
  OpenStreetMap servers ask for it); after a failure the server is left alone for
  `BACKOFF_SECONDS`, recorded in the cache, so a dead server costs one timeout per minute
  rather than one per sheet.
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import unescape

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.html import strip_tags
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

TILE_SIZE = 256
MIN_ZOOM = 1
MAX_ZOOM = 17
# The zoom of a picture with one point (or points closer than a few metres).
SINGLE_POINT_ZOOM = 16
MAX_LATITUDE = 85.05112878

MAX_TILES = 24
MAX_TILE_BYTES = 512 * 1024
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 4.0
PICTURE_SECONDS = 12.0
CACHE_SECONDS = 7 * 24 * 3600
BACKOFF_SECONDS = 60
USER_AGENT = "Kniga03 route sheets"
EARTH_CIRCUMFERENCE_M = 40_075_016.686


# The geometry --------------------------------------------------------------------------------


def world_xy(lat: float, lon: float, zoom: int) -> tuple[float, float]:
    """The point in Web-Mercator pixels of the whole world at `zoom` (256 px tiles)."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    size = TILE_SIZE * 2 ** zoom
    x = (lon + 180.0) / 360.0 * size
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return x, y


@dataclass(frozen=True)
class MapView:
    """A `width` × `height` tile-pixel window on the world at `zoom`, its top left corner at
    world pixel (`left`, `top`), drawn at `scale` tile pixels per unit of the picture (an
    SVG pixel, a PDF point)."""

    zoom: int
    left: float
    top: float
    width: int
    height: int
    scale: float = 1.0

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Where (lat, lon) falls in the picture, in its units from the top left corner."""
        x, y = world_xy(lat, lon, self.zoom)
        return (x - self.left) / self.scale, (y - self.top) / self.scale

    def metres_per_unit(self) -> float:
        """On the ground, at the middle of the window: what one unit of the picture spans."""
        n = math.pi - 2 * math.pi * (self.top + self.height / 2) / (TILE_SIZE * 2 ** self.zoom)
        lat = math.degrees(math.atan(math.sinh(n)))
        return (EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat))
                / (TILE_SIZE * 2 ** self.zoom) * self.scale)

    def tiles(self) -> list[tuple[int, int, float, float]]:
        """The tiles under the window: (x wrapped round the world, y, and where the tile's
        top left corner falls in the window, in tile pixels). Rows beyond the poles are
        left out."""
        first_x = math.floor(self.left / TILE_SIZE)
        last_x = math.floor((self.left + self.width - 1) / TILE_SIZE)
        first_y = math.floor(self.top / TILE_SIZE)
        last_y = math.floor((self.top + self.height - 1) / TILE_SIZE)
        count = 2 ** self.zoom
        return [
            (tx % count, ty, tx * TILE_SIZE - self.left, ty * TILE_SIZE - self.top)
            for ty in range(first_y, last_y + 1) if 0 <= ty < count
            for tx in range(first_x, last_x + 1)
        ]


def map_view(points: Sequence[tuple[float, float]], width: float, height: float,
             padding: float, *, density: float = 1.0) -> MapView | None:
    """The view of a `width` × `height` picture (its own units) that keeps every (lat, lon)
    point at least `padding` inside, centred on them, as close as it can. None without points.

    Tiles come in whole zooms; the picture draws them at between `density` / 2 and `density`
    tile pixels per unit, so the points fill the picture whatever their spread (a PDF of
    186 mm by 54 mm at density 2 takes at most 6 × 3 tiles).
    """
    if not points:
        return None
    inner_w, inner_h = max(width - 2 * padding, 1.0), max(height - 2 * padding, 1.0)
    xs, ys = zip(*(world_xy(lat, lon, 0) for lat, lon in points))
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    # Units of the picture per world pixel at zoom 0, when the points just fit.
    fit = min(inner_w / span_x if span_x else math.inf, inner_h / span_y if span_y else math.inf)
    zoom = math.floor(math.log2(fit * density)) if math.isfinite(fit) else MAX_ZOOM + 1
    if MIN_ZOOM <= zoom <= MAX_ZOOM:
        scale = 2 ** zoom / fit
    else:  # one point, points a few metres apart, or half the world
        zoom = max(MIN_ZOOM, min(zoom, SINGLE_POINT_ZOOM))
        scale = density
    mid_x = (max(xs) + min(xs)) / 2 * 2 ** zoom
    mid_y = (max(ys) + min(ys)) / 2 * 2 ** zoom
    pixels_w, pixels_h = math.ceil(width * scale), math.ceil(height * scale)
    return MapView(zoom=zoom, left=mid_x - width * scale / 2, top=mid_y - height * scale / 2,
                   width=pixels_w, height=pixels_h, scale=scale)


# The tiles -----------------------------------------------------------------------------------


class TileError(Exception):
    """The tile server did not give a tile we can draw."""


def tile_attribution() -> str:
    """The credit the tiles ask for, as plain text ("© OpenStreetMap")."""
    return " ".join(unescape(strip_tags(settings.MAP_TILE_ATTRIBUTION or "")).split())


def _key(kind: str, text: str) -> str:
    return f"maptile:{kind}:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _tile_url(template: str, z: int, x: int, y: int) -> str:
    return (template.replace("{s}", "a").replace("{z}", str(z)).replace("{x}", str(x))
            .replace("{y}", str(y)).replace("{r}", ""))


def _fetch(session: requests.Session, url: str) -> bytes:
    try:
        with session.get(url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True,
                         allow_redirects=False) as answer:
            if answer.status_code != 200:
                raise TileError(f"HTTP {answer.status_code}")
            declared = answer.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_TILE_BYTES:
                raise TileError(f"{declared} bytes")
            body = bytearray()
            for chunk in answer.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_TILE_BYTES:
                    raise TileError(f"more than {MAX_TILE_BYTES} bytes")
    except requests.RequestException as exc:
        raise TileError(str(exc)) from exc
    _check_tile(bytes(body))
    return bytes(body)


def _check_tile(body: bytes) -> Image.Image:
    """The tile as an image, if it is a 256 px PNG or JPEG (read from its header first, so
    a huge image is refused before it is decoded)."""
    try:
        image = Image.open(io.BytesIO(body), formats=("PNG", "JPEG"))
        if image.size != (TILE_SIZE, TILE_SIZE):
            raise TileError(f"a tile of {image.size[0]}×{image.size[1]} pixels")
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise TileError(f"not an image: {exc}") from exc
    return image


def _tiles(template: str, wanted: Iterable[tuple[int, int, int]]) -> dict | None:
    """The tiles as bytes, from the cache or the server; None if any is missing."""
    down_key = _key("down", template)
    keys = {tile: _key("tile", _tile_url(template, *tile)) for tile in wanted}
    found = cache.get_many(list(keys.values()))
    tiles = {tile: found[key] for tile, key in keys.items() if key in found}
    missing = [tile for tile in keys if tile not in tiles]
    if not missing:
        return tiles
    if cache.get(down_key):
        return None
    deadline = time.monotonic() + PICTURE_SECONDS
    fetched = {}
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        for tile in missing:
            url = _tile_url(template, *tile)
            try:
                if time.monotonic() > deadline:
                    raise TileError("out of time for this picture")
                tiles[tile] = fetched[keys[tile]] = _fetch(session, url)
            except TileError as exc:
                logger.warning("Map tiles left out for %s s: %s: %s", BACKOFF_SECONDS, url, exc)
                cache.set(down_key, True, BACKOFF_SECONDS)
                cache.set_many(fetched, CACHE_SECONDS)
                return None
    cache.set_many(fetched, CACHE_SECONDS)
    return tiles


def map_background(view: MapView | None) -> bytes | None:
    """The streets under `view` as a PNG of its size, or None: no tile server set
    (MAP_TILE_URL empty), too many tiles, or the server failed (see the module's notes)."""
    template = settings.MAP_TILE_URL
    if view is None or not template:
        return None
    placed = view.tiles()
    if not placed or len(placed) > MAX_TILES:
        return None
    tiles = _tiles(template, {(view.zoom, x, y) for x, y, _at_x, _at_y in placed})
    if tiles is None:
        return None
    picture = Image.new("RGB", (view.width, view.height), (247, 247, 242))
    for x, y, at_x, at_y in placed:
        try:
            tile = _check_tile(tiles[(view.zoom, x, y)]).convert("RGBA")
        except TileError:
            return None
        # Through its own alpha: a tile server's transparent parts show the background.
        picture.paste(tile, (round(at_x), round(at_y)), tile)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
