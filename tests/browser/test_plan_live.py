"""The coordinator's day as it happens, without a reload, while a volunteer works through the
app; times in the library's zone whatever the browser's; the map over OpenStreetMap tiles."""
import datetime

import pytest

from backend.branches.models import branch_zone
from backend.config.csp import content_security_policy
from backend.orders.models import Order
from backend.routing import services
from backend.routing.models import Concern, DayPlan, Route, Stop
from tests.browser.conftest import screenshot
from tests.browser.fake_tiles import FakeTiles, draw_tile
from tests.browser.test_plan import sign_in, small_day
from tests.factories import BranchFactory, UserFactory
from tests.mobile_api.conftest import app_for, make_volunteer, new_key
from tests.mobile_api.test_day import API, planned_today

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.routing.urls_plan_pages")]


@pytest.fixture
def utc_page(browser, live_server):
    """A coordinator's browser whose clock is set to UTC, not to the library's zone."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU",
                                  timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    yield page
    context.close()


def published_day():
    branch, day, orders, lost = small_day()
    plan = services.plan_get_or_create(branch=branch, date=day)
    services.plan_solve(plan=plan, time_limit=1)
    services.plan_publish(plan=plan)
    return branch, day, plan


def test_times_read_in_the_librarys_zone_on_a_utc_browser(utc_page):
    page = utc_page
    branch, day, plan = published_day()
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={day.isoformat()}")
    page.wait_for_function("() => document.querySelectorAll('#plan-routes .stop-row').length === 4")
    assert page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
    zone = branch_zone(branch)
    assert str(zone) == "Asia/Almaty"
    for stop in Stop.objects.filter(plan=plan, route__isnull=False):
        cell = page.locator(f'tr[data-stop="{stop.pk}"] td').nth(2).inner_text()
        local = stop.expected_arrival.astimezone(zone)
        assert cell == f"{local:%H:%M}", (cell, stop.expected_arrival)
        # Within the reader's window, as the library reads it; the UTC clock would not be.
        assert stop.window_start <= local.time() <= stop.window_end
        assert cell != f"{stop.expected_arrival.astimezone(datetime.UTC):%H:%M}"


@pytest.fixture
def osm_tiles(settings):
    """The default map: the public OpenStreetMap tiles with their attribution, allowed by the
    Content-Security-Policy; the browser's requests for them go to a fake tile server."""
    fake = FakeTiles().start()
    settings.MAP_TILE_URL = settings.OSM_TILE_URL
    settings.MAP_TILE_ATTRIBUTION = settings.OSM_TILE_ATTRIBUTION
    settings.CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=settings.OSM_TILE_URL)
    try:
        yield fake
    finally:
        fake.stop()


def route_tiles(page, fake) -> list[str]:
    asked: list[str] = []

    def serve(route):
        z, x, y = route.request.url.rsplit("/", 3)[1:]
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png",
                      body=draw_tile(int(z), int(x), int(y.removesuffix(".png"))))

    page.route("https://tile.openstreetmap.org/**", serve)
    return asked


def app_act(client, path, body=None):
    response = client.post(API + path, body or {}, format="json", HTTP_IDEMPOTENCY_KEY=new_key())
    assert response.status_code in (200, 201), response.content
    return response.json()


def wait_row(page, stop_id, text):
    page.wait_for_function(
        "([id, text]) => { const r = document.querySelector(`#plan-routes tr[data-stop='${id}']`);"
        " return r && r.textContent.includes(text); }", arg=[stop_id, text], timeout=8000)


def test_the_day_live_without_a_reload(utc_page, osm_tiles):
    page = utc_page
    asked = route_tiles(page, osm_tiles)
    volunteer = make_volunteer(branch=BranchFactory(code="LIV", name="Бишкульская библиотека",
                                                    lat=54.0, lon=69.0))
    branch = volunteer.branch
    planned_today(volunteer)
    plan = DayPlan.objects.get(branch=branch)
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={plan.date.isoformat()}")
    page.wait_for_function("() => document.querySelectorAll('#plan-routes .stop-row').length === 3")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    # A real map: tiles (here from the fake) and the OpenStreetMap attribution.
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    assert asked and "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()

    app = app_for(volunteer)
    route = app.get(f"{API}routes/{Route.objects.get(plan=plan).pk}/").json()
    first, second, third = route["stops"]
    zone = branch_zone(branch)

    app_act(app, f"stops/{first['id']}/arrive/")
    wait_row(page, first["id"], "На месте")
    arrived = Stop.objects.get(pk=first["id"]).arrived_at.astimezone(zone)
    assert f"{arrived:%H:%M}" in page.locator(f'tr[data-stop="{first["id"]}"]').inner_text()

    app_act(app, f"stops/{first['id']}/complete/",
            {"delivered": [b["barcode"] for b in first["hand_over"]], "collected": []})
    wait_row(page, first["id"], "Выполнено")
    first_row = page.locator(f'tr[data-stop="{first["id"]}"]')
    assert all(b.is_disabled() for b in first_row.locator("td.actions button").all())
    page.wait_for_function(
        "() => (document.querySelector('.live-progress') || {}).textContent?.includes('1 из 3')")

    app_act(app, f"stops/{second['id']}/fail/", {"reason": "not_home", "note": "Звонили дважды"})
    wait_row(page, second["id"], "Никого нет дома")
    wait_row(page, second["id"], "Звонили дважды")
    assert page.locator(f'.stop-marker.live-failed span[data-stop="{second["id"]}"]').count() == 1
    figures = page.locator("#plan-figures").inner_text()
    assert "2 остановки обслужены" in figures and "1 остановка не выполнена" in figures, figures

    app_act(app, f"stops/{third['id']}/arrive/")
    app_act(app, f"stops/{third['id']}/concern/", {"kind": "unwell"})
    wait_row(page, third["id"], "Тревога в")
    concern = Concern.objects.get(stop_id=third["id"]).created_at.astimezone(zone)
    third_row = page.locator(f'tr[data-stop="{third["id"]}"]').inner_text()
    assert f"Тревога в {concern:%H:%M}" in third_row, third_row
    assert page.evaluate("() => window.__sameDocument === true")
    progress = page.locator(".live-progress").inner_text()
    assert "2 из 3 остановок выполнено" in progress, progress

    # The failed stop: its orders wait for another day.
    row = page.locator(f'tr[data-stop="{second["id"]}"]')
    row.locator(".plan-again").click()
    page.locator("#plan-messages .ok").wait_for()
    order = Order.objects.get(stops__id=second["id"])
    assert order.status == "ready" and order.preferred_date > plan.date
    row.scroll_into_view_if_needed()
    screenshot(page, "plan-live")
