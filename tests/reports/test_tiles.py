"""The streets under the route pictures: tiles from MAP_TILE_URL, fetched by the server from a
fake tile server on 127.0.0.1 (small PNGs of one colour, every request counted)."""
from __future__ import annotations

import base64
import io
import math
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from PIL import Image
from pypdf import PdfReader

from backend.reports import tiles
from backend.reports.print_pack import render_route_sheet_pdf
from backend.reports.route_map import MAP_HEIGHT, PADDING, WIDTH, render_route_svg
from backend.reports.route_sheet import route_sheet_data
from backend.reports.tiles import MapView, map_background, map_view, world_xy
from tests.reports.fake_tile_server import TILE_COLOUR, FakeTileServer
from tests.reports.test_route_sheet import build_route

SVG = "{http://www.w3.org/2000/svg}"
CREDIT = "© Тестовая подложка"


@pytest.fixture
def fake(settings):
    server = FakeTileServer().start()
    settings.MAP_TILE_URL = server.template
    settings.MAP_TILE_ATTRIBUTION = f'<a href="{server.url}/about">{CREDIT}</a>'
    cache.clear()
    yield server
    server.stop()
    cache.clear()


@pytest.fixture
def quick(monkeypatch):
    """Short timeouts, so that a hanging server costs the test a fraction of a second."""
    monkeypatch.setattr(tiles, "CONNECT_TIMEOUT", 0.3)
    monkeypatch.setattr(tiles, "READ_TIMEOUT", 0.3)


def svg_background(svg: str) -> Image.Image | None:
    image = ET.fromstring(svg).find(f".//{SVG}image[@class='tiles']")
    if image is None:
        return None
    prefix = "data:image/png;base64,"
    href = image.get("href")
    assert href.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(href[len(prefix):])))


