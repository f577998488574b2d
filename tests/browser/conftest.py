"""Browser tests: Playwright driving Debian's Chromium against a live test server.

`make test` installs Chromium (`apt-get install chromium`) when it is missing; set
CHROMIUM_PATH for another binary. Screenshots of each page go to docs/screenshots/.

Pages run under the Content-Security-Policy (no eval): give `wait_for_function` a function,
"() => …", never a bare expression, which Playwright would eval in the page while polling.
"""
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# tests themselves (fixtures, assertions) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=ru-RU",  # the browser's own language; on Linux LANGUAGE (BROWSER_ENV) sets it
]

# The browser's own controls (time and date inputs) in Russian, 24-hour, as a librarian's
# browser shows them: needs the Russian locale pack (Debian's chromium-l10n, which
# `make chromium` installs); without it they stay English.
BROWSER_ENV = {**os.environ, "LANGUAGE": "ru"}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs it) or "
                    "`apt-get install chromium`, or set CHROMIUM_PATH.")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         env=BROWSER_ENV)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base_url = live_server.url
    yield page
    context.close()


def sign_in(page, username: str, password: str = "correct-horse-battery") -> None:
    """Sign in with the keyboard alone."""
    page.goto(f"{page.base_url}/accounts/login/")
    # The username field has autofocus; under load Chromium may apply it after the page
    # loads, so wait for it rather than lose the first keystrokes.
    page.wait_for_function("() => document.activeElement?.id === 'id_username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    # The form's answer is a navigation, signed in or not: wait for it, or the next goto may
    # run before the session cookie is set and land on the sign-in page.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
