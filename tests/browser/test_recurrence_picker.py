"""A librarian sets a standing plan in the admin with the recurrence picker, in a real
browser: no rule is typed, the sentence shows what was chosen, the rule is stored."""
import pytest

from backend.accounts.roles_setup import sync_role_groups
from backend.plans.models import StandingPlan
from tests.browser.conftest import screenshot
from tests.factories import ReaderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Collects what the Content-Security-Policy refused on the page.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


def sign_in(page, username: str) -> None:
    page.goto(f"{page.base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse-battery")
    with page.expect_navigation():
        page.press("#id_password", "Enter")


def test_librarian_chooses_the_1st_and_3rd_monday_and_sees_it_in_words(page):
    sync_role_groups()  # the roles' permissions: a flushed database lacks its migration's
    UserFactory(username="lib", role="librarian", is_staff=True)
    reader = ReaderFactory(last_name="Сәрсенова", first_name="Әлия")
    page.context.add_init_script(WATCH)
    sign_in(page, "lib")
    page.goto(f"{page.base_url}/admin/plans/standingplan/add/")
    page.wait_for_load_state("networkidle")

    # The card, found by name as one types.
    page.locator("#id_reader").locator("xpath=following-sibling::span[1]").click()
    page.locator(".select2-search__field").fill("сәрсенова")
    page.locator(".select2-results__option", has_text=reader.card_number).click()

    picker = page.locator(".kniga-recurrence")
    # The monthly choices are hidden until that way is chosen.
    assert not picker.locator('[data-modes="monthly_nth"]').is_visible()
    picker.get_by_label("Каждый месяц, по номеру дня недели в месяце").check()
    monthly = picker.locator('[data-modes="monthly_nth"]')
    monthly.get_by_label("1-й").check()
    monthly.get_by_label("3-й").check()
    monthly.get_by_label("Понедельник").check()
    preview = picker.locator('[data-part-output="sentence"]')
    page.wait_for_function(
        "() => document.querySelector('[data-part-output=\"sentence\"]').textContent"
        " === '1-й и 3-й понедельник месяца'")
    assert preview.text_content() == "1-й и 3-й понедельник месяца"
    # No rule syntax anywhere a person can read.
    assert "FREQ" not in page.locator("body").inner_text()

    page.fill("#id_starts_on", "01.01.2030")
    page.fill("#id_window_start", "10:00")
    page.fill("#id_window_end", "12:00")
    picker.scroll_into_view_if_needed()
    page.locator(".kniga-recurrence").evaluate("(node) => node.scrollIntoView({block: 'center'})")
    screenshot(page, "plan-picker")
    assert page.evaluate("() => window.__violations") == []

    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    plan = StandingPlan.objects.get()
    assert plan.rrule == "FREQ=MONTHLY;BYDAY=1MO,3MO"
    assert plan.reader == reader
    # The list says it in words.
    assert "1-й и 3-й понедельник месяца" in page.locator("#result_list").inner_text()
