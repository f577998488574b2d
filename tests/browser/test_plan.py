"""A coordinator plans and publishes a day in the browser, by keyboard."""
import pytest

from backend.orders.models import Order
from backend.routing import services
from backend.routing.models import DayPlan, Route, Stop
from tests.browser.conftest import screenshot
from tests.factories import BranchFactory, ReaderFactory, UserFactory
from tests.routing.test_planning import next_weekday, reader_at, ready_order, volunteer

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.routing.urls_plan_pages")]


def sign_in(page, username: str, password: str = "correct-horse-battery") -> None:
    """Sign in by keyboard, waiting for the autofocus first: on a busy machine Chromium
    applies it a moment after the load event and early keys would be lost."""
    page.goto(f"{page.base_url}/accounts/login/")
    try:
        page.wait_for_function("() => document.activeElement?.id === 'id_username'", timeout=5000)
    except Exception:  # noqa: BLE001 - no autofocus at all: focus the field as a user would
        page.focus("#id_username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/login/" not in page.url, "sign-in failed"


def small_day():
    branch = BranchFactory(code="BSH", name="Бишкульская библиотека", lat=54.0, lon=69.0)
    day = next_weekday()
    volunteer(branch, "09:00", "13:00")
    volunteer(branch, "13:00", "18:00")
    # Two mornings and two afternoons: each volunteer gets a route of their own.
    orders = [ready_order(reader_at(branch, lon, lat), day, window=window)
              for lon, lat, window in ((69.01, 54.0, ("09:00", "11:00")),
                                       (69.02, 54.005, ("09:00", "11:00")),
                                       (68.99, 54.01, ("14:00", "16:00")),
                                       (69.0, 53.99, ("14:00", "16:00")))]
    lost_reader = ReaderFactory(branch=branch, lat=None, lon=None, last_name="Безкоординатова")
    lost = ready_order(lost_reader, day)
    return branch, day, orders, lost


def test_coordinator_plans_and_publishes_a_day(page):
    branch, day, orders, lost = small_day()
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={day.isoformat()}")
    assert page.locator(".branch-marker").count() == 1

    # Keyboard only: from the time limit field, set 1 s and Tab to "Спланировать".
    page.locator("#plan-time-limit").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "plan-solve"
    page.keyboard.press("Enter")

    page.wait_for_function("() => document.querySelectorAll('#plan-routes .route').length === 2")
    page.wait_for_function(
        "() => document.querySelectorAll('.stop-marker:not(.unserved)').length === 4")
    assert page.locator(".leaflet-overlay-pane path").count() >= 1  # the routes' lines
    unserved = page.locator("#plan-unserved .unserved-row")
    assert unserved.count() == 1
    assert "Безкоординатова" in unserved.inner_text()
    assert "У адреса нет координат" in unserved.locator(".reason").inner_text()
    # Numbers with their words in the right form, from the plural rules of the catalogue.
    figures = page.locator("#plan-figures").inner_text()
    assert "4 остановки обслужены" in figures, figures
    assert "1 остановка не спланирована" in figures, figures
    assert "2 волонтёра" in figures, figures
    heads = page.locator("#plan-routes .route-head").all_inner_texts()
    assert all("2 остановки" in head for head in heads), heads
    screenshot(page, "plan-day")

    page.locator("#plan-publish").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('plan-state').dataset.status === 'published'")
    assert page.locator("#plan-publish").is_disabled()
    assert page.locator("#plan-print").get_attribute("href").endswith(
        f"/api/v1/plans/{DayPlan.objects.get(branch=branch, date=day).pk}/sheets.pdf")

    plan = DayPlan.objects.get(branch=branch, date=day)
    assert plan.status == "published"
    statuses = set(Order.objects.filter(pk__in=[o.pk for o in orders])
                   .values_list("status", flat=True))
    assert statuses == {"scheduled"}
    assert Order.objects.get(pk=lost.pk).status == "ready"


def test_while_the_planner_runs_the_page_asks_for_its_state_alone(page):
    """A page left open on a planner that runs (in a worker) shows its progress, asking for
    the planner's state each second, and reads the whole plan once, when it is done."""
    from urllib.parse import urlparse

    from backend.readers.models import CardAccess

    branch, day, _orders, _lost = small_day()
    UserFactory(username="coord", role="coordinator", branch=branch)
    plan = services.plan_get_or_create(branch=branch, date=day)
    DayPlan.objects.filter(pk=plan.pk).update(
        solve_status="running", progress={"elapsed": 2.5, "served": 3, "volunteers": 2})
    sign_in(page, "coord")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlparse(request.url).path))
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={day.isoformat()}")
    box = page.locator("#plan-progress")
    box.wait_for()
    assert "3 остановки обслужены" in box.inner_text(), box.inner_text()
    assert "2 волонтёра" in box.inner_text(), box.inner_text()
    assert page.locator("#plan-solve").get_attribute("aria-busy") == "true"

    state, whole = f"/api/v1/plans/{plan.pk}/progress/", f"/api/v1/plans/{plan.pk}/"
    logged = CardAccess.objects.count()
    DayPlan.objects.filter(pk=plan.pk).update(
        progress={"elapsed": 3.5, "served": 5, "volunteers": 2})
    page.wait_for_function(
        "() => document.getElementById('plan-progress').textContent.includes('5 остановок')")
    assert asked.count(state) >= 1, asked
    assert whole not in asked, asked  # no route, stop or reader read while it runs
    assert CardAccess.objects.count() == logged

    services.plan_solve(plan=plan, time_limit=1)
    page.wait_for_function("() => document.querySelectorAll('#plan-routes .route').length === 2")
    assert box.is_hidden()
    assert asked.count(whole) == 1, asked
    assert page.locator("#plan-solve").get_attribute("aria-busy") == "false"


