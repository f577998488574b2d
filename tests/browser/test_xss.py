"""Hostile names in a real browser: a reader, a volunteer and a library named with script are
shown on the day plan, the phone desk, the reports and the admin as text; nothing runs, no
dialog opens, and the Content-Security-Policy blocks an inline script the page did not mean
to have."""
import pytest

from backend.accounts.roles_setup import sync_role_groups
from backend.routing import services
from tests.factories import BranchFactory, ReaderPhoneFactory, UserFactory
from tests.routing.test_planning import next_weekday, reader_at, ready_order, volunteer

pytestmark = pytest.mark.django_db(transaction=True)

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
READER_NAME = f"{IMG}{SCRIPT}"

# Installed before any page script: records what the policy refused, and would record a
# payload that ran (alert is replaced so a run shows even if the dialog is dismissed).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def hostile_day():
    branch = BranchFactory(code="XSS", name=f"Библиотека {IMG}", lat=54.0, lon=69.0)
    day = next_weekday()
    helper = volunteer(branch, "09:00", "18:00")
    helper.user.first_name = SCRIPT
    helper.user.save(update_fields=["first_name"])
    reader = reader_at(branch, 69.01, last_name=READER_NAME, first_name=IMG,
                       patronymic='" onmouseover="alert(3)')
    ReaderPhoneFactory(reader=reader, number="+77019998877")
    ready_order(reader, day)
    plan = services.plan_get_or_create(branch=branch, date=day)
    services.plan_solve(plan=plan, time_limit=1)
    return branch, day, reader


@pytest.fixture
def watched(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.context.add_init_script(WATCH)
    page.dialogs = dialogs
    return page


def sign_in(page, username: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse-battery")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/accounts/login/" not in page.url, "sign-in failed"


def open_page(page, path: str) -> None:
    page.goto(f"{page.base_url}{path}")
    page.wait_for_load_state("networkidle")


def assert_nothing_ran_and_inline_script_is_blocked(page) -> None:
    assert page.dialogs == []
    # The page itself needed nothing the policy refuses (no inline style, script, handler).
    assert page.evaluate("window.__violations") == []
    # An inline script slipped into the page is refused by the browser.
    page.evaluate("""() => {
      const s = document.createElement("script");
      s.textContent = "window.__inline_ran = true; alert(4);";
      document.body.appendChild(s);
    }""")
    page.wait_for_function("() => window.__violations.length > 0")
    assert page.evaluate("window.__inline_ran") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__violations"))
    # An inline handler too.
    page.evaluate("""() => {
      const b = document.createElement("img");
      b.setAttribute("onerror", "window.__handler_ran = true");
      b.src = "data:,not-an-image";
      document.body.appendChild(b);
    }""")
    page.wait_for_function("() => window.__violations.some(v => v.startsWith('script-src-attr'))")
    assert page.evaluate("window.__handler_ran") is None
    assert page.dialogs == []


def test_the_day_plan_shows_hostile_names_as_text(watched, hostile_day):
    branch, day, reader = hostile_day
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(watched, "coord")
    open_page(watched, f"/plan/?branch={branch.pk}&date={day.isoformat()}")
    watched.wait_for_function("() => document.querySelectorAll('.stop-marker').length === 1")
    row = watched.locator("#plan-routes .stop-row").first
    assert READER_NAME in row.inner_text()
    assert SCRIPT in watched.locator("#plan-routes h3").first.inner_text()
    # The map's tooltip, Leaflet's innerHTML sink before, holds the name as text.
    watched.locator(".stop-marker").first.hover()
    tooltip = watched.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert READER_NAME in tooltip.inner_text()
    assert tooltip.locator("img, script").count() == 0
    injected = "#plan-page img[src=x], main script:not([src]):not([type='application/json'])"
    assert watched.locator(injected).count() == 0
    # The editor's heading too.
    watched.locator("#plan-routes .stop-row button").first.click()
    assert READER_NAME in watched.locator("#plan-edit-stop").inner_text()
    assert_nothing_ran_and_inline_script_is_blocked(watched)


def test_the_phone_desk_shows_hostile_names_as_text(watched, hostile_day):
    _branch, _day, reader = hostile_day
    UserFactory(username="op", role="operator")
    sign_in(watched, "op")
    open_page(watched, "/desk/")
    watched.locator("#desk-q").fill("9998877")
    watched.locator("#desk-matches .desk-pick").first.wait_for()
    assert READER_NAME in watched.locator("#desk-matches").inner_text()
    assert watched.locator("#desk-matches img, #desk-matches script").count() == 0
    with watched.expect_navigation():
        watched.locator("#desk-matches .desk-pick").first.click()
    watched.wait_for_load_state("networkidle")
    assert READER_NAME in watched.locator("h1#who").inner_text()
    assert_nothing_ran_and_inline_script_is_blocked(watched)


def test_the_reports_page_shows_hostile_names_as_text(watched, hostile_day):
    branch, _day, _reader = hostile_day
    UserFactory(username="lib", role="librarian")
    sign_in(watched, "lib")
    open_page(watched, f"/reports/?branch={branch.pk}")
    assert IMG in watched.locator("main").inner_text()  # the library's name, in the picker
    assert watched.locator("main img[src=x]").count() == 0
    assert_nothing_ran_and_inline_script_is_blocked(watched)


def test_the_admin_shows_hostile_names_as_text(watched, hostile_day):
    _branch, _day, reader = hostile_day
    sync_role_groups()  # the roles' permissions: a flushed database lacks its migration's
    UserFactory(username="lib", role="librarian", is_staff=True)
    sign_in(watched, "lib")
    open_page(watched, "/admin/readers/reader/")
    assert READER_NAME in watched.locator("#result_list").inner_text()
    open_page(watched, f"/admin/readers/reader/{reader.pk}/change/")
    assert watched.locator("#id_last_name").input_value() == READER_NAME
    assert watched.locator("#content img[src=x]").count() == 0
    assert_nothing_ran_and_inline_script_is_blocked(watched)


def test_the_api_docs_run_under_the_policy_from_the_package(watched):
    open_page(watched, "/api/docs/")
    watched.locator(".swagger-ui .info .title").wait_for()
    assert "Kniga 03 API" in watched.locator(".swagger-ui .info .title").inner_text()
    assert watched.locator(".swagger-ui .opblock").count() > 10
    assert_nothing_ran_and_inline_script_is_blocked(watched)


def test_the_route_sheets_page_may_frame_its_own_sheets(watched, hostile_day):
    branch, day, _reader = hostile_day
    plan = services.plan_get_or_create(branch=branch, date=day)
    UserFactory(username="coord", role="coordinator", branch=branch)
    sign_in(watched, "coord")
    open_page(watched, f"/plan/{plan.pk}/sheets/")
    # A refused frame shows Chromium's error page instead of the sheet.
    frames = watched.main_frame.child_frames
    assert frames and all(f.url.endswith("/sheet.pdf") for f in frames), [f.url for f in frames]
    assert not [f.url for f in watched.frames if f.url.startswith("chrome-error:")]
    assert watched.evaluate("window.__violations") == []
    assert watched.dialogs == []
