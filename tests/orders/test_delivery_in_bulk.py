"""A delivery writes its copies, loans and lines in one statement a kind
(circulation.services.loans_issue_for_lines, catalog.services.items_lend / items_release):
the rows and announcements are those of one copy at a time (loan_issue, item_release)."""
import pytest
from django.db import transaction
from django.utils.translation import gettext

from backend.catalog import services as catalog_services
from backend.catalog.models import Item
from backend.circulation import services as circulation_services
from backend.circulation.models import Loan
from backend.core.exceptions import ConflictError
from backend.orders import services as order_services
from backend.orders.models import Order, OrderEvent, OrderLine
from backend.routing.door_stamps import door_stamps
from tests.factories import FamilyCardFactory, ItemFactory, LoanFactory, ReaderFactory
from tests.mobile_api.conftest import make_volunteer, published_route

LOAN_FIELDS = ("item_id", "title_id", "reader_id", "family_card_id", "branch_id",
               "order_line_id", "status", "due_date", "renewals", "issued_by_id",
               "returned_at", "return_channel")


def _lines(branch, readers):
    """One reserved copy for each reader, each on a line of an order of theirs."""
    lines = []
    for reader in readers:
        order = Order.objects.create(reader=reader, branch=branch, status="out_for_delivery")
        item = ItemFactory(branch=branch, status="reserved")
        lines.append(OrderLine.objects.create(order=order, reader=reader, kind="title",
                                              item=item, title=item.title, status="reserved"))
    return [OrderLine.objects.select_related("item", "reader__branch").get(pk=line.pk)
            for line in lines]


def _row(loan):
    return tuple(getattr(loan, name) for name in LOAN_FIELDS if name not in
                 ("item_id", "title_id", "order_line_id", "reader_id"))


def test_loans_for_lines_are_the_loans_one_at_a_time(branch, make_user):
    by = make_user("operator")
    family = FamilyCardFactory(branch=branch)
    readers = [ReaderFactory(branch=branch), ReaderFactory(branch=branch, family_card=family)]
    one_by_one = [circulation_services.loan_issue(
        item=line.item, reader=line.reader, by=by, order_line=line, check_limits=False)
        for line in _lines(branch, readers)]
    together = circulation_services.loans_issue_for_lines(lines=_lines(branch, readers), by=by)
    assert all(loan.pk for loan in together)
    stored = {loan.pk: loan for loan in Loan.objects.filter(pk__in=[x.pk for x in together])}
    assert [_row(stored[loan.pk]) for loan in together] == [_row(Loan.objects.get(pk=x.pk))
                                                           for x in one_by_one]
    assert together[1].family_card_id == family.pk  # the reader's open card shares it
    for loan in together:
        assert stored[loan.pk].order_line.item_id == loan.item_id
        assert Item.objects.get(pk=loan.item_id).status == "on_loan"


def test_a_copy_already_on_loan_is_refused_by_its_barcode(branch):
    readers = [ReaderFactory(branch=branch), ReaderFactory(branch=branch)]
    lines = _lines(branch, readers)
    LoanFactory(reader=readers[0], item=lines[1].item)
    with pytest.raises(ConflictError) as refused, transaction.atomic():
        circulation_services.loans_issue_for_lines(lines=lines)
    assert refused.value.code == "item.on_loan"
    assert lines[1].item.barcode in str(refused.value.message)
    assert not Loan.objects.filter(order_line__in=lines).exists()
    assert Item.objects.get(pk=lines[0].item_id).status == "reserved"


@pytest.mark.parametrize("move, one", [(catalog_services.items_lend, catalog_services.item_lend),
                                       (catalog_services.items_release,
                                        catalog_services.item_release)])
def test_copies_move_together_or_the_first_that_cannot_is_refused_as_alone(branch, move, one):
    free = [ItemFactory(branch=branch, status="reserved") for _ in range(2)]
    move(items=free)
    assert {item.status for item in Item.objects.filter(pk__in=[i.pk for i in free])} == {
        free[0].status}
    stuck = [ItemFactory(branch=branch, status="reserved"),
             ItemFactory(branch=branch, status="withdrawn")]
    with pytest.raises(ConflictError) as refused, transaction.atomic():
        move(items=stuck)
    with pytest.raises(ConflictError) as alone:
        one(item=stuck[1])
    assert (refused.value.code, str(refused.value.message), refused.value.fields) == (
        alone.value.code, str(alone.value.message), alone.value.fields)
    assert stuck[1].barcode in str(refused.value.message)
    assert Item.objects.get(pk=stuck[0].pk).status == "reserved"  # rolled back with it


def test_a_delivery_writes_lines_loans_and_events_as_before(db, make_user):
    by = make_user("operator")
    route = published_route(make_volunteer(), stops=1, items=3)
    order = route.stops.get().orders.get()
    order_services.order_dispatch(order=order, by=by)
    lines = list(order.lines.select_related("item").order_by("pk"))
    result = order_services.order_deliver(order=order, by=by,
                                          delivered=[lines[0].item.barcode,
                                                     lines[2].item.barcode])
    assert [loan.item_id for loan in result["loans"]] == [lines[0].item_id, lines[2].item_id]
    assert list(order.lines.order_by("pk").values_list("status", flat=True)) == [
        "delivered", "not_delivered", "delivered"]
    assert list(Item.objects.filter(pk__in=[line.item_id for line in lines]).order_by("pk")
                .values_list("status", flat=True)) == ["on_loan", "available", "on_loan"]
    assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) \
        == ["out_for_delivery", "partially_delivered"]
    assert [line.status for line in lines] == ["reserved"] * 3  # the caller's copies as read


