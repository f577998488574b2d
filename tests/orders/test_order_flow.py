"""One reader from the phone call to a ready order, to loans at the door, and back."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.catalog.models import Item
from backend.circulation.models import Loan
from backend.orders.models import CallLog, Order, OrderEvent
from tests.factories import ItemFactory, ReaderFactory, ReaderPhoneFactory, TitleFactory
from tests.openapi import assert_documented


@pytest.fixture
def reader(branch):
    reader = ReaderFactory(branch=branch, preferences={"formats": ["large_print"]})
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    return reader


def test_phone_call_to_ready_order_to_loans_and_back(api, branch, reader):
    abai = ItemFactory(branch=branch, title=TitleFactory(title="Абай жолы", format="large_print"))
    wish_copy = ItemFactory(branch=branch, title=TitleFactory(
        title="Көшпенділер", authors=["Ілияс Есенберлин"], format="large_print", language="kk"))
    # Same author, ordinary print: not for a reader who needs large print.
    ItemFactory(branch=branch, title=TitleFactory(
        title="Алмас қылыш", authors=["Ілияс Есенберлин"], format="print", language="kk"))
    operator = api.as_role("operator")

    # The operator finds the caller by the number as said, and takes the order.
    found = operator.get("/api/v1/desk/lookup/", {"phone": "8 701 123 45 67"}).json()
    assert [m["reader"]["id"] for m in found["matches"]] == [reader.id]
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    response = operator.post("/api/v1/orders/", {
        "reader": reader.id,
        "preferred_date": tomorrow, "window_start": "10:00", "window_end": "12:00",
        "lines": [{"title": abai.title_id}, {"wish": {"text": "Есенберлин", "language": "kk"}}],
        "call": {"phone": "8 701 123 45 67", "duration_seconds": 80},
    }, format="json")
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "new"
    exact, wish = order["lines"]
    assert (exact["status"], exact["barcode"]) == ("reserved", abai.barcode)
    assert wish["status"] == "waiting"
    call = CallLog.objects.get()
    assert (call.phone, call.reader_id, call.order_id, call.duration_seconds) == (
        "+77011234567", reader.id, order["id"], 80)

    # The librarian picks: the wish is suggested and assigned, the order becomes ready.
    librarian = api.as_role("librarian")
    picks = librarian.get("/api/v1/pick-lists/", {"branch": branch.id, "date": tomorrow}).json()
    assert [p["id"] for p in picks["results"]] == [wish["id"]]
    assert picks["results"][0]["suggestions"][0]["barcode"] == wish_copy.barcode
    early = librarian.post(f"/api/v1/orders/{order['id']}/ready/")
    assert early.status_code == 409
    assert early.json()["code"] == "order.lines_waiting"
    assigned = librarian.post(f"/api/v1/order-lines/{wish['id']}/assign/",
                              {"barcode": wish_copy.barcode}, format="json")
    assert assigned.status_code == 200, assigned.json()
    ready = librarian.post(f"/api/v1/orders/{order['id']}/ready/")
    assert ready.json()["status"] == "ready"

    # Delivered through the delivery service: two loans start.
    coordinator = api.as_role("coordinator")
    delivered = coordinator.post(f"/api/v1/orders/{order['id']}/deliver/",
                                 {"delivered": [abai.barcode, wish_copy.barcode]}, format="json")
    # Not scheduled yet: delivery needs the order to be on its way.
    assert delivered.status_code == 409
    Order.objects.filter(pk=order["id"]).update(status="scheduled")
    delivered = coordinator.post(f"/api/v1/orders/{order['id']}/deliver/",
                                 {"delivered": [abai.barcode, wish_copy.barcode]}, format="json")
    assert delivered.status_code == 200, delivered.json()
    assert delivered.json()["status"] == "delivered"
    loans = Loan.objects.filter(reader=reader, status="active")
    assert {loan.item.barcode for loan in loans} == {abai.barcode, wish_copy.barcode}
    delivered_items = Item.objects.filter(pk__in=[abai.pk, wish_copy.pk])
    assert set(delivered_items.values_list("status", flat=True)) == {"on_loan"}
    due = loans.first().due_date
    assert due == datetime.date.today() + datetime.timedelta(days=branch.loan_days)

    # Returned at the desk.
    back = librarian.post("/api/v1/returns/", {"barcodes": [abai.barcode, wish_copy.barcode]},
                          format="json")
    assert back.status_code == 200, back.json()
    assert set(Loan.objects.values_list("status", flat=True)) == {"returned"}
    assert set(delivered_items.values_list("status", flat=True)) == {"available"}
    history = librarian.get(f"/api/v1/readers/{reader.id}/reading-history/").json()
    assert {h["barcode"] for h in history["results"]} == {abai.barcode, wish_copy.barcode}
    events = list(OrderEvent.objects.filter(order_id=order["id"]).values_list("to_status",
                                                                            flat=True))
    assert events == ["new", "picking", "ready", "out_for_delivery", "delivered"]


def test_partial_delivery_returns_the_other_copy_and_collects_returns(api, branch, reader):
    a, b = ItemFactory(branch=branch), ItemFactory(branch=branch)
    old = ItemFactory(branch=branch)
    from backend.circulation.services import loan_issue

    loan_issue(item=old, reader=reader)
    operator = api.as_role("operator")
    order = operator.post("/api/v1/orders/", {
        "reader": reader.id, "lines": [{"barcode": a.barcode}, {"barcode": b.barcode}],
    }, format="json").json()
    Order.objects.filter(pk=order["id"]).update(status="out_for_delivery")
    response = api.as_role("coordinator").post(
        f"/api/v1/orders/{order['id']}/deliver/",
        {"delivered": [a.barcode], "collected": [old.barcode]}, format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "partially_delivered"
    assert [r["barcode"] for r in response.json()["returns"]] == [old.barcode]
    statuses = dict(Item.objects.values_list("barcode", "status"))
    assert statuses == {a.barcode: "on_loan", b.barcode: "available", old.barcode: "available"}


def test_delivering_more_copies_costs_the_same_queries_per_copy(branch, reader):
    """The reader's branch (the loan period) is read with the order's lines, not once a
    copy; each copy more costs the same fixed queries (loan, copy, line)."""
    from backend.orders.services import order_create, order_deliver

    def deliver(copies: int) -> int:
        items = [ItemFactory(branch=branch) for _ in range(copies)]
        order = order_create(reader=reader, lines=[{"barcode": i.barcode} for i in items])
        Order.objects.filter(pk=order.pk).update(status="out_for_delivery")
        with CaptureQueriesContext(connection) as ctx:
            order_deliver(order=order, delivered=[i.barcode for i in items])
        assert Loan.objects.filter(order_line__order=order, status="active").count() == copies
        assert not any('FROM "branches_branch"' in q["sql"] for q in ctx.captured_queries)
        return len(ctx.captured_queries)

    one, three, five = deliver(1), deliver(3), deliver(5)
    assert three - one == five - three


def test_impossible_transition_is_409_and_changes_nothing(api, branch, reader):
    item = ItemFactory(branch=branch)
    order = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"barcode": item.barcode}]},
        format="json").json()
    coordinator = api.as_role("coordinator")
    response = coordinator.post(f"/api/v1/orders/{order['id']}/fail/",
                                {"reason": "not_home"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "order.invalid_transition"
    assert Order.objects.get(pk=order["id"]).status == "new"
    assert OrderEvent.objects.filter(order_id=order["id"]).count() == 1


def test_failed_visit_goes_back_to_ready_with_the_reason(api, branch, reader):
    item = ItemFactory(branch=branch)
    order = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"barcode": item.barcode}]},
        format="json").json()
    Order.objects.filter(pk=order["id"]).update(status="scheduled",
                                                scheduled_date=datetime.date.today())
    response = api.as_role("coordinator").post(f"/api/v1/orders/{order['id']}/fail/",
                                               {"reason": "not_home", "note": "no answer"},
                                               format="json")
    body = response.json()
    assert (body["status"], body["fail_reason"], body["failed_attempts"]) == (
        "ready", "not_home", 1)
    assert body["scheduled_date"] is None
    assert Item.objects.get(pk=item.pk).status == "reserved"


def test_cancel_releases_reserved_copies(api, branch, reader):
    item = ItemFactory(branch=branch)
    operator = api.as_role("operator")
    order = operator.post("/api/v1/orders/",
                          {"reader": reader.id, "lines": [{"title": item.title_id}]},
                          format="json").json()
    assert Item.objects.get(pk=item.pk).status == "reserved"
    response = operator.post(f"/api/v1/orders/{order['id']}/cancel/")
    assert response.json()["status"] == "cancelled"
    assert Item.objects.get(pk=item.pk).status == "available"
    again = operator.post(f"/api/v1/orders/{order['id']}/cancel/")
    assert again.status_code == 409


def test_exact_title_without_free_copy_waits(api, branch, reader):
    item = ItemFactory(branch=branch, status="on_loan")
    order = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"title": item.title_id}]},
        format="json").json()
    assert order["lines"][0]["status"] == "waiting"
    assert order["lines"][0]["barcode"] is None


def test_taken_copy_by_barcode_is_409(api, branch, reader):
    item = ItemFactory(branch=branch, status="reserved")
    response = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"barcode": item.barcode}]},
        format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "item.not_available"
    assert not Order.objects.exists()


def test_reader_loan_limit_is_enforced(api, branch, reader):
    branch.reader_loan_limit = 2
    branch.save()
    items = [ItemFactory(branch=branch) for _ in range(3)]
    response = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id,
                            "lines": [{"barcode": i.barcode} for i in items]}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "loan.reader_limit"
    assert not Order.objects.exists()
    assert set(Item.objects.values_list("status", flat=True)) == {"available"}


def test_family_limit_counts_the_household(api, branch):
    from tests.factories import FamilyCardFactory, LoanFactory

    family = FamilyCardFactory(branch=branch, loan_limit=3)
    a = ReaderFactory(branch=branch, family_card=family)
    b = ReaderFactory(branch=branch, family_card=family)
    LoanFactory(reader=a, family_card=family)
    LoanFactory(reader=a, family_card=family)
    items = [ItemFactory(branch=branch) for _ in range(2)]
    response = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": b.id, "lines": [{"barcode": i.barcode} for i in items]},
        format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "loan.family_limit"
    ok = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": b.id, "lines": [{"barcode": items[0].barcode}]},
        format="json")
    assert ok.status_code == 201
    assert ok.json()["family_card"]["id"] == family.id


def test_order_for_paused_card_is_refused(api, branch):
    reader = ReaderFactory(branch=branch, status="paused")
    item = ItemFactory(branch=branch)
    response = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"barcode": item.barcode}]},
        format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "reader.not_active"


def test_line_needs_exactly_one_of_title_barcode_or_wish(api, branch, reader):
    response = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{}]}, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["fields"]


def test_volunteer_cannot_reach_orders(api, branch):
    client = api.as_role("volunteer")
    assert client.get("/api/v1/orders/").status_code == 403
    assert client.get("/api/v1/pick-lists/", {"branch": branch.id}).status_code == 403
    assert client.get("/api/v1/desk/lookup/", {"phone": "87011234567"}).status_code == 403


def test_coordinator_cannot_take_orders(api, branch, reader):
    item = ItemFactory(branch=branch)
    response = api.as_role("coordinator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"barcode": item.barcode}]},
        format="json")
    assert response.status_code == 403


def test_bad_query_parameters_are_named_not_a_500(api, branch, reader):
    order = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"wish": {"text": "стихи"}}]},
        format="json").json()
    line = order["lines"][0]["id"]
    bad_limit = api.as_role("librarian").get(f"/api/v1/order-lines/{line}/suggestions/",
                                             {"limit": "many"})
    assert bad_limit.status_code == 400
    assert "limit" in bad_limit.json()["fields"]
    bad_reader = api.as_role("operator").get("/api/v1/desk/calls/", {"reader": "abc"})
    assert bad_reader.status_code == 400
    assert "reader" in bad_reader.json()["fields"]


def test_order_history_and_suggestions_are_the_plain_lists_the_schema_documents(
        api, branch, reader):
    ItemFactory(branch=branch, title=TitleFactory(title="Ақ кеме", format="large_print"))
    order = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"wish": {"text": "повесть"}}]},
        format="json").json()
    events = api.as_role("operator").get(f"/api/v1/orders/{order['id']}/events/")
    assert events.status_code == 200 and isinstance(events.json(), list)
    assert_documented(events, "get", "/api/v1/orders/{id}/events/")
    line = order["lines"][0]["id"]
    suggestions = api.as_role("librarian").get(f"/api/v1/order-lines/{line}/suggestions/")
    assert suggestions.status_code == 200 and isinstance(suggestions.json(), list)
    assert_documented(suggestions, "get", "/api/v1/order-lines/{id}/suggestions/")


@pytest.mark.parametrize("url, name", [
    ("/api/v1/orders/", "branch"), ("/api/v1/orders/", "reader"),
    ("/api/v1/orders/", "family_card"), ("/api/v1/desk/calls/", "reader"),
])
def test_an_id_no_database_can_hold_is_a_bad_parameter_not_a_500(api, url, name):
    response = api.as_role("operator").get(url, {name: 10**30})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [name]


def test_pending_and_held_counts_each_reader_its_own(api, branch):
    """The counts read with the SQL kept from the first reader are the next reader's own."""
    from backend.orders.selectors import pending_and_held
    from tests.factories import LoanFactory

    first, second = ReaderFactory(branch=branch), ReaderFactory(branch=branch)
    LoanFactory(reader=second)
    LoanFactory(reader=second)
    assert pending_and_held(first) == (0, 0)
    items = [ItemFactory(branch=branch) for _ in range(3)]
    response = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": second.id,
                            "lines": [{"barcode": i.barcode} for i in items]}, format="json")
    assert response.status_code == 201
    assert pending_and_held(second) == (3, 2)
    assert pending_and_held(first) == (0, 0)


