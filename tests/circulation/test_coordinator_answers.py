"""Coordinators plan visits and pick-ups from who, where, how many and when it is due, never
from which books: a title or a format (Braille, audio, large print) tells about a reader's
health. Librarians and operators, who choose the books, see them. Both answers are in the
schema."""
import datetime

import pytest

from backend.orders.models import LineStatus, Order, OrderLine
from tests.factories import ItemFactory, LoanFactory, ReaderFactory, TitleFactory
from tests.openapi import assert_documented

BRAILLE = "Абай жолы (Брайль)"


@pytest.fixture
def reader(db):
    reader = ReaderFactory()
    LoanFactory(reader=reader, item=ItemFactory(title=TitleFactory(title=BRAILLE,
                                                                   format="braille")),
                due_date=datetime.date.today() - datetime.timedelta(days=2))
    LoanFactory(reader=reader, status="returned",
                item=ItemFactory(title=TitleFactory(title="Қан мен тер")))
    return reader


@pytest.fixture
def order(reader):
    order = Order.objects.create(reader=reader, branch=reader.branch, status="new")
    title = TitleFactory(title="Көз нұры", format="audio")
    OrderLine.objects.create(order=order, reader=reader, kind="title", title=title,
                             status=LineStatus.WAITING)
    OrderLine.objects.create(order=order, reader=reader, kind="wish", wish_text="Абай",
                             wish_format="large_print", status=LineStatus.WAITING)
    return order


def test_a_coordinator_gets_the_loans_out_with_due_dates_only(api, reader):
    response = api.as_role("coordinator").get("/api/v1/loans/", {"reader": reader.pk})
    assert response.status_code == 200
    [loan] = response.json()["results"]  # the returned loan is reading history
    assert set(loan) == {"id", "reader", "family_card", "branch", "due_date", "overdue"}
    assert loan["overdue"] is True
    assert BRAILLE not in response.content.decode()
    assert_documented(response, "get", "/api/v1/loans/")


@pytest.mark.parametrize("query", [{"status": "returned"}, {"barcode": "X-1"}])
def test_a_coordinator_may_not_ask_for_returned_loans_or_a_copy(api, reader, query):
    response = api.as_role("coordinator").get("/api/v1/loans/", query)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("role", ["librarian", "operator"])
def test_librarians_and_operators_get_whole_loans(api, reader, role):
    response = api.as_role(role).get("/api/v1/loans/", {"reader": reader.pk})
    assert response.json()["count"] == 2
    assert BRAILLE in response.content.decode()
    assert_documented(response, "get", "/api/v1/loans/")


def test_due_back_for_a_coordinator_is_counts_and_dates(api, reader):
    url = f"/api/v1/readers/{reader.pk}/due-back/"
    response = api.as_role("coordinator").get(url, {"date": datetime.date.today().isoformat()})
    assert [set(loan) for loan in response.json()] == [
        {"id", "reader", "family_card", "branch", "due_date", "overdue"}]
    assert_documented(response, "get", "/api/v1/readers/{id}/due-back/")
    full = api.as_role("operator").get(url, {"date": datetime.date.today().isoformat()})
    assert full.json()[0]["title"]["format"] == "braille"
    assert_documented(full, "get", "/api/v1/readers/{id}/due-back/")


def test_a_coordinator_gets_orders_with_counts_not_lines(api, order):
    client = api.as_role("coordinator")
    listed = client.get("/api/v1/orders/", {"reader": order.reader_id})
    [body] = listed.json()["results"]
    assert "lines" not in body
    assert body["items"] == {"waiting": 2}
    text = listed.content.decode()
    assert "Көз нұры" not in text and "large_print" not in text and "audio" not in text
    assert_documented(listed, "get", "/api/v1/orders/")
    one = client.get(f"/api/v1/orders/{order.pk}/")
    assert one.json()["items"] == {"waiting": 2} and "lines" not in one.json()
    assert_documented(one, "get", "/api/v1/orders/{id}/")


def test_an_operator_gets_the_orders_lines(api, order):
    response = api.as_role("operator").get(f"/api/v1/orders/{order.pk}/")
    assert [line["kind"] for line in response.json()["lines"]] == ["title", "wish"]
    assert "items" not in response.json()
    assert_documented(response, "get", "/api/v1/orders/{id}/")


def test_suggestions_and_pick_lists_are_the_librarians(api, order):
    line = order.lines.get(kind="wish")
    coordinator = api.as_role("coordinator")
    assert coordinator.get(f"/api/v1/order-lines/{line.pk}/suggestions/").status_code == 403
    assert coordinator.get("/api/v1/pick-lists/",
                           {"branch": order.branch_id}).status_code == 403
    librarian = api.as_role("librarian")
    assert librarian.get(f"/api/v1/order-lines/{line.pk}/suggestions/").status_code == 200
