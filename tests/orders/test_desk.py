import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.orders.models import Order
from tests.factories import (
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
)


def make_visits(reader, n):
    for i in range(n):
        order = Order.objects.create(reader=reader, branch=reader.branch, status="delivered")
        Order.objects.filter(pk=order.pk).update(
            updated_at=timezone.now() - datetime.timedelta(days=i))


def lookup_queries(client, phone="87011234567"):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/desk/lookup/", {"phone": phone})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_lookup_runs_a_fixed_number_of_queries(api, branch):
    client = api.as_role("operator")
    reader = ReaderFactory(branch=branch, availability=[{"weekday": 1, "start": "10:00",
                                                         "end": "13:00"}])
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    LoanFactory(reader=reader)
    make_visits(reader, 1)
    client.user.__dict__.pop("_kniga_roles", None)
    few, body_few = lookup_queries(client)
    for _ in range(19):
        LoanFactory(reader=reader)
    make_visits(reader, 9)
    client.user.__dict__.pop("_kniga_roles", None)
    many, body = lookup_queries(client)
    match = body["matches"][0]
    assert len(match["loans"]) == 20
    assert len(match["last_visits"]) == 10
    assert few == many
    assert many <= 15


def test_lookup_shows_what_the_operator_needs(api, branch):
    reader = ReaderFactory(branch=branch, document_number="SECRET-DOC",
                           availability=[{"weekday": d, "start": "10:00", "end": "12:00"}
                                         for d in range(5)])
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    overdue = LoanFactory(reader=reader, due_date=datetime.date.today() - datetime.timedelta(1))
    item = ItemFactory(branch=branch, title=TitleFactory(title="Қара сөздер"))
    client = api.as_role("operator")
    client.post("/api/v1/orders/", {"reader": reader.id, "lines": [{"barcode": item.barcode}]},
                format="json")
    body = client.get("/api/v1/desk/lookup/", {"phone": "+7 (701) 123-45-67"}).json()
    assert body["phone"] == "+77011234567"
    match = body["matches"][0]
    assert match["reader"]["id"] == reader.id
    assert [d["barcode"] for d in match["due_back"]] == [overdue.item.barcode]
    assert match["loans"][0]["overdue"] is True
    assert match["open_orders"][0]["lines"][0]["title"] == "Қара сөздер"
    assert len(match["next_visit_dates"]) == 5
    assert "SECRET-DOC" not in str(body)


def test_lookup_of_unknown_number_finds_nobody(api, branch):
    body = api.as_role("operator").get("/api/v1/desk/lookup/", {"phone": "87770000000"}).json()
    assert body["matches"] == []


def test_lookups_one_after_another_show_each_caller_their_own(api, branch):
    """The card's reads keep their SQL from the first call: the next caller's loans, orders,
    lines and visits are theirs, not the first caller's."""
    client = api.as_role("operator")
    callers = []
    for number, title in (("+77011111111", "Абай жолы"), ("+77012222222", "Көшпенділер")):
        reader = ReaderFactory(branch=branch)
        ReaderPhoneFactory(reader=reader, number=number)
        loan = LoanFactory(reader=reader)
        item = ItemFactory(branch=branch, title=TitleFactory(title=title))
        client.post("/api/v1/orders/", {"reader": reader.id,
                                        "lines": [{"barcode": item.barcode}]}, format="json")
        make_visits(reader, 2)
        callers.append((reader, number, loan, title))
    for reader, number, loan, title in callers * 2:
        match = client.get("/api/v1/desk/lookup/", {"phone": number}).json()["matches"][0]
        assert match["reader"]["id"] == reader.id
        assert [one["id"] for one in match["loans"]] == [loan.id]
        assert [line["title"] for order in match["open_orders"] for line in order["lines"]] \
            == [title]
        assert {visit["id"] for visit in match["last_visits"]} == set(
            Order.objects.filter(reader=reader, status="delivered").values_list("id", flat=True))


def test_the_cards_orders_come_in_their_order_with_their_lines(api, branch, is_postgres):
    """Open orders by preferred date (one with none: where the database sorts it, last on
    PostgreSQL, first on SQLite), each with its lines in their order (titles and wishes);
    the last ten visits, newest first, a failed one among them."""
    from backend.orders.models import OrderLine

    reader = ReaderFactory(branch=branch)
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    today = datetime.date.today()
    first, second = TitleFactory(title="Абай жолы"), TitleFactory(title="Көшпенділер")

    def order(days: int | None, **fields) -> Order:
        return Order.objects.create(reader=reader, branch=branch, preferred_date=None
                                    if days is None else today + datetime.timedelta(days=days),
                                    **{"status": "new", **fields})

    undated, later, sooner = order(None), order(5), order(2)
    failed = order(3, status="failed", failed_attempts=1)
    for position, title, wish in ((2, first, ""), (1, None, "стихи"), (0, second, "")):
        OrderLine.objects.create(order=sooner, reader=reader, kind="wish" if wish else "title",
                                 title=title, wish_text=wish, position=position)
    make_visits(reader, 12)
    Order.objects.filter(pk=failed.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=4, hours=1))
    visits = list(Order.objects.filter(reader=reader, status__in=["delivered", "failed"])
                  .order_by("-updated_at", "-id").values_list("id", flat=True)[:10])
    client = api.as_role("operator")
    for _ in range(2):  # the first call and a later one (the SQL kept)
        match = client.get("/api/v1/desk/lookup/", {"phone": "87011234567"}).json()["matches"][0]
        dated = [sooner.id, failed.id, later.id]
        assert [o["id"] for o in match["open_orders"]] == (
            dated + [undated.id] if is_postgres else [undated.id] + dated)
        lines = next(o["lines"] for o in match["open_orders"] if o["id"] == sooner.id)
        assert [(line["title"], line["wish"]) for line in lines] == [
            ("Көшпенділер", None), (None, "стихи"), ("Абай жолы", None)]
        assert [o["id"] for o in match["last_visits"]] == visits
        assert failed.id in visits