def test_the_household_counted_with_the_order_is_each_family_its_own(branch):
    """The family card's loans read with the order's counts (SQL kept from the first family)
    are what the family limit counts on its own: the card's loans and its members'."""
    from backend.circulation.selectors import active_loans
    from backend.orders.selectors import loan_counts
    from tests.factories import FamilyCardFactory, LoanFactory

    first, second = FamilyCardFactory(branch=branch), FamilyCardFactory(branch=branch)
    caller = ReaderFactory(branch=branch, family_card=first)
    sister = ReaderFactory(branch=branch, family_card=first)
    neighbour = ReaderFactory(branch=branch, family_card=second)
    LoanFactory(reader=caller)
    LoanFactory(reader=sister)
    LoanFactory(reader=ReaderFactory(branch=branch), family_card=first)  # on the card
    LoanFactory(reader=neighbour)
    LoanFactory(reader=sister, status="returned")
    assert loan_counts(caller, first) == (0, 1, 3)
    assert loan_counts(neighbour, second) == (0, 1, 1)
    assert loan_counts(sister, first)[2] == active_loans(family=first).count() == 3
    LoanFactory(reader=sister, family_card=first)  # a member's loan on the card: once
    assert loan_counts(caller, first) == (0, 1, 4)
    assert loan_counts(sister, first)[2] == active_loans(family=first).count() == 4
    assert loan_counts(caller, None) == (0, 1, None)


