"""The pick list in a real browser: a librarian picks the day's orders by scanning barcodes
(the scanner types the code and Enter), cancels a title there is no copy of (the reader is
told), marks the orders ready and prints the list."""
import importlib

import pytest
from django.apps import apps

from backend.notifications.models import Message, MessageTemplate
from backend.orders.models import LineStatus, Order, OrderLine, OrderStatus
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    BranchFactory,
    ItemFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sms_texts():
    """The message texts come from data migrations that a flushed database lacks."""
    if not MessageTemplate.objects.filter(code="line_cancelled").exists():
        importlib.import_module(
            "backend.notifications.migrations.0005_line_cancelled_message").add_texts(apps, None)


def order_of(reader, branch, day, titles) -> Order:
    order = Order.objects.create(reader=reader, branch=branch, preferred_date=day)
    for position, title in enumerate(titles):
        OrderLine.objects.create(order=order, reader=reader, kind="title", title=title,
                                 position=position)
    return order


def scan(page, barcode: str, answer: str) -> None:
    """What a USB scanner does: the code's characters, then Enter, into the focused field."""
    page.wait_for_function("() => document.activeElement?.id === 'scan'")
    page.keyboard.type(barcode)
    page.keyboard.press("Enter")
    page.locator(".picking-msg", has_text=answer).wait_for()


def test_librarian_picks_a_day_by_scanning_and_prints_the_list(page, sms_texts):
    branch = BranchFactory(code="BSH", name="Бишкуль")
    UserFactory(username="kitap", role="librarian", branch=branch, is_staff=True)
    day = branch.today()
    aliya = ReaderFactory(branch=branch, card_number="BSH-00042", first_name="Әлия",
                          last_name="Сәрсенова", language="kk")
    ReaderPhoneFactory(reader=aliya, number="+77011230042")
    ivan = ReaderFactory(branch=branch, card_number="BSH-00077")
    abai = TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов"])
    war = TitleFactory(title="Война и мир", authors=["Лев Толстой"])
    poems = TitleFactory(title="Өлеңдер", authors=["Мағжан Жұмабаев"])  # no copy left
    ItemFactory(title=abai, branch=branch, barcode="BSH000101", shelf_mark="84(5Каз) Ә-12")
    ItemFactory(title=abai, branch=branch, barcode="BSH000102", shelf_mark="84(5Каз) Ә-12")
    ItemFactory(title=war, branch=branch, barcode="BSH000202", shelf_mark="84(2Рос=Рус) Т-53")
    first = order_of(aliya, branch, day, [abai, war, poems])
    second = order_of(ivan, branch, day, [abai])

    sign_in(page, "kitap")
    page.goto(f"{page.base_url}/")
    page.wait_for_url("**/admin/")  # a librarian's home; its header links the pick list
    page.get_by_role("link", name="Лист подбора").click()
    page.wait_for_url("**/picking/")
    shelves = page.locator("h3.shelf").all_inner_texts()
    assert shelves == ["84(2Рос=Рус) Т-53", "84(5Каз) Ә-12", "без полочного шифра"]
    assert "Сәрсенова" not in page.content()  # card numbers only

    scan(page, "BSH000101", f"в заявке №{first.pk}")
    screenshot(page, "picking")
    scan(page, "BSH000102", f"в заявке №{second.pk}")
    scan(page, "BSH000202", f"в заявке №{first.pk}")
    scan(page, "НЕТ-999", "Нет экземпляра со штрихкодом НЕТ-999")
    assert page.evaluate("() => document.activeElement.id") == "scan"
    assert set(OrderLine.objects.filter(status=LineStatus.RESERVED)
               .values_list("order_id", "item__barcode")) == {
        (first.pk, "BSH000101"), (second.pk, "BSH000102"), (first.pk, "BSH000202")}

    line = first.lines.get(title=poems)
    row = page.locator(f"#line-{line.pk}")
    row.get_by_text("Другая книга или отмена").click()
    row.get_by_role("button", name="Отменить строку и сообщить читателю").click()
    page.locator(".picking-msg", has_text="читателю уходит сообщение").wait_for()
    told = Message.objects.get(order=first, template="line_cancelled")
    assert "Өлеңдер" in told.text and told.language == "kk"

    for order in (first, second):
        page.get_by_role("button", name=f"Заявка №{order.pk} готова").click()
        page.locator(".picking-msg", has_text=f"Заявка №{order.pk} готова к планированию"
                     ).wait_for()
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.READY}
    page.get_by_text("Нет заявок для подбора").wait_for()

    link = page.get_by_role("link", name="Распечатать лист подбора (PDF)")
    assert link.get_attribute("target") == "_blank"
    pdf = page.request.get(page.base_url + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
