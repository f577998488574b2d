"""Date-times read from PostgreSQL with psycopg's compiled loader (backend/core/pg_dates.py):
the same values, in the same time zone object, as Django's own loader reads them."""
import copy
import datetime
import zoneinfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from backend.core.pg_dates import UTC, fast_loader_class

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]

# Texts a timestamptz column gives back, in and out of the ordinary: microseconds or none,
# offsets in the text, the first and last years PostgreSQL and Python share, a leap day.
LITERALS = [
    "2026-12-07 15:51:49.432721+00", "2026-12-07 15:51:49+00", "2026-12-07 00:00:00+05",
    "1900-01-01 00:00:00+00", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:30:00.5-03:30", "1969-12-31 23:59:59.000001+00",
]


def read_all(cursor, literals=LITERALS) -> list[datetime.datetime]:
    cursor.execute("SELECT value::timestamptz FROM unnest(%s::text[]) AS value", [literals])
    return [row[0] for row in cursor.fetchall()]


def test_a_new_connection_reads_dates_with_the_compiled_loader():
    from psycopg.pq import Format

    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, Format.TEXT)
    assert loader.__name__ == fast_loader_class().__name__ == "FastUtcLoader"
    assert loader.timezone is UTC


def test_the_values_and_their_zone_are_djangos():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    with connection.cursor() as cursor:
        fast = read_all(cursor)
    with connection.cursor() as cursor:
        register_tzloader(UTC, cursor.cursor)  # Django's own loader, on this cursor only
        djangos = read_all(cursor)
    assert fast == djangos
    assert [value.tzinfo for value in fast] == [value.tzinfo for value in djangos] == [UTC] * 8
    assert [repr(value) for value in fast] == [repr(value) for value in djangos]
    assert fast[2] == datetime.datetime(2026, 12, 6, 19, tzinfo=UTC)


def test_the_orm_reads_what_it_wrote():
    from backend.notifications.models import Message

    moment = datetime.datetime(2026, 12, 7, 23, 30, 15, 123456,
                               tzinfo=zoneinfo.ZoneInfo("Asia/Almaty"))
    message = Message.objects.create(event_key="pg-dates", template="order_confirmed",
                                     to="+77011112233", text="Сәлем", not_before=moment)
    stored = Message.objects.values_list("not_before", "created_at").get(pk=message.pk)
    assert stored[0] == moment and stored[0].tzinfo is UTC
    assert stored[1].tzinfo is UTC and abs(stored[1] - timezone.now()) < datetime.timedelta(
        minutes=1)


def test_a_connection_in_another_zone_keeps_djangos_loader():
    """A database whose TIME_ZONE is set reads its date-times in that zone: Django's loader
    puts it on, and it stays."""
    settings = copy.deepcopy(connections.settings[connection.alias])
    settings["TIME_ZONE"] = "Asia/Almaty"
    other = type(connections[connection.alias])(settings, alias="pg_dates_other")
    try:
        with other.cursor() as cursor:  # (the last year's end is the next year there)
            values = read_all(cursor, [one for one in LITERALS if not one.startswith("9999")])
            from psycopg.pq import Format

            loader = other.connection.adapters.get_loader(
                other.connection.adapters.types["timestamptz"].oid, Format.TEXT)
        assert loader.__name__ != "FastUtcLoader"
        assert {str(value.tzinfo) for value in values} == {"Asia/Almaty"}
        assert values[0] == datetime.datetime(2026, 12, 7, 15, 51, 49, 432721, tzinfo=UTC)
    finally:
        other.close()
