"""The phone desk warns before a date is promised to a reader whose address has no place on
the map: no visit can be planned there until a librarian places it (the order is still taken)."""
import datetime
import time

import pytest

from backend.orders.models import Order
from tests.factories import FamilyCardFactory, ItemFactory, ReaderFactory, TitleFactory
from tests.orders.test_desk_pages import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.orders.urls_desk_pages")]

WARNING = "У адреса нет координат: визит нельзя запланировать"


def order_form(title, day) -> dict:
    return {"title": [str(title.id)], "preferred_date": day.isoformat(), "window": "",
            "phone": "+77011234567", "opened_at": str(int(time.time()) - 30)}


def test_card_and_read_back_warn_when_the_address_has_no_coordinates():
    reader = ReaderFactory(lat=None, lon=None)
    client = client_for("operator")
    card = client.get(f"/desk/readers/{reader.id}/").content.decode()
    assert WARNING in card
    # The warning comes before the date is chosen.
    assert card.index(WARNING) < card.index('id="order-date"')
    title = ItemFactory(title=TitleFactory()).title
    day = datetime.date.today() + datetime.timedelta(days=3)
    review = client.post(f"/desk/readers/{reader.id}/order/",
                         {**order_form(title, day), "action": "review"})
    text = review.content.decode()
    assert text.index(WARNING) < text.index('id="read-back"')
    # The order can still be taken.
    saved = client.post(f"/desk/readers/{reader.id}/order/",
                        {**order_form(title, day), "action": "save"})
    assert saved.status_code == 302 and Order.objects.filter(reader=reader).exists()


def test_no_warning_when_the_place_is_known():
    reader = ReaderFactory()
    assert WARNING not in client_for("operator").get(f"/desk/readers/{reader.id}/"
                                                     ).content.decode()


def test_a_family_member_is_warned_by_the_family_address():
    placed_family = FamilyCardFactory(lat=54.7, lon=69.1)
    lost_family = FamilyCardFactory(lat=None, lon=None)
    # Own coordinates do not matter: the member is visited at the family's address.
    lost = ReaderFactory(family_card=lost_family)
    placed = ReaderFactory(family_card=placed_family, lat=None, lon=None)
    client = client_for("operator")
    assert WARNING in client.get(f"/desk/readers/{lost.id}/").content.decode()
    assert WARNING not in client.get(f"/desk/readers/{placed.id}/").content.decode()
