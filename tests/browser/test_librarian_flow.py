"""The librarian's whole day in a real browser, as issue 15 checks it: a new reader card with a
Kazakh name, two categories, preferences picked from suggestions, home hours in the weekly grid
and an address that finds its coordinates (a fake Nominatim on 127.0.0.1); a family card with
two members; a standing plan chosen with the recurrence picker; then the day's orders picked on
/picking/ by scanning barcodes, and the pick list printed. Everything the librarian types is
kept, and none of it is JSON, a recurrence rule or a coordinate."""
import io
import json
import re

import pytest
from pypdf import PdfReader

from backend.accounts.roles_setup import sync_role_groups
from backend.config.csp import content_security_policy
from backend.orders import services as order_services
from backend.orders.models import LineStatus, Order, OrderStatus
from backend.orders.views_picking import default_day
from backend.plans.models import StandingPlan
from backend.readers.models import FamilyCard, GeocodeStatus, Reader
from tests.browser.conftest import SCREENSHOTS
from tests.browser.fake_tiles import FakeTiles
from tests.browser.test_card_form import tag_entry
from tests.factories import BranchFactory, ItemFactory, ReaderFactory, TitleFactory, UserFactory
from tests.readers.fake_nominatim import FakeNominatim

pytestmark = pytest.mark.django_db(transaction=True)

HOME = (54.7812, 69.1034)  # Бишкуль, Абая 12, as the fake Nominatim answers
FAMILY_HOME = (54.7755, 69.0978)  # Бишкуль, Ленина 5
COORDINATE = re.compile(r"-?\d{1,3}[.,]\d+")


@pytest.fixture
def nominatim(settings):
    fake = FakeNominatim().start()
    fake.places[("Бишкуль", "12 Абая")] = [HOME]
    fake.places[("Бишкуль", "5 Ленина")] = [FAMILY_HOME]
    settings.GEOCODER_URL = fake.url
    settings.GEOCODER_TIMEOUT = 2
    settings.GEOCODER_RETRIES = 1
    settings.GEOCODER_RETRY_BACKOFF = 0
    try:
        yield fake
    finally:
        fake.stop()


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


class Librarian:
    """Types into the page as a person does and remembers every text typed."""

    def __init__(self, page) -> None:
        self.page = page
        self.typed: list[str] = []

    def fill(self, target, value: str) -> None:
        box = self.page.locator(target) if isinstance(target, str) else target
        self.typed.append(value)
        box.fill(value)

    def keys(self, text: str) -> None:
        self.typed.append(text)
        self.page.keyboard.type(text)

    def sign_in(self, username: str) -> None:
        page = self.page
        page.goto(f"{page.base_url}/accounts/login/")
        page.wait_for_function("() => document.activeElement?.id === 'id_username'")
        self.keys(username)
        page.keyboard.press("Tab")
        self.keys("correct-horse-battery")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/login/" not in page.url

    def pick_suggestion(self, entry, typed: str, wanted: str) -> None:
        """Type the start of a word and take the suggestion the catalog offers (headless
        Chromium draws no datalist pop-up: the pick is the browser's replacement input)."""
        entry.click()
        self.typed.append(typed)
        entry.press_sequentially(typed)
        list_id = entry.get_attribute("list")
        self.page.locator(f"datalist#{list_id} option[value='{wanted}']").wait_for(
            state="attached")
        entry.evaluate(
            "(box, word) => { box.value = word; box.dispatchEvent(new InputEvent('input', "
            "{inputType: 'insertReplacementText', data: word, bubbles: true})); }", wanted)
        entry.locator("xpath=..").locator(".kniga-chip", has_text=wanted).wait_for()

    def choose(self, select_id: str, typed: str, shown: str) -> None:
        """An autocomplete box (select2): type part of a name, click the reader offered."""
        self.page.locator(f"#{select_id}").locator("xpath=following-sibling::span[1]").click()
        search = self.page.locator(".select2-container--open .select2-search__field")
        self.fill(search, typed)
        self.page.locator(".select2-results__option", has_text=shown).click()

    def scan(self, barcode: str, order: Order) -> None:
        """A USB scanner: the code's characters, then Enter, into the focused field; the page
        answers with the copy and the order it went to."""
        self.page.wait_for_function("() => document.activeElement?.id === 'scan'")
        self.keys(barcode)
        self.page.keyboard.press("Enter")
        self.page.locator(".picking-msg", has_text=barcode).filter(
            has_text=f"в заявке №{order.pk}").wait_for()


