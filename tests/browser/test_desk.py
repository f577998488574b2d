"""The phone desk in a real browser: an order by phone number from search to saved order,
by keyboard alone, and a renewal from the card."""
import datetime
import importlib

import pytest
from django.apps import apps

from backend.circulation.models import Loan
from backend.notifications.models import Message, MessageTemplate
from backend.orders.models import CallLog, Order
from tests.browser.conftest import screenshot
from tests.factories import (
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.orders.urls_desk_pages")]


def sign_in(page, username: str, password: str = "correct-horse-battery") -> None:
    """The shared keyboard sign-in, waiting at each step so a busy machine does not lose keys."""
    page.goto(f"{page.base_url}/accounts/login/")
    page.wait_for_function("() => document.activeElement?.name === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/desk/")


@pytest.fixture
def sms_texts():
    """The default message texts come from a data migration that a flushed database lacks."""
    if not MessageTemplate.objects.filter(code="order_confirmed").exists():
        migration = importlib.import_module(
            "backend.notifications.migrations.0003_default_templates")
        migration.add_defaults(apps, None)


@pytest.fixture
def caller(sms_texts):
    reader = ReaderFactory(first_name="Әлия", last_name="Сәрсенова", patronymic="Қайратқызы",
                           language="kk", door_code="45К", entrance="2", floor=3,
                           document_number="SECRET-DOC-1")
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    return reader


def test_operator_takes_an_order_by_phone_with_the_keyboard(page, caller):
    UserFactory(username="op", role="operator")
    title = ItemFactory(title=TitleFactory(title="Қара сөздер",
                                           authors=["Абай Құнанбайұлы"])).title
    ItemFactory(title=TitleFactory(title="Война и мир", authors=["Лев Толстой"]))
    sign_in(page, "op")

    page.keyboard.type("8 701 123 45 67")  # the search box has autofocus
    match = page.locator("#desk-matches .desk-pick")
    match.first.wait_for()
    assert "Сәрсенова" in match.first.inner_text()
    assert caller.card_number in match.first.inner_text()
    screenshot(page, "desk-search")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/desk/readers/{caller.id}/**")
    assert page.locator("h1").inner_text() == caller.full_name
    assert "SECRET-DOC-1" not in page.content()

    page.keyboard.press("Alt+t")  # the title search
    page.keyboard.type("ҚАРА СӨЗ")
    found = page.locator("#title-results .desk-add-title")
    found.first.wait_for()
    assert "Қара сөздер" in found.first.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("#order-lines li").count() == 1

    page.keyboard.press("Alt+w")
    page.keyboard.type("детективы крупным шрифтом")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # format: the first one in the list
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # adds the wish
    assert page.locator("#order-lines li").count() == 2

    page.keyboard.press("Alt+d")
    page.keyboard.press("ArrowDown")  # the second possible date
    chosen = page.locator("#order-date").input_value()
    screenshot(page, "desk-card")
    page.keyboard.press("Alt+r")
    page.wait_for_url("**/order/")
    read_back = page.locator("#read-back").inner_text()
    assert "Қара сөздер" in read_back and "детективы крупным шрифтом" in read_back
    screenshot(page, "desk-order")
    page.keyboard.press("Enter")  # "Confirmed: save the order" has the focus
    page.wait_for_url("**created=*")
    done = page.locator("#desk-done").inner_text()

    order = Order.objects.get(reader=caller)
    assert str(order.id) in done
    assert order.channel == "phone"
    assert order.preferred_date == datetime.date.fromisoformat(chosen)
    lines = list(order.lines.order_by("position"))
    assert [(line.kind, line.title_id) for line in lines] == [("title", title.id), ("wish", None)]
    assert lines[1].wish_text == "детективы крупным шрифтом" and lines[1].wish_format
    call = CallLog.objects.get(order=order)
    assert call.phone == "+77011234567" and call.outcome == "order_taken"
    assert call.operator.username == "op"
    assert Message.objects.filter(order=order, template="order_confirmed").exists()


def test_operator_renews_a_loan_from_the_card(page, caller):
    UserFactory(username="op", role="operator")
    loan = LoanFactory(reader=caller, due_date=datetime.date.today() + datetime.timedelta(days=2))
    blocked = LoanFactory(reader=caller, renewals=99)
    sign_in(page, "op")
    page.goto(f"{page.base_url}/desk/readers/{caller.id}/")
    page.get_by_role("button", name=f"Продлить: {loan.title.title}").focus()
    page.keyboard.press("Enter")
    page.locator("#loans [role=status]").wait_for()  # only the loans are redrawn
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.renewals == 1 and loan.due_date > datetime.date.today() + datetime.timedelta(2)

    page.get_by_role("button", name=f"Продлить: {blocked.title.title}").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("alert").first.is_visible()
    assert Loan.objects.get(pk=blocked.pk).renewals == 99


def test_an_incoming_call_opens_the_callers_card(page, caller):
    from backend.notifications.models import InboxItem
    from backend.notifications.services import incoming_call_receive

    UserFactory(username="op", role="operator")
    sign_in(page, "op")
    incoming_call_receive(phone="87011234567", sid="CA-test-1")
    banner = page.locator("#desk-incoming")
    banner.wait_for()
    assert banner.inner_text().startswith("Входящий звонок: Сәрсенова Әлия")
    page.keyboard.press("Alt+i")
    page.wait_for_url(f"**/desk/readers/{caller.id}/**")
    assert page.locator("h1").inner_text() == caller.full_name
    assert InboxItem.objects.get(provider_id="CA-test-1").status == "done"
