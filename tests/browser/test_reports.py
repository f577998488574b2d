"""The reports page in a real browser: the demo month shows the same numbers as the API."""
import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from backend.reports.figures import default_period, local_zone
from backend.reports.services import report_figures_refresh
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.reports.urls_report_pages")]

FIGURES = ["readers.served", "readers.active", "visits.made", "visits.failed",
           "items.delivered", "items.returned", "items.returned.visit", "family_cards.served"]


def shown(page, key: str, column: str = "value") -> float:
    text = page.locator(f'[data-figure="{key}"][data-column="{column}"]').inner_text()
    return float(text.strip().replace(",", ".").replace("−", "-").replace("+", ""))


def keyboard_sign_in(page, username: str, password: str) -> None:
    """Like conftest's sign_in, but waits for the focus before typing and for the landing
    page after: keys typed while the page loads are lost on a busy machine."""
    page.goto(f"{page.base_url}/accounts/login/")
    page.wait_for_function("() => document.activeElement?.name === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/login/" not in page.url, page.locator("main").inner_text()


def test_the_demo_month_shows_the_api_numbers(page):
    call_command("seed_demo", stdout=io.StringIO())
    year, month = default_period("month")
    keyboard_sign_in(page, "librarian", settings.DEMO_PASSWORD)

    page.goto(f"{page.base_url}/reports/")
    assert page.locator('nav a[href="/reports/"][aria-current="page"]').count() == 1
    assert page.locator("h1").inner_text().startswith("Отчёты")

    # The pickers by keyboard: the month before the default one, then back again.
    page.locator("#id_month").focus()
    page.keyboard.press("ArrowUp" if month > 1 else "End")
    page.locator("form.pickers button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "month=" in page.url
    page.goto(f"{page.base_url}/reports/?period=month&year={year}&month={month}")

    body = page.request.get(
        f"{page.base_url}/api/v1/reports/summary/?period=month&year={year}&number={month}"
    ).json()
    figures = {row["key"]: row for row in body["figures"]}
    assert figures["items.delivered"]["value"] > 0, "the demo has visits last month"
    for key in FIGURES:
        assert shown(page, key) == figures[key]["value"], key
        assert shown(page, key, "previous") == figures[key]["previous"], key
        assert shown(page, key, "change") == figures[key]["change"], key
    assert page.locator(".charts figure").count() == 3
    assert page.locator("svg.chart").count() >= 2  # the demo has no routes driven yet

    # The "?" note opens from the keyboard.
    note = page.locator("details.help summary").first
    note.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.help[open] p").first.is_visible()
    page.keyboard.press("Enter")
    screenshot(page, "reports")


def test_an_open_month_from_the_nights_figures_says_as_of_and_counts_now(page):
    call_command("seed_demo", stdout=io.StringIO())
    report_figures_refresh()
    today = timezone.now().astimezone(local_zone()).date()
    yesterday = today - datetime.timedelta(days=1)
    keyboard_sign_in(page, "librarian", settings.DEMO_PASSWORD)
    page.goto(f"{page.base_url}/reports/?period=month&year={yesterday.year}"
              f"&month={yesterday.month}")
    line = page.locator("#figures-as-of")
    if yesterday.month != today.month:  # the 1st: yesterday's month is over, its figures final
        assert line.count() == 0
        return
    assert line.is_visible()
    assert line.inner_text().startswith("Данные на ")
    screenshot(page, "reports-as-of")
    with page.expect_navigation():
        page.get_by_role("link", name="Пересчитать сейчас").click()
    assert "live=1" in page.url
    assert page.locator("#figures-as-of").count() == 0