def test_the_ordering_reader_is_read_with_what_loan_counts_counts(branch):
    """The staff API reads the ordering card with its counts (selectors.ordering_reader, its
    SQL kept from the first reader): each reader's own, as loan_counts counts them; a card
    on no family card has no household loans."""
    from backend.orders.selectors import loan_counts, ordering_reader
    from backend.orders.services import order_create
    from tests.factories import FamilyCardFactory, LoanFactory

    family = FamilyCardFactory(branch=branch)
    caller = ReaderFactory(branch=branch, family_card=family)
    sister = ReaderFactory(branch=branch, family_card=family)
    alone = ReaderFactory(branch=branch)
    LoanFactory(reader=caller)
    LoanFactory(reader=sister)
    LoanFactory(reader=ReaderFactory(branch=branch), family_card=family)
    LoanFactory(reader=alone)
    LoanFactory(reader=alone, status="returned")
    order_create(reader=sister, lines=[{"title": ItemFactory(branch=branch).title}])
    for reader, family_card in ((caller, family), (sister, family), (alone, None)):
        read = ordering_reader(reader.pk)
        assert read == reader and read.branch == branch and read.family_card == family_card
        pending, held, household = loan_counts(reader, family_card)
        assert (read.order_pending, read.order_held) == (pending, held)
        assert read.order_household == (household or 0)
    assert (ordering_reader(sister.pk).order_pending, ordering_reader(caller.pk).order_pending,
            ordering_reader(caller.pk).order_household) == (1, 0, 3)
    assert ordering_reader(alone.pk + 1000) is None


