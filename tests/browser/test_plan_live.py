"""The coordinator's day as it happens: times in the library's zone whatever the browser's."""
import datetime

import pytest

from backend.branches.models import branch_zone
from backend.routing import services
from backend.routing.models import Stop
from tests.browser.test_plan import sign_in, small_day
from tests.factories import UserFactory

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