def test_a_delivery_drops_the_token_of_its_door_only(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # what making the day noted
        route = published_route(make_volunteer(), stops=2)
    first, second = route.stops.order_by("sequence")
    before = door_stamps([first.pk, second.pk])
    order = first.orders.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_deliver(order=order, delivered=[
            line.item.barcode for line in order.lines.select_related("item")])
    after = door_stamps([first.pk, second.pk])
    assert after[first.pk] != before[first.pk]
    assert after[second.pk] == before[second.pk]


def test_a_failed_visit_records_both_moves_in_order(db, make_user):
    by = make_user("operator")
    route = published_route(make_volunteer(), stops=1)
    order = route.stops.get().orders.get()
    order_services.order_fail(order=order, reason="not_home", note="twice", by=by)
    assert list(OrderEvent.objects.filter(order=order).values_list(
        "from_status", "to_status", "note", "by")) == [
        ("scheduled", "failed", "not_home: twice", by.pk),
        ("failed", "ready", gettext("Back to planning after a failed visit."), by.pk)]


def test_orders_go_out_together_as_one_at_a_time(db, make_user):
    by = make_user("operator")
    alone = [stop.orders.get() for stop in published_route(make_volunteer(), stops=2).stops.all()]
    for order in alone:
        order_services.order_dispatch(order=order, by=by)
    together = [stop.orders.get()
                for stop in published_route(make_volunteer(), stops=2).stops.all()]
    moved = order_services.orders_dispatch(orders=together, by=by)
    assert [order.pk for order in moved] == [order.pk for order in together]

    def written(orders):
        return [(order.status, list(OrderEvent.objects.filter(order=order).values_list(
            "from_status", "to_status", "note", "by"))) for order in
            Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk")]

    assert written(together) == written(alone)
    assert written(together)[0][0] == "out_for_delivery"
    assert order_services.orders_dispatch(orders=[]) == []


def test_an_order_that_cannot_go_out_is_refused_as_alone(db):
    orders = [stop.orders.get()
              for stop in published_route(make_volunteer(), stops=2).stops.all()]
    Order.objects.filter(pk=orders[1].pk).update(status="cancelled")
    with pytest.raises(ConflictError) as refused, transaction.atomic():
        order_services.orders_dispatch(orders=orders)
    with pytest.raises(ConflictError) as alone:
        order_services.order_dispatch(order=orders[1])
    assert (refused.value.code, str(refused.value.message), refused.value.fields) == (
        alone.value.code, str(alone.value.message), alone.value.fields)
    assert Order.objects.get(pk=orders[0].pk).status == "scheduled"
    assert not OrderEvent.objects.filter(order__in=orders).exists()


@pytest.mark.parametrize("at_the_door", [False, True], ids=["order", "stop"])
def test_a_copy_on_loan_is_refused_whoever_read_the_lines(db, make_user, at_the_door):
    """order_deliver reads whether each copy is on loan with its lines; stop_complete reads the
    lines for it: either way the copy is refused by its barcode, nothing written."""
    from backend.routing import services as routing_services

    by = make_user("operator")
    route = published_route(make_volunteer(), stops=1)
    stop = route.stops.get()
    order = stop.orders.get()
    lines = list(order.lines.select_related("item").order_by("pk"))
    LoanFactory(reader=order.reader, item=lines[1].item)
    barcodes = [line.item.barcode for line in lines]
    with pytest.raises(ConflictError) as refused, transaction.atomic():
        if at_the_door:
            routing_services.stop_complete(stop=stop, delivered=barcodes, by=by)
        else:
            order_services.order_dispatch(order=order, by=by)
            order_services.order_deliver(order=order, delivered=barcodes, by=by)
    assert refused.value.code == "item.on_loan"
    assert lines[1].item.barcode in str(refused.value.message)
    assert not Loan.objects.filter(order_line__in=lines).exists()


def test_a_failed_visit_writes_what_it_changes_and_keeps_the_rest(db):
    from django.forms.models import model_to_dict

    route = published_route(make_volunteer(), stops=1)
    order = route.stops.get().orders.get()
    Order.objects.filter(pk=order.pk).update(note="Домофон не работает", failed_attempts=2)
    before = model_to_dict(Order.objects.get(pk=order.pk))
    order_services.order_fail(order=order, reason="not_home", note="twice")
    after = Order.objects.get(pk=order.pk)
    assert (after.status, after.fail_reason, after.fail_note, after.failed_attempts,
            after.scheduled_date) == ("ready", "not_home", "twice", 3, None)
    changed = {"status", "fail_reason", "fail_note", "failed_attempts", "scheduled_date"}
    assert {name: value for name, value in model_to_dict(after).items()
            if name not in changed} == {name: value for name, value in before.items()
                                        if name not in changed}
    assert before["scheduled_date"] is not None and after.updated_at > order.created_at
