"""No dead ends at the phone desk, in a real browser: a caller nobody knows gets a new card,
a half-built order survives a renewal (with HTMX, and with a full reload without it), and
the operator works the inbox."""
import datetime

import pytest

from backend.circulation.models import Loan
from backend.notifications.models import InboxItem, InboxKind, InboxStatus
from backend.orders.models import CallLog, Order
from backend.readers.models import Reader, ReaderStatus
from tests.browser.conftest import screenshot
from tests.browser.test_desk import sign_in
from tests.factories import (
    BranchFactory,
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.urls("tests.orders.urls_desk_pages")]


def test_operator_makes_a_new_card_for_an_unknown_number_and_logs_another_call(page):
    branch = BranchFactory(name="Бишкульская библиотека")
    UserFactory(username="op", role="operator", branch=branch)
    sign_in(page, "op")

    page.keyboard.type("8 701 555 12 34")
    unknown = page.locator("#desk-unknown")
    unknown.wait_for()
    assert "+77015551234" in page.locator("#desk-new-reader").inner_text()
    page.locator("#desk-new-reader").click()
    page.wait_for_url("**/desk/new/**")
    assert page.get_by_role("textbox", name="Телефон", exact=True).input_value() == "+77015551234"
    page.get_by_label("Фамилия").fill("Жұмабаева")
    page.get_by_label("Имя").fill("Әлия")
    page.get_by_label("Улица").fill("Абая")
    page.get_by_label("Дом").fill("12")
    screenshot(page, "desk-new-reader")
    page.get_by_role("button", name="Сохранить формуляр").click()
    page.wait_for_url("**/desk/readers/*/**new=1*")
    assert page.locator("#desk-new-card").is_visible()
    reader = Reader.objects.get(last_name="Жұмабаева")
    assert page.locator("h1").inner_text() == reader.full_name
    assert reader.status == ReaderStatus.PAUSED and reader.branch == branch
    assert [str(p.number) for p in reader.phones.all()] == ["+77015551234"]
    assert InboxItem.objects.get(kind=InboxKind.NEW_CARD).reader == reader

    page.goto(f"{page.base_url}/desk/")
    page.locator("#desk-q").fill("8 702 000 00 01")
    page.locator("#desk-unknown").wait_for()
    page.get_by_label("О чём был звонок").select_option(label="Ошиблись номером")
    page.get_by_label("Примечание").fill("Искали поликлинику")
    page.get_by_role("button", name="Записать звонок").click()
    page.wait_for_url("**logged=*")
    assert "+77020000001" in page.locator("#desk-logged").inner_text()
    call = CallLog.objects.get()
    assert (call.outcome, call.note, call.order) == ("wrong_number", "Искали поликлинику", None)


def half_built_order(page, reader) -> None:
    page.goto(f"{page.base_url}/desk/readers/{reader.id}/")
    page.locator("#title-q").fill("Қара сөз")
    page.locator("#title-results .desk-add-title").first.click()
    page.locator("#wish-text").fill("детективы")
    page.locator("#add-wish").click()
    page.locator("#order-note").fill("позвонить за час")
    assert page.locator("#order-lines li").count() == 2


