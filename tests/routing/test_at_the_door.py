"""The stop and route state changes the volunteer app calls."""
import datetime

import pytest

from backend.catalog.models import Item
from backend.circulation.models import Loan
from backend.core.exceptions import ConflictError
from backend.orders.models import Order
from backend.routing import services
from backend.routing.models import Stop
from tests.factories import ItemFactory, LoanFactory
from tests.routing.test_planning import plan_and_solve, reader_at, ready_order, volunteer


@pytest.fixture
def published(depot, day):
    volunteer(depot)
    reader = reader_at(depot, 69.01)
    order = ready_order(reader, day, items=2)
    old = LoanFactory(reader=reader, item=ItemFactory(branch=depot, status="on_loan"),
                      due_date=day - datetime.timedelta(days=1))
    plan, _ = plan_and_solve(depot, day)
    services.plan_publish(plan=plan)
    stop = Stop.objects.get(plan=plan)
    return stop, order, old


def barcodes(order):
    return [line.item.barcode for line in order.lines.select_related("item")]


def test_arrive_complete_issues_loans_and_records_returns(published):
    stop, order, old = published
    services.stop_arrive(stop=stop)
    stop.refresh_from_db()
    assert stop.status == "arrived"
    assert stop.route.status == "started"
    codes = barcodes(order)
    result = services.stop_complete(stop=stop, delivered=codes[:1], collected=[old.item.barcode])
    order.refresh_from_db()
    assert order.status == "partially_delivered"
    assert [loan.item.barcode for loan in result["loans"]] == codes[:1]
    assert Loan.objects.get(pk=old.pk).status == "returned"
    assert Item.objects.get(barcode=codes[1]).status == "available"
    with pytest.raises(ConflictError) as exc:
        services.stop_complete(stop=stop, delivered=codes[:1])
    assert exc.value.code == "stop.already_completed"


def test_fail_sends_the_order_back_to_planning(published):
    stop, order, _ = published
    services.stop_fail(stop=stop, reason="not_home", note="звонили, не открыли")
    order.refresh_from_db()
    stop.refresh_from_db()
    assert (stop.status, stop.fail_reason) == ("failed", "not_home")
    assert (order.status, order.fail_reason, order.failed_attempts) == ("ready", "not_home", 1)


def test_unknown_barcode_changes_nothing(published):
    stop, order, _ = published
    from backend.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        services.stop_complete(stop=stop, delivered=["NOPE-1"])
    assert exc.value.code == "stop.unknown_barcode"
    stop.refresh_from_db()
    assert stop.status == "planned"
    assert not Loan.objects.filter(order_line__order=order).exists()


def test_finishing_a_route_returns_unvisited_stops(published):
    stop, order, _ = published
    services.route_start(route=stop.route)
    services.route_finish(route=stop.route)
    stop.refresh_from_db()
    order.refresh_from_db()
    assert stop.status == "failed"
    assert order.status == "ready"
    assert Order.objects.get(pk=order.pk).failed_attempts == 1


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "plain-update"])
def test_finishing_counts_each_unvisited_stop_in_the_routes_version(published, monkeypatch,
                                                                    returning):
    """Every change the app must see moves the version on: the stop sent back, then the
    route finished. The version never goes back to what an earlier change gave it, whether
    or not the database returns rows from an UPDATE."""
    from backend.routing import route_version
    from backend.routing.models import Route

    if returning and not route_version.update_returns_rows():
        pytest.skip("this database cannot return rows from an UPDATE")
    monkeypatch.setattr(route_version, "update_returns_rows", lambda: returning)
    stop, _order, _ = published
    services.route_start(route=stop.route)
    before = Route.objects.get(pk=stop.route_id).version
    finished = services.route_finish(route=Route.objects.get(pk=stop.route_id))
    assert Route.objects.get(pk=stop.route_id).version == before + 2
    assert finished.version == before + 2


def test_draft_route_cannot_start(depot, day):
    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    plan, _ = plan_and_solve(depot, day)
    stop = Stop.objects.get(plan=plan)
    with pytest.raises(ConflictError) as exc:
        services.stop_arrive(stop=stop)
    assert exc.value.code == "route.not_published"