def test_a_line_takes_the_branchs_own_copy_first_then_the_oldest(api, branch, reader,
                                                                 reserving):
    from backend.branches.models import Branch

    other = Branch.objects.create(code="OTH", name="Other", settlement="Бишкуль",
                                  lat=54.0, lon=69.0)
    title = TitleFactory(title="Қан мен тер")
    elsewhere = ItemFactory(branch=other, title=title)
    ItemFactory(branch=branch, title=title, status="on_loan")
    own = [ItemFactory(branch=branch, title=title) for _ in range(3)]
    taken = ItemFactory(branch=branch, title=TitleFactory(title="Ұлпан"))
    answer = api.as_role("operator").post("/api/v1/orders/", {
        "reader": reader.id,
        "lines": [{"barcode": own[1].barcode}, {"title": title.id}, {"title": title.id},
                  {"title": title.id}, {"title": title.id}, {"title": taken.title_id}],
    }, format="json")
    assert answer.status_code == 201, answer.json()
    lines = answer.json()["lines"]
    assert [line["barcode"] for line in lines] == [
        own[1].barcode, own[0].barcode, own[2].barcode, elsewhere.barcode, None, taken.barcode]
    assert [line["status"] for line in lines] == ["reserved"] * 4 + ["waiting", "reserved"]
    assert answer.json() == api.as_role("operator").get(
        f"/api/v1/orders/{answer.json()['id']}/").json()
    assert set(Item.objects.filter(title=title, branch__in=[branch, other])
               .values_list("status", flat=True)) == {"reserved", "on_loan"}
