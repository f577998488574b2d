"""The phone desk in a real browser: a title with no free copy is flagged the moment it is
added, kept as a waiting line, and read back "when a copy is free", not with a date."""
import datetime

import pytest

from backend.notifications.models import Message
from backend.orders.models import Order
from tests.browser.conftest import screenshot
from tests.browser.test_desk import caller, sign_in, sms_texts  # noqa: F401 - fixtures
from tests.factories import LoanFactory, ReaderFactory, TitleFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.orders.urls_desk_pages")]


def test_a_title_with_no_free_copy_waits_and_is_promised_without_a_date(page, caller):  # noqa: F811
    UserFactory(username="op", role="operator")
    title = TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов"])
    due = datetime.date.today() + datetime.timedelta(days=9)
    for n in range(3):
        LoanFactory(item__title=title, reader=ReaderFactory(),
                    due_date=due + datetime.timedelta(days=n))
    sign_in(page, "op")
    page.goto(f"{page.base_url}/desk/readers/{caller.id}/")

    page.keyboard.press("Alt+t")
    page.keyboard.type("абай жолы")
    found = page.locator("#title-results .desk-add-title")
    found.first.wait_for()
    assert "все 3 экземпляра выданы" in found.first.inner_text().lower()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    line = page.locator("#order-lines li")
    assert line.count() == 1
    warning = line.first.get_by_role("status").inner_text()
    assert "все 3 экземпляра выданы" in warning.lower() and f"{due.day}" in warning
    assert "будет ждать" in warning
    screenshot(page, "desk-waiting")

    page.keyboard.press("Alt+d")
    page.keyboard.press("ArrowDown")  # a date: it cannot be kept for this title alone
    page.keyboard.press("Alt+r")
    page.wait_for_url("**/order/")
    read_back = page.locator("#read-back").inner_text()
    assert "Абай жолы" in read_back and "когда освободится экземпляр" in read_back
    assert "Волонтёр придёт" not in read_back
    screenshot(page, "desk-waiting-read-back")
    page.keyboard.press("Enter")
    page.wait_for_url("**created=*")

    order = Order.objects.get(reader=caller)
    assert order.lines.get().status == "waiting"
    assert not Message.objects.filter(order=order, template="order_confirmed").exists()