def test_moving_a_stop_says_what_it_breaks(page):
    branch = BranchFactory(code="MOV", name="Явленская библиотека", lat=54.0, lon=69.0)
    day = next_weekday()
    volunteer(branch, "09:00", "12:00")
    volunteer(branch, "14:00", "18:00")
    morning = [ready_order(reader_at(branch, lon), day, window=("09:00", "11:00"))
               for lon in (69.01, 69.02)]
    for lon in (68.99, 68.98):
        ready_order(reader_at(branch, lon), day, window=("15:00", "17:00"))
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={day.isoformat()}")
    page.fill("#plan-time-limit", "1")
    page.locator("#plan-solve").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#plan-routes .route').length === 2")

    stop = Stop.objects.get(orders=morning[0])
    other = Route.objects.filter(plan=stop.plan).exclude(pk=stop.route_id).get()
    page.locator(f'tr[data-stop="{stop.pk}"] button').first.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "edit-pin"
    page.select_option("#edit-route", str(other.pk))
    page.fill("#edit-position", "1")
    page.locator("#edit-move-save").focus()
    page.keyboard.press("Enter")
    page.locator("#plan-messages li").first.wait_for()  # the missed window is said
    stop.refresh_from_db()
    assert stop.route_id == other.pk
    moved = f'#plan-routes [data-route="{other.pk}"] tr[data-stop="{stop.pk}"]'
    assert page.locator(moved).count() == 1


def test_the_day_in_kazakh(page):
    branch, day, _orders, _lost = small_day()
    services.plan_solve(plan=services.plan_get_or_create(branch=branch, date=day), time_limit=1)
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/plan/?branch={branch.pk}&date={day.isoformat()}")
    page.get_by_role("button", name="Қазақ").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("#unserved-title").inner_text() == "Жоспарланбағандар"
    assert "Мекенжайдың координаттары жоқ" in page.locator("#plan-unserved .reason").inner_text()
    assert page.locator("#plan-solve").inner_text() == "Қайта жоспарлау"
    screenshot(page, "plan-day-kk")