def card_screenshot(page) -> None:
    """docs/screenshots/librarian-card.png: the saved card's sections a librarian fills in,
    each as the browser draws it, side by side (the whole form is too long for one screen):
    the reader with the categories and the address with the map on the left, the preferences
    and the home hours on the right."""
    from PIL import Image

    page.set_viewport_size({"width": 1366, "height": 900})
    page.evaluate("() => document.activeElement.blur()")

    def section(name: str) -> Image.Image:
        fieldset = page.locator("fieldset.module").filter(
            has=page.get_by_role("heading", name=name, exact=True))
        fieldset.scroll_into_view_if_needed()
        return Image.open(io.BytesIO(fieldset.screenshot()))

    left = [section("Читатель"), section("Адрес")]
    right = [section("Предпочтения"), section("Когда дома")]
    gap = 16
    width = max(i.width for i in left) + max(i.width for i in right) + 3 * gap
    height = max(sum(i.height for i in column) + (len(column) + 1) * gap
                 for column in (left, right))
    sheet = Image.new("RGB", (width, height), "white")
    for x, column in ((gap, left), (2 * gap + max(i.width for i in left), right)):
        y = gap
        for image in column:
            sheet.paste(image, (x, y))
            y += image.height + gap
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sheet.save(SCREENSHOTS / "librarian-card.png", optimize=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def looks_like_code(text: str) -> bool:
    """JSON, a recurrence rule or a coordinate: what a librarian must never have to type."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            json.loads(stripped)
            return True
        except ValueError:
            pass
    if "FREQ=" in stripped.upper() or "RRULE" in stripped.upper():
        return True
    return any(COORDINATE.fullmatch(token) for token in re.split(r"[\s;]+", stripped))


def test_looks_like_code_tells_codes_from_words():
    for code in ('{"subjects": ["поэзия"]}', '[{"weekday": 0}]', "FREQ=WEEKLY;BYDAY=TU",
                 "53.2", "54.78 69.1", "-63,6"):
        assert looks_like_code(code), code
    for words in ("Жұмабаева", "10:00", "06.12.2026", "BSH000101", "8 701 123 45 67",
                  "Абай Құнанбайұлы", "12"):
        assert not looks_like_code(words), words


def test_librarian_cards_a_reader_plans_visits_and_picks_the_day(page, settings, nominatim,
                                                                 tiles):
    sync_role_groups()  # the roles' permissions: a flushed database lacks its migration's
    branch = BranchFactory(code="BSH", name="Бишкульская библиотека", lat=54.779, lon=69.101)
    UserFactory(username="kitap", role="librarian", branch=branch, is_staff=True)
    abai = TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов"],
                        subjects=["роман", "история"])
    words = TitleFactory(title="Қара сөздер", authors=["Абай Құнанбайұлы"],
                         subjects=["поэзия", "философия"])
    war = TitleFactory(title="Война и мир", authors=["Лев Толстой"], subjects=["роман"])
    husband = ReaderFactory(branch=branch, last_name="Жұмабаев", first_name="Ерлан",
                            family_card=None)
    me = Librarian(page)
    me.sign_in("kitap")

    # 1. The reader card: words, ticks and the weekly grid; the address finds itself.
    page.goto(f"{page.base_url}/admin/readers/reader/add/")
    me.fill("#id_last_name", "Жұмабаева")
    me.fill("#id_first_name", "Сәуле")
    me.fill("#id_patronymic", "Ерланқызы")
    me.fill("#id_birth_date", "14.03.1951")
    page.locator("#id_category").select_option(label="Пожилой человек")
    page.get_by_label("Инвалидность II группы").check()
    page.locator("#id_branch").select_option(label=branch.name)
    me.fill("#id_consent_date", branch.today().strftime("%d.%m.%Y"))
    me.fill("#id_settlement", "Бишкуль")
    me.fill("#id_street", "Абая")
    me.fill("#id_house", "12")
    me.fill("#id_phones-0-number", "8 701 555 12 34")
    subjects = tag_entry(page, "Тематика:")
    me.pick_suggestion(subjects, "поэ", "поэзия")
    me.pick_suggestion(subjects, "ист", "история")
    me.pick_suggestion(tag_entry(page, "Авторы:"), "Абай", "Абай Құнанбайұлы")
    page.get_by_label("Крупный шрифт").check()
    page.get_by_label("Казахский").check()
    me.fill(page.get_by_label("Понедельник, окно 1, с"), "10:00")
    me.fill(page.get_by_label("Понедельник, окно 1, до"), "13:00")
    me.fill(page.get_by_label("Четверг, окно 1, с"), "14:00")
    me.fill(page.get_by_label("Четверг, окно 1, до"), "17:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Сохранить", exact=True).click()
    assert "/change/" not in page.url and "/add/" not in page.url, page.url

    reader = Reader.objects.get(last_name="Жұмабаева")
    assert reader.first_name == "Сәуле" and reader.branch == branch
    assert reader.category_codes == ["elderly", "disability_2"]
    assert reader.preferences["subjects"] == ["поэзия", "история"]
    assert reader.preferences["authors"] == ["Абай Құнанбайұлы"]
    assert reader.preferences["formats"] == ["large_print"]
    assert reader.preferences["languages"] == ["kk"]
    assert reader.availability == [{"weekday": 0, "start": "10:00", "end": "13:00"},
                                   {"weekday": 3, "start": "14:00", "end": "17:00"}]
    assert reader.geocode_status == GeocodeStatus.FOUND
    assert (reader.lat, reader.lon) == HOME
    assert nominatim.requests[0]["city"] == "Бишкуль"

    # The saved card: the status in words, the pin on the map, what was chosen as words.
    page.goto(f"{page.base_url}/admin/readers/reader/{reader.pk}/change/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Найдено геокодером.").is_visible()
    assert page.get_by_label("Инвалидность II группы").is_checked()
    assert page.get_by_role("button", name="Убрать: поэзия").is_visible()
    assert page.get_by_label("Четверг, окно 1, до").input_value() == "17:00"
    body = page.locator("body").inner_text()
    assert "found" not in body and "large_print" not in body and "disability_2" not in body
    card_map = page.get_by_role("application", name="Карта: куда приходит волонтёр")
    card_map.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => document.querySelectorAll('.card-map img.leaflet-tile-loaded').length > 0")
    assert page.locator(".card-map .leaflet-marker-icon").count() == 1
    card_screenshot(page)

    # 2. The family card: the two members found by name, the new reader at its head.
    page.goto(f"{page.base_url}/admin/readers/familycard/add/")
    page.wait_for_load_state("networkidle")
    me.fill("#id_name", "Жұмабаевтар")
    page.locator("#id_branch").select_option(label=branch.name)
    me.choose("id_members", "Жұмабаева", reader.card_number)
    me.choose("id_members", "Ерлан", husband.card_number)
    me.choose("id_head", "Сәуле", reader.card_number)
    me.fill("#id_settlement", "Бишкуль")
    me.fill("#id_street", "Ленина")
    me.fill("#id_house", "5")
    with page.expect_navigation():
        page.get_by_role("button", name="Сохранить", exact=True).click()
    assert "/add/" not in page.url, page.url
    family = FamilyCard.objects.get(name="Жұмабаевтар")
    assert set(family.members.all()) == {reader, husband}
    assert family.head == reader
    assert family.geocode_status == GeocodeStatus.FOUND
    assert (family.lat, family.lon) == FAMILY_HOME
    page.goto(f"{page.base_url}/admin/readers/familycard/{family.pk}/change/")
    assert page.get_by_text("Найдено геокодером.").is_visible()
    assert page.get_by_text(f"{reader.full_name} — глава семьи").is_visible()

    # 3. A standing plan: every second Tuesday, said in words, stored as a rule.
    page.goto(f"{page.base_url}/admin/plans/standingplan/add/")
    page.wait_for_load_state("networkidle")
    me.choose("id_reader", "Жұмабаева", reader.card_number)
    picker = page.locator(".kniga-recurrence")
    assert picker.locator('[data-modes="weekly"]').is_visible()  # a new plan starts weekly
    picker.locator('select[data-part="interval"]').select_option("2")
    picker.locator('[data-modes="weekly"]').get_by_label("Вторник").check()
    page.wait_for_function(
        "() => document.querySelector('[data-part-output=\"sentence\"]').textContent"
        " === 'Каждый второй вторник'")
    assert "FREQ" not in page.locator("body").inner_text()
    me.fill("#id_starts_on", "01.01.2030")
    me.fill("#id_window_start", "10:00")
    me.fill("#id_window_end", "12:00")
    with page.expect_navigation():
        page.locator('input[name="_save"]').click()
    plan = StandingPlan.objects.get(reader=reader)
    assert plan.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    assert "каждый второй вторник" in page.locator("#result_list").inner_text().lower()

    # 4. The day's orders, taken by the desk while the copies were out; now they are back.
    day = default_day(branch)
    first = order_services.order_create(
        reader=reader, lines=[{"title": abai}, {"title": words}], preferred_date=day)
    second = order_services.order_create(
        reader=husband, lines=[{"title": war}], preferred_date=day)
    assert set(first.lines.values_list("status", flat=True)) == {LineStatus.WAITING}
    ItemFactory(title=abai, branch=branch, barcode="BSH000101", shelf_mark="84(5Каз) Ә-12")
    ItemFactory(title=words, branch=branch, barcode="BSH000303", shelf_mark="84(5Каз) А-13")
    ItemFactory(title=war, branch=branch, barcode="BSH000202", shelf_mark="84(2Рос=Рус) Т-53")

    page.goto(f"{page.base_url}/admin/")
    page.get_by_role("link", name="Лист подбора").click()
    page.wait_for_url("**/picking/**")
    assert page.locator("h3.shelf").all_inner_texts() == [
        "84(2Рос=Рус) Т-53", "84(5Каз) А-13", "84(5Каз) Ә-12"]
    # The printed list walks the shelves in the same order.
    link = page.get_by_role("link", name="Распечатать лист подбора (PDF)")
    pdf = page.request.get(page.base_url + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    at = [text.find(title) for title in ("Война и мир", "Қара сөздер", "Абай жолы")]
    assert -1 not in at and at == sorted(at), text
    me.scan("BSH000202", second)
    me.scan("BSH000303", first)
    me.scan("BSH000101", first)
    assert set(first.lines.values_list("item__barcode", "status")) == {
        ("BSH000101", LineStatus.RESERVED), ("BSH000303", LineStatus.RESERVED)}
    for order in (first, second):
        page.get_by_role("button", name=f"Заявка №{order.pk} готова").click()
        page.locator(".picking-msg", has_text=f"Заявка №{order.pk} готова к планированию"
                     ).wait_for()
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.READY}

    # 5. Nothing typed was a code.
    assert me.typed and not [t for t in me.typed if looks_like_code(t)]
