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


def test_coordinator_adds_a_shift_every_second_tuesday_and_thursday(page):
    from backend.volunteers.models import Shift
    from tests.volunteers.factories import VolunteerFactory

    sync_role_groups()
    UserFactory(username="coord", role="coordinator", is_staff=True)
    volunteer = VolunteerFactory()
    page.context.add_init_script(WATCH)
    sign_in(page, "coord")
    page.goto(f"{page.base_url}/admin/volunteers/volunteer/{volunteer.pk}/change/")
    page.wait_for_load_state("networkidle")
    page.locator("#shifts-group .add-row a").click()
    shift = page.locator("#shifts-0")
    picker = shift.locator(".kniga-recurrence")
    # A new shift starts on the weekly choices; the others are hidden.
    assert picker.locator('[data-modes="weekly"]').is_visible()
    assert not picker.locator('[data-modes="advanced"]').is_visible()
    picker.locator('select[data-part="interval"]').select_option("2")
    weekly = picker.locator('[data-modes="weekly"]')
    weekly.get_by_label("Вторник").check()
    weekly.get_by_label("Четверг").check()
    page.wait_for_function(
        "() => document.querySelector('#shifts-0 [data-part-output=\"sentence\"]')"
        ".textContent === 'Раз в 2 недели по вторникам и четвергам'")
    page.fill("#id_shifts-0-starts_on", "30.11.2026")
    page.fill("#id_shifts-0-start_time", "09:00")
    page.fill("#id_shifts-0-end_time", "13:00")
    assert page.evaluate("() => window.__violations") == []
    with page.expect_navigation():
        page.locator('input[name="_continue"]').click()
    assert Shift.objects.get(volunteer=volunteer).rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"