def test_a_half_built_order_survives_a_renewal(page):
    reader = ReaderFactory(first_name="Гүлнар", last_name="Омарова")
    ReaderPhoneFactory(reader=reader, number="+77011230000")
    ItemFactory(title=TitleFactory(title="Қара сөздер", authors=["Абай Құнанбайұлы"]))
    first = LoanFactory(reader=reader, due_date=datetime.date.today() + datetime.timedelta(3))
    second = LoanFactory(reader=reader, due_date=datetime.date.today() + datetime.timedelta(4))
    UserFactory(username="op", role="operator")
    sign_in(page, "op")

    half_built_order(page, reader)
    page.get_by_role("button", name=f"Продлить: {first.title.title}").click()
    page.locator("#loans [role=status]").wait_for()  # "Продлено": only the loans redrawn
    assert Loan.objects.get(pk=first.pk).renewals == 1
    assert "/renew/" not in page.url
    assert page.locator("#order-lines li").count() == 2
    assert page.locator("#order-note").input_value() == "позвонить за час"

    # Without HTMX the renewal reloads the card: the order comes back from this tab's storage.
    page.route("**/vendor/htmx/**", lambda route: route.abort())
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#order-lines li").count() == 2
    page.get_by_role("button", name=f"Продлить: {second.title.title}").click()
    page.wait_for_url("**renewed=*")
    assert Loan.objects.get(pk=second.pk).renewals == 1
    lines = page.locator("#order-lines li")
    assert lines.count() == 2
    assert "Қара сөздер" in lines.first.inner_text() and "детективы" in lines.nth(1).inner_text()
    assert page.locator("#order-note").input_value() == "позвонить за час"

    page.get_by_role("button", name="Зачитать").click()
    page.wait_for_url("**/order/")
    assert "детективы" in page.locator("#read-back").inner_text()


def test_operator_works_the_inbox(page):
    reader = ReaderFactory(first_name="Сәуле", last_name="Ахметова")
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    order = Order.objects.create(reader=reader, branch=reader.branch, status="new")
    reply = InboxItem.objects.create(kind=InboxKind.MESSAGE, reader=reader, phone="+77011234567",
                                     text="Можно после обеда?")
    move = InboxItem.objects.create(kind=InboxKind.MOVE_REQUEST, reader=reader, order=order,
                                    phone="+77011234567", text="3")
    missed = InboxItem.objects.create(kind=InboxKind.CALL, phone="+77017654321")
    concern = InboxItem.objects.create(
        kind=InboxKind.CONCERN, reader=reader, urgent=True, phone="+77015550000",
        text="Волонтёр Ержан тревожится о читателе: не открыла дверь.")
    UserFactory(username="op", role="operator", first_name="Айгерім", last_name="Нұрланова")
    sign_in(page, "op")

    assert "4" in page.locator("#desk-inbox-link").inner_text()
    page.locator("#desk-inbox-link").click()
    page.wait_for_url("**/desk/inbox/")
    articles = page.locator("article.desk-item")
    assert articles.count() == 4
    assert articles.first.get_attribute("id") == f"item-{concern.id}"  # urgent first
    screenshot(page, "desk-inbox")

    item = page.locator(f"#item-{reply.id}")
    item.get_by_label("Чем кончился звонок").select_option(label="Справка")
    item.get_by_label("Примечание").fill("Договорились на 15:00")
    with page.expect_navigation():
        item.get_by_role("button", name="Записать звонок").click()
    assert page.locator(f"#item-{reply.id}").count() == 0
    with page.expect_navigation():
        page.locator(f"#item-{missed.id}").get_by_role("button",
                                                       name="Отметить выполненным").click()
    assert page.locator("article.desk-item").count() == 2

    page.locator(f"#item-{move.id}").get_by_role("link", name="Перенести визит").click()
    page.wait_for_url(f"**/desk/readers/{reader.id}/**")
    page.locator(f"#move-date-{order.id}").select_option(index=1)
    page.locator("#orders").get_by_role("button", name="Переместить").click()
    page.locator("#orders [role=status]").wait_for()
    assert Order.objects.get(pk=order.pk).preferred_date is not None
    assert InboxItem.objects.get(pk=move.id).status == InboxStatus.DONE

    page.goto(f"{page.base_url}/desk/inbox/?status=done")
    done = page.locator(f"#item-{reply.id}").inner_text()
    assert "Айгерім Нұрланова" in done and "Договорились на 15:00" in done
    assert InboxItem.objects.get(pk=missed.id).status == InboxStatus.DONE
    assert CallLog.objects.get().direction == CallLog.Direction.OUTGOING
