"""A row written unless its unique value is taken (backend.core.inserts): the row
`objects.create()` writes, False for a taken value with the transaction still usable, and
every other broken rule raised, both where one INSERT ... ON CONFLICT DO NOTHING RETURNING
does it and where a savepoint and save() do."""
import datetime
import zoneinfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.core.inserts import insert_unless_taken
from backend.notifications.models import Message
from mobile_api.models import IdempotencyRecord
from tests.factories import BranchFactory, ReaderFactory, UserFactory

pytestmark = pytest.mark.django_db

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
STAMPED = ("created_at", "updated_at")  # auto_now(_add): the moment of each write


def columns(**more) -> dict:
    return {"template": "order_confirmed", "to": "+77011112233", "text": "Сәлем, Айгүл",
            "language": "kk",
            "not_before": datetime.datetime(2026, 12, 7, 23, 30, 15, 123456, tzinfo=ALMATY),
            "context": {"имя": "Айгүл", "n": [1, 2.5, None], "ok": True, "sub": {"a": ""}},
            **more}


def stored(pk) -> dict:
    row = Message.objects.filter(pk=pk).values().get()
    return {name: value for name, value in row.items()
            if name not in ("id", "event_key", *STAMPED)}


@pytest.mark.parametrize("links", ["with-links", "without-links"])
def test_the_row_written_is_the_one_create_writes(way, links):
    more = {}
    if links == "with-links":
        branch = BranchFactory()
        more = {"reader": ReaderFactory(branch=branch), "branch": branch, "user": UserFactory(),
                "via_caregiver": True, "status": "cancelled", "error_code": "opted_out",
                "expires_at": datetime.datetime(2026, 12, 8, 1, 0, tzinfo=datetime.UTC)}
    created = Message.objects.create(event_key="created", **columns(**more))
    before = timezone.now()
    message = Message(event_key="inserted", **columns(**more))
    assert insert_unless_taken(message, conflict_fields=("event_key",)) is True
    assert message.pk is not None and message.pk != created.pk
    assert (message._state.adding, message._state.db) == (False, "default")
    assert stored(message.pk) == stored(created.pk)
    row = Message.objects.get(pk=message.pk)
    assert row.event_key == "inserted"
    assert row.not_before == columns()["not_before"]
    assert row.context == columns()["context"]
    assert (row.reader_id, row.order_id) == (more["reader"].pk if more else None, None)
    # The moments are stamped on the instance as save() stamps them, and stored as such.
    assert before <= message.created_at == row.created_at <= timezone.now()
    assert row.updated_at == message.updated_at


def test_a_taken_value_writes_nothing_and_the_transaction_goes_on(way):
    first = Message(event_key="order:1:confirmed", **columns())
    assert insert_unless_taken(first, conflict_fields=("event_key",)) is True
    second = Message(event_key="order:1:confirmed", **columns(text="другой текст"))
    assert insert_unless_taken(second, conflict_fields=("event_key",)) is False
    # The instance as it was: no id, not stamped, still to be added.
    assert (second.pk, second.created_at, second.updated_at) == (None, None, None)
    assert (second._state.adding, second._state.db) == (True, None)
    # The transaction still answers (on PostgreSQL a failed statement would have ended it).
    assert list(Message.objects.values_list("pk", "text")) == [(first.pk, "Сәлем, Айгүл")]
    third = Message(event_key="order:2:confirmed", **columns())
    assert insert_unless_taken(third, conflict_fields=("event_key",)) is True
    assert Message.objects.count() == 2


def test_a_constraint_of_two_fields_is_the_conflict(way):
    user, other = UserFactory(), UserFactory()

    def record(owner, key):
        return IdempotencyRecord(user=owner, key=key, method="POST", path="/x", body_hash="h",
                                 response={"ok": [1, "два"]})

    assert insert_unless_taken(record(user, "k"), conflict_fields=("user", "key")) is True
    assert insert_unless_taken(record(user, "k"), conflict_fields=("key", "user")) is False
    assert insert_unless_taken(record(other, "k"), conflict_fields=("user", "key")) is True
    assert insert_unless_taken(record(user, "k2"), conflict_fields=("user", "key")) is True
    assert sorted(IdempotencyRecord.objects.values_list("user", "key")) == sorted(
        [(user.pk, "k"), (other.pk, "k"), (user.pk, "k2")])
    assert list(IdempotencyRecord.objects.values_list("response", flat=True)) == [
        {"ok": [1, "два"]}] * 3


def test_another_broken_rule_is_raised_not_taken_for_the_conflict(way):
    first = Message(event_key="first", **columns())
    assert insert_unless_taken(first, conflict_fields=("event_key",)) is True
    # Another unique column (the id) taken; a check broken (attempts are never negative):
    # both fail at once on every database, unlike a foreign key checked at commit.
    for broken in (Message(pk=first.pk, event_key="second", **columns()),
                   Message(event_key="third", attempts=-1, **columns())):
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_unless_taken(broken, conflict_fields=("event_key",))
    assert list(Message.objects.values_list("event_key", flat=True)) == ["first"]


def test_a_target_no_unique_constraint_keeps_is_refused(way):
    message = Message(event_key="x", **columns())
    for target in (("to",), ("event_key", "to"), ()):
        with pytest.raises(ValueError, match="unique"):
            insert_unless_taken(message, conflict_fields=target)
    assert not Message.objects.exists()


def test_the_model_hears_of_a_row_written_as_from_save(way):
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.event_key, instance.pk, created))

    post_save.connect(receiver, sender=Message)
    try:
        message = Message(event_key="once", **columns())
        insert_unless_taken(message, conflict_fields=("event_key",))
        insert_unless_taken(Message(event_key="once", **columns()),
                            conflict_fields=("event_key",))
    finally:
        post_save.disconnect(receiver, sender=Message)
    assert heard == [("once", message.pk, True)]


def test_one_statement_where_the_database_returns_rows(way):
    with CaptureQueriesContext(connection) as captured:
        insert_unless_taken(Message(event_key="a", **columns()), conflict_fields=("event_key",))
        insert_unless_taken(Message(event_key="a", **columns()), conflict_fields=("event_key",))
    statements = [query["sql"] for query in captured.captured_queries]
    savepoints = [sql for sql in statements if "SAVEPOINT" in sql]
    if way == "insert-returning":
        assert len(statements) == 2 and not savepoints
        assert all('ON CONFLICT ("event_key") DO NOTHING RETURNING' in sql
                   for sql in statements)
    else:
        assert savepoints and not [sql for sql in statements if "ON CONFLICT" in sql]
