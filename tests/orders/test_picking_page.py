"""The pick list page (/picking/): librarians only; waiting lines by shelf; the scanner, a
click on a suggested copy, another title, a cancelled line the reader hears about, "ready",
and the printed list sorted by shelf."""
import datetime
import io

import pytest
from django.conf import settings
from django.test import Client
from pypdf import PdfReader

from backend.notifications.models import Message
from backend.orders.models import LineStatus, Order, OrderEvent, OrderLine, OrderStatus
from backend.readers.models import CardAccess
from tests.factories import (
    BranchFactory,
    ItemFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def client_for(role: str, **user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(UserFactory(role=role, **user))
    return client


class Day:
    """A branch with two orders for today: one for two titles on two shelves, one for a
    title with no shelf mark."""

    def __init__(self):
        self.branch = BranchFactory(code="BSH", name="Бишкуль")
        self.day = self.branch.today()
        self.reader = ReaderFactory(branch=self.branch, card_number="BSH-00042")
        ReaderPhoneFactory(reader=self.reader, number="+77011230042")
        self.other = ReaderFactory(branch=self.branch, card_number="BSH-00077")
        self.abai = TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов"])
        self.war = TitleFactory(title="Война и мир", authors=["Лев Толстой"])
        self.poems = TitleFactory(title="Өлеңдер", authors=["Мағжан Жұмабаев"])
        self.abai_copy = ItemFactory(title=self.abai, branch=self.branch, barcode="BSH000101",
                                     shelf_mark="84(5Каз) Ә-12")
        self.war_copy = ItemFactory(title=self.war, branch=self.branch, barcode="BSH000202",
                                    shelf_mark="84(2Рос=Рус) Т-53")
        self.poems_copy = ItemFactory(title=self.poems, branch=self.branch, barcode="BSH000303")
        self.first = self.order(self.reader, [self.abai, self.war])
        self.second = self.order(self.other, [self.poems, self.abai])

    def order(self, reader, titles) -> Order:
        order = Order.objects.create(reader=reader, branch=self.branch, preferred_date=self.day)
        for position, title in enumerate(titles):
            OrderLine.objects.create(order=order, reader=reader, kind="title", title=title,
                                     position=position)
        return order

    def query(self) -> dict:
        return {"branch": self.branch.pk, "date": self.day.isoformat()}


@pytest.fixture
def day():
    return Day()


@pytest.fixture
def librarian(day):
    return client_for("librarian", branch=day.branch)


def test_only_librarians_open_the_pick_list(day):
    assert client_for("librarian").get("/picking/").status_code == 200
    for role in ("operator", "coordinator", "volunteer"):
        client = client_for(role)
        assert client.get("/picking/").status_code == 403
        assert client.get("/picking/pdf/", day.query()).status_code == 403
        assert client.post("/picking/scan/", {**day.query(), "barcode": "BSH000101"}
                           ).status_code == 403
    assert not OrderLine.objects.filter(status=LineStatus.RESERVED).exists()
    response = Client().get("/picking/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_waiting_lines_are_grouped_by_shelf_with_their_copies(day, librarian):
    html = librarian.get("/picking/").content.decode()  # the librarian's own branch, today's
    rus, kaz, none = (html.index("84(2Рос=Рус) Т-53"), html.index("84(5Каз) Ә-12"),
                      html.index("no shelf mark"))
    assert rus < kaz < none  # the shelves in order, the lines without a mark last
    shelf = html[kaz:none]
    assert shelf.count("Абай жолы") == 2  # both orders' lines on the same shelf
    assert "BSH000101" in shelf
    assert "BSH-00042" in shelf and "BSH-00077" in shelf
    assert "Өлеңдер" in html[none:] and "BSH000303" in html[none:]
    assert day.reader.full_name not in html and day.reader.last_name not in html
    access = CardAccess.objects.get(channel=CardAccess.Channel.PAGES)
    assert set(access.readers.values_list("pk", flat=True)) == {day.reader.pk, day.other.pk}


def test_the_scanner_puts_a_copy_on_the_first_waiting_order(day, librarian):
    response = librarian.post("/picking/scan/", {**day.query(), "barcode": "BSH000101"},
                              follow=True)
    text = response.content.decode()
    assert f"Copy BSH000101 is on order №{day.first.pk}" in text
    line = day.first.lines.get(title=day.abai)
    assert line.status == LineStatus.RESERVED and line.item == day.abai_copy
    assert day.second.lines.get(title=day.abai).status == LineStatus.WAITING
    day.first.refresh_from_db()
    assert day.first.status == OrderStatus.PICKING


@pytest.mark.parametrize("barcode, says", [
    ("NOPE-1", "No copy with barcode NOPE-1."),
    ("BSH000202-on-loan", "is not available"),
    ("BSH000999", "No line waits for Третья книга"),
])
def test_the_scanner_says_why_a_copy_goes_nowhere(day, librarian, barcode, says):
    ItemFactory(title=day.war, branch=day.branch, barcode="BSH000202-on-loan",
                status="on_loan")
    ItemFactory(title=TitleFactory(title="Третья книга"), branch=day.branch,
                barcode="BSH000999")
    response = librarian.post("/picking/scan/", {**day.query(), "barcode": barcode},
                              follow=True)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not OrderLine.objects.filter(status=LineStatus.RESERVED).exists()


def test_a_click_on_a_suggested_copy_assigns_it(day, librarian):
    line = day.second.lines.get(title=day.poems)
    response = librarian.post(f"/picking/lines/{line.pk}/assign/",
                              {**day.query(), "barcode": "BSH000303"}, follow=True)
    assert f"Copy BSH000303 is on order №{day.second.pk}" in response.content.decode()
    line.refresh_from_db()
    assert line.item == day.poems_copy and line.status == LineStatus.RESERVED


def test_a_line_of_another_branch_is_not_found(day, librarian):
    other = Day.__new__(Day)
    other.branch = BranchFactory(code="SOK")
    order = Order.objects.create(reader=ReaderFactory(branch=other.branch),
                                 branch=other.branch, preferred_date=day.day)
    line = OrderLine.objects.create(order=order, reader=order.reader, kind="title",
                                    title=day.abai)
    response = librarian.post(f"/picking/lines/{line.pk}/assign/",
                              {**day.query(), "barcode": "BSH000101"})
    assert response.status_code == 404
    line.refresh_from_db()
    assert line.status == LineStatus.WAITING


def test_a_waiting_line_gets_another_title(day, librarian):
    line = day.second.lines.get(title=day.poems)
    found = librarian.get("/picking/", {**day.query(), "substitute": line.pk, "q": "война"})
    assert "Send this instead" in found.content.decode()
    response = librarian.post(f"/picking/lines/{line.pk}/substitute/",
                              {**day.query(), "title": day.war.pk}, follow=True)
    assert f"Order №{day.second.pk} now asks for Война и мир" in response.content.decode()
    line.refresh_from_db()
    assert line.title == day.war and line.status == LineStatus.WAITING
    event = OrderEvent.objects.filter(order=day.second).last()
    assert "Өлеңдер" in event.note and "Война и мир" in event.note


def test_the_same_title_is_no_substitute(day, librarian):
    line = day.second.lines.get(title=day.poems)
    response = librarian.post(f"/picking/lines/{line.pk}/substitute/",
                              {**day.query(), "title": day.poems.pk}, follow=True)
    assert "already asks for this title" in response.content.decode()


def test_a_cancelled_line_is_told_to_the_reader(day, librarian):
    line = day.first.lines.get(title=day.war)
    response = librarian.post(f"/picking/lines/{line.pk}/cancel/", day.query(), follow=True)
    assert "the reader gets a message" in response.content.decode()
    line.refresh_from_db()
    assert line.status == LineStatus.CANCELLED
    message = Message.objects.get(order=day.first, template="line_cancelled")
    assert message.to == "+77011230042"
    assert "Война и мир" in message.text
    assert OrderEvent.objects.filter(order=day.first, note__contains="Война и мир").exists()


def test_ready_when_every_line_has_a_copy_or_is_cancelled(day, librarian):
    refused = librarian.post(f"/picking/orders/{day.first.pk}/ready/", day.query(),
                             follow=True)
    assert f"Order №{day.first.pk} is not ready" in refused.content.decode()
    day.first.refresh_from_db()
    assert day.first.status == OrderStatus.NEW
    librarian.post("/picking/scan/", {**day.query(), "barcode": "BSH000101"})
    librarian.post(f"/picking/lines/{day.first.lines.get(title=day.war).pk}/cancel/",
                   day.query())
    response = librarian.post(f"/picking/orders/{day.first.pk}/ready/", day.query(),
                              follow=True)
    assert f"Order №{day.first.pk} is ready" in response.content.decode()
    day.first.refresh_from_db()
    assert day.first.status == OrderStatus.READY
    page = librarian.get("/picking/", day.query()).content.decode()
    assert f'id="order-{day.first.pk}"' not in page  # picked: off the list


def test_a_bad_date_is_said_and_the_next_working_day_shown(day, librarian):
    response = librarian.get("/picking/", {"branch": day.branch.pk, "date": "2026-13-45"})
    assert response.status_code == 200
    assert "2026-13-45 cannot be used" in response.content.decode()


def test_the_printed_pick_list_is_sorted_by_shelf(day, librarian):
    response = librarian.get("/picking/pdf/", day.query())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = text.replace("\xa0", " ")  # shelf marks are printed unbroken
    assert "Pick list" in text and "Бишкуль" in text
    positions = [text.index(mark) for mark in ("84(2Рос=Рус) Т-53", "84(5Каз) Ә-12",
                                               "no shelf mark")]
    assert positions == sorted(positions)
    assert text.index("Война и мир") < text.index("Абай жолы") < text.index("Өлеңдер")
    assert "BSH000303" in text and "BSH-00077" in text


def test_the_printed_list_is_in_kazakh_for_a_kazakh_page(day):
    client = client_for("librarian")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    response = client.get("/picking/pdf/", day.query())
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Абай жолы" in text and "Ә-12" in text
    assert "Pick list" not in text


def test_the_days_before_are_in_the_list_and_the_days_after_not(day, librarian):
    later = Order.objects.create(reader=day.other, branch=day.branch,
                                 preferred_date=day.day + datetime.timedelta(days=40))
    OrderLine.objects.create(order=later, reader=day.other, kind="title", title=day.war)
    html = librarian.get("/picking/", day.query()).content.decode()
    assert f'id="order-{day.first.pk}"' in html and f'id="order-{later.pk}"' not in html


def test_a_librarians_home_leads_to_the_pick_list():
    response = client_for("librarian").get("/")
    assert response.status_code == 302 and response["Location"] == "/picking/"
    admin = client_for("librarian", is_staff=True)
    assert admin.get("/")["Location"] == "/admin/"
    assert 'href="/picking/"' in admin.get("/admin/").content.decode()
    assert 'href="/picking/"' not in client_for("operator").get("/desk/").content.decode()
