"""The database going away: a clean 503 in the one error shape, and nothing half-written.

* Mid-request (PostgreSQL): while an operator's order is being written, another connection
  ends the request's server process with `pg_terminate_backend`, at the writes of taking an
  order in turn (the order, the copy reserved, its lines, the confirmation SMS in the
  outbox). The seam is Django's own `connection.execute_wrapper`:
  the code under test runs as it is. The operator gets 503 `service.unavailable`, no order,
  line, reservation, call or message is left, and trying again works.
* Unreachable: the database refuses connections (PostgreSQL on a closed port, SQLite at a
  path that cannot be opened): signing in and taking an order answer the same 503.
"""
import contextlib
import datetime

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from backend.catalog.models import Item
from backend.notifications.models import Message
from backend.orders.models import CallLog, Order, OrderEvent, OrderLine
from tests.broker import free_port
from tests.factories import (
    BranchFactory,
    ItemFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    UserFactory,
)

UNAVAILABLE = {
    "code": "service.unavailable",
    "message": "The service is briefly unavailable. Please try again.",
    "fields": {},
}
# Writes of taking an order by phone, in the order they happen: the order, the copy
# reserved, the lines, and the confirmation SMS (written in a savepoint of its own); the
# order's event and the call log come between the last two.
ORDER_WRITES = ["orders_order", "catalog_item", "orders_orderline", "notifications_message"]


def order_body(reader, item) -> dict:
    return {
        "reader": reader.pk,
        "lines": [{"title": item.title_id}],
        "preferred_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "call": {"phone": "8 701 555 00 11", "duration_seconds": 95},
    }


def an_order_to_take():
    """An operator, an active reader with a mobile phone and a free copy on the shelf."""
    branch = BranchFactory()
    reader = ReaderFactory(branch=branch)
    ReaderPhoneFactory(reader=reader)
    item = ItemFactory(branch=branch)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(UserFactory(role="operator"))
    return client, reader, item


def assert_nothing_written(item) -> None:
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert OrderEvent.objects.count() == 0
    assert CallLog.objects.count() == 0
    assert Message.objects.count() == 0
    assert Item.objects.get(pk=item.pk).status == "available"


def writes_to(sql: str, table: str) -> bool:
    """Whether `sql` writes to `table`: an INSERT, UPDATE or DELETE of it, or a WITH one of
    whose parts does (on PostgreSQL an order's rows are written in one such statement)."""
    text, name = sql.lstrip().upper(), f'"{table.upper()}"'
    if text.startswith(("INSERT", "UPDATE", "DELETE")):
        return name in text[:200]
    return text.startswith("WITH") and any(
        f"{verb} {name}" in text for verb in ("INSERT INTO", "UPDATE", "DELETE FROM"))


@contextlib.contextmanager
def server_killed_when_writing(table: str):
    """Just before the first write to `table`, another connection terminates the server
    process serving this one; the write then meets a dead connection."""
    fired = []
    params = connection.get_connection_params()
    conninfo = {k: v for k, v in params.items()
                if k in ("dbname", "user", "password", "host", "port") and v}

    def kill(execute, sql, params, many, context):
        if not fired and writes_to(sql, table):
            pid = context["connection"].connection.info.backend_pid
            with psycopg.connect(**conninfo, autocommit=True) as other:
                # Waits (up to 5 s) until the process has really gone.
                other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            fired.append(pid)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kill):
        yield fired


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", ORDER_WRITES)
def test_database_killed_while_an_order_is_written_answers_503_and_leaves_nothing(
        table, message_texts):
    client, reader, item = an_order_to_take()

    with server_killed_when_writing(table) as fired:
        response = client.post("/api/v1/orders/", order_body(reader, item), format="json")

    assert fired, f"the order was taken without writing to {table}"
    connection.close()  # the test's own connection was the one killed
    assert response.status_code == 503, response.content
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"
    assert_nothing_written(item)

    again = client.post("/api/v1/orders/", order_body(reader, item), format="json")
    assert again.status_code == 201, again.content
    order = Order.objects.get(pk=again.json()["id"])
    assert order.lines.get().status == "reserved"
    assert Item.objects.get(pk=item.pk).status == "reserved"
    assert Message.objects.filter(order=order, template="order_confirmed").count() == 1


def unreachable_settings(settings_dict: dict) -> dict:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return {**settings_dict, "NAME": "/nonexistent/kniga03/db.sqlite3"}
    return {**settings_dict, "HOST": "127.0.0.1", "PORT": str(free_port()),
            "OPTIONS": {**settings_dict.get("OPTIONS", {}), "connect_timeout": 2}}


@contextlib.contextmanager
def database_unreachable():
    """The default connection points at a database that cannot be reached."""
    real = connections[DEFAULT_DB_ALIAS]
    dead = real.__class__(unreachable_settings(real.settings_dict), DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = dead
    try:
        yield
    finally:
        dead.close()
        connections[DEFAULT_DB_ALIAS] = real


@pytest.mark.django_db
def test_database_unreachable_answers_503_in_the_error_shape():
    _client, reader, item = an_order_to_take()
    UserFactory(username="operator7", role="operator", password="correct-horse-battery")
    signed_in = APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/auth/token/", {
        "username": "operator7", "password": "correct-horse-battery"}, format="json")
    token = signed_in.json()["access"]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    with database_unreachable():
        sign_in = APIClient(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/auth/token/", {
            "username": "operator7", "password": "correct-horse-battery"}, format="json")
        take = client.post("/api/v1/orders/", order_body(reader, item), format="json")
        readers = client.get("/api/v1/readers/", {"q": "8 701 555 00 11"})

    for response in (sign_in, take, readers):
        assert response.status_code == 503, (response.wsgi_request.path, response.content)
        assert response.json() == UNAVAILABLE
        assert response["Retry-After"] == "5"
    assert Order.objects.count() == 0
