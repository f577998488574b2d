"""A librarian places a reader's house on the map in the card form: the card without coordinates
is flagged in the list and on the card, a click on the map drops the pin, saving keeps it as
placed by hand. No coordinate is typed. The tiles come from a fake tile server on 127.0.0.1
(tests/browser/fake_tiles.py), allowed by the Content-Security-Policy as MAP_TILE_URL's is."""
import pytest

from backend.accounts.roles_setup import sync_role_groups
from backend.config.csp import content_security_policy
from backend.readers.models import GeocodeStatus, Reader
from tests.browser.conftest import screenshot, sign_in
from tests.browser.fake_tiles import FakeTiles
from tests.factories import BranchFactory, ReaderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Installed before any page script: records what the Content-Security-Policy refused.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def tiles(settings):
    fake = FakeTiles().start()
    settings.MAP_TILE_URL = fake.template
    settings.MAP_TILE_ATTRIBUTION = "Тестовая подложка"
    settings.CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=fake.template)
    try:
        yield fake
    finally:
        fake.stop()


def test_librarian_drops_the_pin_for_a_card_without_coordinates(page, settings, tiles):
    settings.GEOCODER_URL = ""
    sync_role_groups()  # the roles' permissions: a flushed database lacks its migration's
    branch = BranchFactory(code="BSH", name="Бишкульская библиотека", lat=54.779, lon=69.101)
    placed = ReaderFactory(branch=branch, last_name="Сапарова")
    lost = ReaderFactory(branch=branch, last_name="Безкоординатова", first_name="Әлия",
                         lat=None, lon=None)
    UserFactory(username="lib", role="librarian", is_staff=True)
    page.context.add_init_script(WATCH)
    sign_in(page, "lib")

    # The list's filter finds the card; its column says it has no coordinates.
    page.goto(f"{page.base_url}/admin/readers/reader/")
    page.get_by_role("link", name="Нет координат").click()
    page.wait_for_load_state("networkidle")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Безкоординатова" in rows.inner_text() and "нет координат" in rows.inner_text()
    assert placed.last_name not in page.locator("#result_list").inner_text()
    rows.get_by_role("link", name=lost.card_number).click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_text("Нет координат: визиты нельзя запланировать").is_visible()
    assert page.locator("input[name=lat]").get_attribute("type") == "hidden"
    card_map = page.get_by_role("application", name="Карта: куда приходит волонтёр")
    card_map.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelectorAll('.card-map img.leaflet-tile-loaded').length > 0")
    assert tiles.requests and all(z == 13 for z, _x, _y in tiles.requests)

    # A click a little up and right of the middle drops the pin there.
    box = card_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 - 40)
    assert page.locator(".card-map .leaflet-marker-icon").count() == 1
    assert "Метка поставлена вручную" in page.locator(".card-map-note").inner_text()
    assert "нет подложки" not in page.locator(".card-map-note").inner_text()
    lat = float(page.locator("input[name=lat]").input_value())
    lon = float(page.locator("input[name=lon]").input_value())
    assert lat > branch.lat and lon > branch.lon  # north-east of the library, near it
    assert abs(lat - branch.lat) < 0.05 and abs(lon - branch.lon) < 0.05
    screenshot(page, "card-map")

    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    assert "/admin/readers/reader/" in page.url and "/change/" not in page.url
    lost = Reader.objects.get(pk=lost.pk)
    assert (lost.lat, lost.lon) == (lat, lon)
    assert lost.geocode_status == GeocodeStatus.MANUAL

    page.goto(f"{page.base_url}/admin/readers/reader/{lost.pk}/change/")
    assert page.get_by_text("Отмечено на карте вручную.").is_visible()
    assert page.locator(".card-map .leaflet-marker-icon").count() == 1
    assert page.evaluate("window.__violations") == []


def test_librarian_chooses_one_of_the_places_the_geocoder_found(page, settings, tiles):
    settings.GEOCODER_URL = ""
    sync_role_groups()
    branch = BranchFactory(code="BSH", name="Бишкульская библиотека", lat=54.779, lon=69.101)
    reader = ReaderFactory(
        branch=branch, lat=None, lon=None, geocode_status=GeocodeStatus.AMBIGUOUS,
        geocode_candidates=[
            {"lat": 54.781, "lon": 69.104, "label": "Ленина 1, Бишкуль"},
            {"lat": 54.9, "lon": 69.3, "label": "Ленина 1, Соколовка"},
        ])
    UserFactory(username="lib", role="librarian", is_staff=True)
    page.context.add_init_script(WATCH)
    sign_in(page, "lib")
    page.goto(f"{page.base_url}/admin/readers/reader/{reader.pk}/change/")
    assert page.get_by_text("Геокодер нашёл несколько мест").is_visible()
    page.wait_for_function("() => document.querySelectorAll('.card-map-candidate').length === 2")

    # A pin dropped by mistake, then the right place chosen in the list: the choice wins.
    card_map = page.get_by_role("application", name="Карта: куда приходит волонтёр")
    card_map.scroll_into_view_if_needed()
    box = card_map.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + box["height"] - 40)
    assert page.locator("input[name=lat]").input_value() != ""
    page.get_by_label("Ленина 1, Соколовка").check()
    assert page.locator("input[name=lat]").input_value() == ""
    assert "Это место сохранится" in page.locator(".card-map-note").inner_text()

    with page.expect_navigation():
        page.locator("input[name=_save]").click()
    reader = Reader.objects.get(pk=reader.pk)
    assert (reader.lat, reader.lon, reader.geocode_status) == (54.9, 69.3, "found")
    assert page.evaluate("window.__violations") == []


def test_a_place_the_geocoder_named_like_html_is_shown_as_text(page, settings, tiles):
    """The geocoder is a service outside the library: a place's name is shown as text in the
    list and in the map's tooltip (a node with the text, never an HTML string), and nothing in
    it runs."""
    settings.GEOCODER_URL = ""
    sync_role_groups()
    hostile = 'Ленина 1 <img src=x onerror="window.__ran = true">'
    branch = BranchFactory(code="BSH", name="Бишкульская библиотека", lat=54.779, lon=69.101)
    reader = ReaderFactory(
        branch=branch, lat=None, lon=None, geocode_status=GeocodeStatus.AMBIGUOUS,
        geocode_candidates=[{"lat": 54.781, "lon": 69.104, "label": hostile},
                            {"lat": 54.9, "lon": 69.3, "label": "Ленина 1, Соколовка"}])
    UserFactory(username="lib", role="librarian", is_staff=True)
    page.context.add_init_script(WATCH)
    sign_in(page, "lib")
    page.goto(f"{page.base_url}/admin/readers/reader/{reader.pk}/change/")
    page.wait_for_function("() => document.querySelectorAll('.card-map-candidate').length === 2")
    page.get_by_role("application", name="Карта: куда приходит волонтёр") \
        .scroll_into_view_if_needed()
    page.locator(".card-map-candidate").first.dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert hostile in tooltip.inner_text()
    assert tooltip.locator("img").count() == 0
    assert page.locator(".card-map img[src=x], form img[src=x]").count() == 0
    assert page.evaluate("window.__ran === undefined")
