"""Two people acting on the last free copy at the same moment, on real connections."""
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.catalog.models import Item
from backend.orders.models import OrderLine
from tests.factories import ItemFactory, ReaderFactory, UserFactory

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    """Run the calls in threads released at once; each thread has its own DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def client_for(role):
    client = APIClient()
    client.force_authenticate(UserFactory(role=role))
    return client


def test_two_operators_reserving_the_last_copy_one_wins_one_gets_409():
    item = ItemFactory()
    readers = [ReaderFactory(branch=item.branch) for _ in range(2)]
    clients = [client_for("operator") for _ in range(2)]

    def order(i):
        return lambda: clients[i].post(
            "/api/v1/orders/", {"reader": readers[i].id, "lines": [{"barcode": item.barcode}]},
            format="json",
        )

    responses = run_together(order(0), order(1))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "item.not_available"
    assert OrderLine.objects.filter(item=item, status="reserved").count() == 1
    assert Item.objects.get(pk=item.pk).status == "reserved"


def test_two_orders_for_a_title_with_one_copy_reserve_it_once():
    item = ItemFactory()
    readers = [ReaderFactory(branch=item.branch) for _ in range(2)]
    clients = [client_for("operator") for _ in range(2)]

    def order(i):
        return lambda: clients[i].post(
            "/api/v1/orders/", {"reader": readers[i].id, "lines": [{"title": item.title_id}]},
            format="json",
        )

    responses = run_together(order(0), order(1))
    assert [r.status_code for r in responses] == [201, 201]
    statuses = sorted(r.json()["lines"][0]["status"] for r in responses)
    assert statuses == ["reserved", "waiting"]
    assert OrderLine.objects.filter(item=item).count() == 1


def test_two_orders_for_a_title_with_two_copies_reserve_one_each():
    """Both orders choose the same first copy; the second waits for the first's and takes
    the next one free."""
    first = ItemFactory()
    second = ItemFactory(title=first.title, branch=first.branch)
    readers = [ReaderFactory(branch=first.branch) for _ in range(2)]
    clients = [client_for("operator") for _ in range(2)]

    def order(i):
        return lambda: clients[i].post(
            "/api/v1/orders/", {"reader": readers[i].id, "lines": [{"title": first.title_id}]},
            format="json",
        )

    responses = run_together(order(0), order(1))
    assert [r.status_code for r in responses] == [201, 201]
    assert sorted(r.json()["lines"][0]["barcode"] for r in responses) == sorted(
        [first.barcode, second.barcode])
    assert sorted(OrderLine.objects.filter(status="reserved").values_list("item", flat=True)) \
        == sorted([first.pk, second.pk])


def test_two_librarians_assigning_one_copy_to_two_lines():
    item = ItemFactory()
    operator = client_for("operator")
    lines = []
    for _ in range(2):
        reader = ReaderFactory(branch=item.branch)
        body = operator.post("/api/v1/orders/",
                             {"reader": reader.id, "lines": [{"wish": {"text": "любое"}}]},
                             format="json").json()
        lines.append(body["lines"][0]["id"])
    clients = [client_for("librarian") for _ in range(2)]

    def assign(i):
        return lambda: clients[i].post(f"/api/v1/order-lines/{lines[i]}/assign/",
                                       {"barcode": item.barcode}, format="json")

    responses = run_together(assign(0), assign(1))
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert OrderLine.objects.filter(item=item, status="reserved").count() == 1
