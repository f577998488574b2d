"""Health checks: /health/ (liveness, the database answers) and /health/ready/ (readiness,
the database takes a write). A read-only database is alive but not ready."""
import contextlib

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def read_only_database():
    """The service's own connection may read but not write, as with a read-only replica or
    a database file the service may not write."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET default_transaction_read_only = on")
        else:
            cursor.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET default_transaction_read_only = off")
            else:
                cursor.execute("PRAGMA query_only = OFF")


def test_ready_when_the_database_takes_writes_and_keeps_nothing():
    answer = Client().get("/health/ready/")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert Session.objects.count() == 0


def test_read_only_database_is_alive_but_not_ready():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    with read_only_database():
        alive = client.get("/health/")
        ready = client.get("/health/ready/")
    assert alive.status_code == 200
    assert ready.status_code == 503
    assert ready["Content-Type"] == "application/json"
    assert ready["Retry-After"] == "5"
    assert ready.json() == {
        "code": "service.unavailable",
        "message": "The service is briefly unavailable. Please try again.",
        "fields": {},
    }
    # Writable again: ready again.
    assert client.get("/health/ready/").status_code == 200
