"""A librarian adds a reader card in the admin in a real browser: a Kazakh name, subjects
picked from the catalog's suggestions, formats and languages ticked by name, home hours in
the weekly grid. Nobody types JSON."""
import datetime

import pytest

from backend.accounts.roles_setup import sync_role_groups
from backend.readers.models import CardChange, Reader
from tests.browser.conftest import screenshot
from tests.factories import BranchFactory, TitleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ADD = "/admin/readers/reader/add/"


@pytest.fixture
def librarian(db):
    """A librarian with the role's admin permissions (a flushed database has lost them)."""
    sync_role_groups()
    return UserFactory(username="lib", role="librarian", is_staff=True)


def sign_in(page, username: str, password: str = "correct-horse-battery") -> None:
    """The keyboard sign-in, waiting until the browser has left the sign-in page."""
    page.goto(f"{page.base_url}/accounts/login/")
    page.wait_for_function("() => document.activeElement?.id === 'id_username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login/" not in page.url


def tag_entry(page, label: str):
    """The tag box a field's label points at once the script has set it up."""
    box = page.get_by_label(label, exact=True)
    box.wait_for()
    return box


def pick_suggestion(page, entry, typed: str, wanted: str) -> None:
    """Type the start of a word, see the suggestion offered, take it from the list.

    Headless Chromium draws no pop-up for a datalist, so the pick is what the browser does
    when a suggestion is chosen: the box gets the whole word as one replacement."""
    entry.click()
    entry.press_sequentially(typed)
    list_id = entry.get_attribute("list")
    page.locator(f"datalist#{list_id} option[value='{wanted}']").wait_for(state="attached")
    entry.evaluate(
        "(box, word) => { box.value = word; box.dispatchEvent(new InputEvent('input', "
        "{inputType: 'insertReplacementText', data: word, bubbles: true})); }", wanted)
    entry.locator("xpath=..").locator(".kniga-chip", has_text=wanted).wait_for()
    assert entry.input_value() == ""


def test_librarian_adds_a_reader_without_typing_json(page, librarian):
    branch = BranchFactory(code="BSH", name="Бишкульская библиотека")
    TitleFactory(title="Қара сөздер", authors=["Абай Құнанбайұлы"],
                 subjects=["поэзия", "философия"])
    TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов"], subjects=["роман", "история"])
    TitleFactory(title="Война и мир", authors=["Лев Толстой"], subjects=["роман"])
    sign_in(page, "lib")

    page.goto(f"{page.base_url}{ADD}")
    page.locator("#id_last_name").fill("Сәрсенова")
    page.locator("#id_first_name").fill("Әлия")
    page.locator("#id_patronymic").fill("Қайратқызы")
    page.locator("#id_category").select_option("elderly")
    page.locator("#id_branch").select_option(label=branch.name)
    page.locator("#id_consent_date").fill(datetime.date.today().strftime("%d.%m.%Y"))
    page.locator("#id_settlement").fill("Бишкуль")
    page.locator("#id_street").fill("Абая")
    page.locator("#id_house").fill("12")
    page.locator("#id_phones-0-number").fill("8 701 123 45 67")

    subjects = tag_entry(page, "Тематика:")
    pick_suggestion(page, subjects, "поэ", "поэзия")
    pick_suggestion(page, subjects, "ист", "история")
    authors = tag_entry(page, "Авторы:")
    pick_suggestion(page, authors, "Абай", "Абай Құнанбайұлы")
    authors.fill("Ілияс Есенберлин")  # not in the catalog: typed whole, Enter adds it
    authors.press("Enter")
    page.get_by_label("Крупный шрифт").check()
    page.get_by_label("Аудио").check()
    page.get_by_label("Казахский").check()
    never = tag_entry(page, "Никогда не присылать:")
    pick_suggestion(page, never, "Война", "Война и мир")  # found by the catalog search
    # A chip can be taken back.
    pick_suggestion(page, subjects, "фил", "философия")
    page.get_by_role("button", name="Убрать: философия").click()

    page.get_by_label("Понедельник, окно 1, с").fill("10:00")
    page.get_by_label("Понедельник, окно 1, до").fill("13:00")
    page.get_by_label("Четверг, окно 1, с").fill("14:00")
    page.get_by_label("Четверг, окно 1, до").fill("17:00")

    # A desktop screen a little taller than the default, so the whole section fits.
    page.set_viewport_size({"width": 1366, "height": 1000})
    page.get_by_role("heading", name="Предпочтения").evaluate("h => h.scrollIntoView()")
    page.evaluate("() => document.activeElement.blur()")
    screenshot(page, "card-form")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    page.wait_for_url("**/admin/readers/reader/")

    reader = Reader.objects.get(last_name="Сәрсенова")
    assert reader.first_name == "Әлия"
    assert reader.preferences == {
        "subjects": ["поэзия", "история"], "authors": ["Абай Құнанбайұлы", "Ілияс Есенберлин"],
        "formats": ["large_print", "audio"], "languages": ["kk"],
        "never_send": ["Война и мир"],
    }
    assert reader.availability == [{"weekday": 0, "start": "10:00", "end": "13:00"},
                                   {"weekday": 3, "start": "14:00", "end": "17:00"}]
    assert CardChange.objects.filter(reader=reader).count() == 1

    # The card opens again with what was chosen, as tags and ticks.
    page.goto(f"{page.base_url}/admin/readers/reader/{reader.pk}/change/")
    assert page.get_by_role("button", name="Убрать: поэзия").is_visible()
    assert page.get_by_label("Крупный шрифт").is_checked()
    assert page.get_by_label("Четверг, окно 1, до").input_value() == "17:00"


def test_bad_hours_name_the_day_in_the_browser(page, librarian):
    BranchFactory(code="BSH", name="Бишкульская библиотека")
    sign_in(page, "lib")
    page.goto(f"{page.base_url}{ADD}")
    page.locator("#id_last_name").fill("Жақсыбекова")
    page.locator("#id_first_name").fill("Гүлнар")
    page.locator("#id_category").select_option("elderly")
    page.locator("#id_branch").select_option(label="Бишкульская библиотека")
    page.locator("#id_consent_date").fill(datetime.date.today().strftime("%d.%m.%Y"))
    page.get_by_label("Среда, окно 1, с").fill("15:00")
    page.get_by_label("Среда, окно 1, до").fill("12:00")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    page.get_by_text("Среда: окно 15:00–12:00 должно заканчиваться позже").wait_for()
    assert not Reader.objects.filter(last_name="Жақсыбекова").exists()