def pdf_images(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


# The geometry --------------------------------------------------------------------------------


def test_web_mercator_puts_null_island_in_the_middle_of_the_world():
    assert world_xy(0, 0, 0) == pytest.approx((128, 128))
    assert world_xy(0, 180, 1) == pytest.approx((512, 256))
    x, y = world_xy(43.2567, 76.9286, 12)  # Almaty: tile 2923/1501 at zoom 12
    assert (int(x // 256), int(y // 256)) == (2923, 1501)


@pytest.mark.parametrize("density", [1.0, 1.4, 2.0])
def test_the_view_fills_the_picture_with_the_points_inside_its_padding(density):
    points = [(43.20, 76.85), (43.30, 76.99), (43.25, 76.90)]
    view = map_view(points, 752, 540, 48, density=density)
    placed = [view.xy(lat, lon) for lat, lon in points]
    for x, y in placed:
        assert 48 - 1e-6 <= x <= 752 - 48 + 1e-6 and 48 - 1e-6 <= y <= 540 - 48 + 1e-6
    xs, ys = zip(*placed)
    # The points reach the padding on one side or the other: nothing wasted.
    assert max(xs) - min(xs) == pytest.approx(752 - 96) or max(ys) - min(ys) == pytest.approx(
        540 - 96)
    # Whole zooms, drawn at between half the density and the density.
    assert density / 2 < view.scale <= density
    assert (view.width, view.height) == (math.ceil(752 * view.scale),
                                         math.ceil(540 * view.scale))


def test_one_point_is_shown_at_street_level():
    view = map_view([(43.25, 76.9)], 752, 540, 48)
    assert view.zoom == tiles.SINGLE_POINT_ZOOM
    assert view.xy(43.25, 76.9) == pytest.approx((376, 270))


def test_the_scale_bar_reads_metres_on_the_ground():
    # Two points 0.1° of latitude apart (about 11.1 km) stacked in the picture's height.
    view = map_view([(43.20, 76.9), (43.30, 76.9)], 752, 540, 48)
    (_x1, y1), (_x2, y2) = view.xy(43.20, 76.9), view.xy(43.30, 76.9)
    # Web Mercator stretches north-south by 1/cos(latitude), as it does east-west.
    assert abs(y1 - y2) * view.metres_per_unit() == pytest.approx(11_120, rel=0.01)


# The SVG -------------------------------------------------------------------------------------


def test_the_svg_draws_the_route_over_the_tiles_with_their_credit(db, fake):
    svg = render_route_svg(route_sheet_data(build_route(6)), "ru")
    background = svg_background(svg)
    assert background is not None
    image = ET.fromstring(svg).find(f".//{SVG}image[@class='tiles']")
    assert (image.get("width"), image.get("height")) == (str(WIDTH - PADDING), str(MAP_HEIGHT))
    scale = background.size[0] / (WIDTH - PADDING)
    assert 0.7 < scale <= 1.41
    assert background.size[1] == pytest.approx(MAP_HEIGHT * scale, abs=1)
    assert background.convert("RGB").getpixel((300, 200)) == TILE_COLOUR
    assert 1 <= len(fake.requests) <= tiles.MAX_TILES
    assert len(set(fake.requests)) == len(fake.requests)
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}g[@class='attribution']/{SVG}text").text == CREDIT
    assert len(root.findall(f".//{SVG}g[@class='stop']")) == 6
    # The route is drawn over the streets, not under them.
    children = [child.get("class") for child in root]
    assert children.index("tiles") < children.index("route")


def test_tiles_come_from_the_cache_the_second_time(db, fake):
    data = route_sheet_data(build_route(3))
    first = render_route_svg(data, "ru")
    asked = len(fake.requests)
    assert asked > 0
    second = render_route_svg(data, "ru")
    assert len(fake.requests) == asked
    assert svg_background(second) is not None
    assert first == second


def test_without_a_tile_server_the_route_is_on_the_plain_background(db, settings):
    settings.MAP_TILE_URL = ""
    settings.MAP_TILE_ATTRIBUTION = ""
    svg = render_route_svg(route_sheet_data(build_route(3)), "ru")
    assert svg_background(svg) is None
    assert "attribution" not in svg
    assert len(ET.fromstring(svg).findall(f".//{SVG}g[@class='stop']")) == 3


def test_a_server_that_is_gone_leaves_the_plain_background(db, fake):
    data = route_sheet_data(build_route(3))
    fake.stop()
    svg = render_route_svg(data, "ru")
    assert svg_background(svg) is None
    assert "attribution" not in svg
    assert len(ET.fromstring(svg).findall(f".//{SVG}g[@class='stop']")) == 3


def test_a_hanging_server_is_asked_once_then_left_alone_for_a_while(db, fake, quick):
    data = route_sheet_data(build_route(3))
    fake.mode = "hang"
    assert svg_background(render_route_svg(data, "ru")) is None
    assert len(fake.requests) == 1  # the first failure ends the picture
    # The next sheets do not wait for it again.
    for _ in range(3):
        assert svg_background(render_route_svg(data, "ru")) is None
    assert len(fake.requests) == 1
    # Once the back-off is over, a server that is back serves the streets again.
    fake.mode = "ok"
    cache.delete(tiles._key("down", fake.template))
    assert svg_background(render_route_svg(data, "ru")) is not None
    assert len(fake.requests) > 1


def test_the_back_off_is_kept_for_a_minute(db, fake):
    fake.mode = "error"
    assert svg_background(render_route_svg(route_sheet_data(build_route(2)), "ru")) is None
    key = tiles._key("down", fake.template)
    assert cache.get(key) is True
    assert tiles.BACKOFF_SECONDS == 60
    # The back-off is the server's, not the picture's: another route does not ask either.
    asked = len(fake.requests)
    assert svg_background(render_route_svg(route_sheet_data(build_route(4)), "ru")) is None
    assert len(fake.requests) == asked


@pytest.mark.parametrize("mode", ["error", "huge", "huge_unannounced", "big_image",
                                  "not_image"])
def test_a_bad_answer_is_refused_and_nothing_is_kept(db, fake, mode):
    fake.mode = mode
    svg = render_route_svg(route_sheet_data(build_route(3)), "ru")
    assert svg_background(svg) is None
    assert len(fake.requests) == 1
    # Nothing of the bad answer went into the cache: once the server mends, it is asked again.
    cache.delete(tiles._key("down", fake.template))
    fake.mode = "ok"
    assert svg_background(render_route_svg(route_sheet_data(build_route(3)), "ru")) is not None


def test_transparent_tiles_show_the_plain_background_colour(db, fake):
    fake.mode = "transparent"
    background = svg_background(render_route_svg(route_sheet_data(build_route(2)), "ru"))
    assert background.convert("RGB").getpixel((100, 100)) == (247, 247, 242)


def test_a_picture_that_would_need_too_many_tiles_asks_for_none(db, fake):
    view = MapView(zoom=12, left=1923 * 256, top=1499 * 256, width=2000, height=2000)
    assert len(view.tiles()) > tiles.MAX_TILES
    assert map_background(view) is None
    assert fake.requests == []
    small = MapView(zoom=12, left=1923 * 256 + 10, top=1499 * 256 + 10, width=600, height=300)
    assert len(small.tiles()) == 6
    assert map_background(small) is not None
    assert len(fake.requests) == 6


# The PDF -------------------------------------------------------------------------------------


def test_the_sheet_of_six_stops_has_the_map_and_still_fits_one_page(db, fake):
    data = route_sheet_data(build_route(6))
    pdf = render_route_sheet_pdf(data, "ru")
    assert pdf_images(pdf) == 1
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert CREDIT in text
    assert "Страница 1 из 1" in text
    for stop in data["stops"]:
        assert stop["name"].split()[0] in text
    asked = len(fake.requests)
    assert 1 <= asked <= tiles.MAX_TILES
    # The same sheet again comes from the cache.
    render_route_sheet_pdf(data, "ru")
    assert len(fake.requests) == asked


def test_the_sheet_prints_without_the_streets_when_the_server_fails(db, fake, quick):
    fake.mode = "hang"
    pdf = render_route_sheet_pdf(route_sheet_data(build_route(6)), "ru")
    assert pdf_images(pdf) == 0
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert CREDIT not in reader.pages[0].extract_text()
