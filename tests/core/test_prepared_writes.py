"""Writes with their SQL built once (backend.core.prepared): the same rows as the ORM's own
UPDATE, save(update_fields=...) and bulk_create, the values adapted as the ORM adapts them
(aware date-times, days, JSON, booleans, foreign keys, NULL), the same counts of rows."""
import contextlib
import datetime
import uuid
import zoneinfo

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connection, connections
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.catalog.models import Item
from backend.circulation.models import Loan
from backend.core.prepared import MAX_LIST, PreparedInsert, PreparedSave, PreparedWrite
from backend.notifications.models import Message
from backend.orders.models import Order, OrderEvent
from tests.factories import ItemFactory, LoanFactory, UserFactory

pytestmark = pytest.mark.django_db

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


def message(**columns) -> Message:
    return Message.objects.create(event_key=uuid.uuid4().hex, template="order_confirmed",
                                  to="+77011112233", text="Сәлем", not_before=timezone.now(),
                                  **columns)


def stored(model, pk, leave_out=("id",)) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    return {name: value for name, value in row.items() if name not in leave_out}


def to_message(message_id):
    return Message.objects.filter(pk=message_id), {"attempts": F("attempts") + 1}


MESSAGE_VALUES = ("context", "via_caregiver", "fate_unknown", "sent_at", "status", "user")


def test_an_update_writes_the_rows_the_orm_writes():
    write = PreparedWrite(to_message, "message_id", values=MESSAGE_VALUES)
    user = UserFactory()
    mine, orms = message(), message()
    moment = datetime.datetime(2026, 12, 7, 23, 30, 15, 123456, tzinfo=ALMATY)  # day before in UTC
    for values in (
        {"context": {"имя": "Айгүл", "n": [1, 2.5, None], "ok": True}, "via_caregiver": True,
         "fate_unknown": False, "sent_at": moment, "status": "sent", "user": user},
        {"context": {}, "via_caregiver": False, "fate_unknown": True, "sent_at": None,
         "status": "failed", "user": None},
        {"context": ["a", "b"], "via_caregiver": True, "fate_unknown": True,
         "sent_at": timezone.now(), "status": "queued", "user": user.pk},
    ):
        assert write.update(values, message_id=mine.pk) == 1
        assert Message.objects.filter(pk=orms.pk).update(attempts=F("attempts") + 1,
                                                         **values) == 1
        leave_out = ("id", "event_key", "created_at", "updated_at", "not_before")
        assert stored(Message, mine.pk, leave_out) == stored(Message, orms.pk, leave_out)
        assert stored(Message, mine.pk)["context"] == values["context"]
    assert stored(Message, mine.pk)["attempts"] == 3
    assert write.update(dict.fromkeys(MESSAGE_VALUES, False) | {"context": {}, "status": "x",
                                                                 "sent_at": None,
                                                                 "user": None},
                        message_id=orms.pk + 1000) == 0  # no such row: nothing written


def test_days_lists_of_ids_and_the_counts_of_rows():
    write = PreparedWrite(lambda loan_ids: (Loan.objects.filter(pk__in=loan_ids), {}),
                          "loan_ids", lists=("loan_ids",),
                          values=("due_date", "returned_at", "returned_by", "renewals"))
    loans = [LoanFactory() for _ in range(4)]
    user = UserFactory()
    values = {"due_date": datetime.date(2027, 1, 31), "renewals": 2, "returned_by": user,
              "returned_at": datetime.datetime(2026, 12, 31, 23, 59, tzinfo=ALMATY)}
    assert write.update(values, loan_ids=[loans[0].pk, loans[0].pk, loans[1].pk]) == 2
    assert Loan.objects.filter(pk=loans[2].pk).update(**values) == 1
    for loan in loans[:2]:
        assert (stored(Loan, loan.pk, ("id", "item_id", "title_id", "reader_id", "branch_id",
                                       "issued_at"))
                == stored(Loan, loans[2].pk, ("id", "item_id", "title_id", "reader_id",
                                              "branch_id", "issued_at")))
    assert stored(Loan, loans[3].pk)["renewals"] == 0  # not asked for: untouched
    # None of the ids, an empty list (no statement at all), more than are built for.
    assert write.update(values, loan_ids=[loans[3].pk + 1000]) == 0
    with CaptureQueriesContext(connection) as queries:
        assert write.update(values, loan_ids=[]) == 0
    assert len(queries) == 0
    many = [LoanFactory().pk for _ in range(MAX_LIST + 2)]
    assert write.update({**values, "renewals": 5}, loan_ids=many) == len(many)
    assert set(Loan.objects.filter(pk__in=many).values_list("renewals", flat=True)) == {5}


def test_a_compare_and_set_counts_only_the_rows_that_moved():
    write = PreparedWrite(
        lambda item_ids: (Item.objects.filter(pk__in=item_ids, status__in=("reserved",)), {}),
        "item_ids", lists=("item_ids",), values=("status",))
    reserved = [ItemFactory(status="reserved") for _ in range(2)]
    lent = ItemFactory(status="on_loan")
    ids = [item.pk for item in reserved]
    assert write.update({"status": "on_loan"}, item_ids=[*ids, lent.pk]) == 2
    assert write.update({"status": "on_loan"}, item_ids=ids) == 0  # moved already
    assert set(Item.objects.filter(pk__in=[*ids, lent.pk]).values_list("status", flat=True)) \
        == {"on_loan"}


def test_rows_picked_by_a_pattern_are_the_rows_the_orm_picks():
    """A text put in a LIKE pattern (`likes=`) is escaped at each run as the ORM escapes
    it: `%`, `_` and a backslash match themselves, in the write as in the read."""
    write = PreparedWrite(
        lambda start: (Message.objects.filter(to__startswith=start), {}), "start",
        likes=("start",), values=("status",))
    numbers = ["+7701%5", "+7701_5", "+77015\\", "+7701999", "+7702000"]
    rows = {number: message() for number in numbers}
    for number, row in rows.items():
        Message.objects.filter(pk=row.pk).update(to=number)
    for start, status in (("+7701%", "a"), ("+7701_", "b"), ("+77015\\", "c"),
                          ("+7701", "d"), ("+770", "e"), ("+7709", "f")):
        picked = set(Message.objects.filter(to__startswith=start).values_list("pk", flat=True))
        assert write.update({"status": status}, start=start) == len(picked)
        assert set(Message.objects.filter(pk__in=[row.pk for row in rows.values()],
                                          status=status).values_list("pk", flat=True)) == picked
    assert len(write.local.built[1]) == 1


def test_the_statement_is_built_once_and_is_the_orms():
    write = PreparedWrite(to_message, "message_id", values=("status", "sent_at"))
    first, second = message(), message()
    sent = []
    for row in (first, second, first):
        values = {"status": "sent", "sent_at": timezone.now()}
        with CaptureQueriesContext(connection) as queries:
            write.update(values, message_id=row.pk)
        with CaptureQueriesContext(connection) as orms:
            Message.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, **values)
        assert queries[0]["sql"] == orms[0]["sql"]
        sent.append(queries[0]["sql"])
    assert len(write.local.built[1]) == 1


def test_what_it_cannot_take():
    with pytest.raises(FieldDoesNotExist, match="colour"):
        PreparedWrite(to_message, "message_id", values=("colour",)).update(
            {"colour": "red"}, message_id=1)
    write = PreparedWrite(to_message, "message_id", values=("status",))
    with pytest.raises(ValueError, match="sets status"):
        write.update({}, message_id=1)
    with pytest.raises(ValueError, match="sets status"):
        write.update({"status": "sent", "text": "?"}, message_id=1)
    with pytest.raises(ValueError, match="message_id"):
        PreparedWrite(lambda message_id: (Message.objects.filter(pk__gte=0), {}),
                      "message_id", values=("status",)).update({"status": "x"}, message_id=1)
    row = message()
    with pytest.raises(TypeError, match="model instance"):
        write.update({"status": UserFactory()}, message_id=row.pk)
    # An expression, or an id that is not one, is the ORM's to write, as it writes it.
    assert write.update({"status": Concat(Value("re"), F("status"))}, message_id=row.pk) == 1
    assert stored(Message, row.pk)["status"] == "requeued"
    assert write.update({"status": "sent"}, message_id=str(row.pk)) == 1
    assert stored(Message, row.pk)["attempts"] == 2
    with pytest.raises(ValueError, match="returning rows"):  # only what it was built for
        PreparedWrite(to_message, "message_id", values=("status",),
                      returning=("attempts",)).update({"status": "x"}, message_id="1")


@pytest.mark.skipif("not connection.features.can_return_columns_from_insert")
def test_rows_returned_as_the_orm_reads_them():
    write = PreparedWrite(to_message, "message_id", values=("sent_at",),
                          returning=("id", "attempts", "sent_at", "context", "via_caregiver",
                                     "not_before"))
    row = message(context={"a": [1]}, via_caregiver=True)
    moment = datetime.datetime(2026, 12, 7, 1, 2, 3, tzinfo=ALMATY)
    assert write.update({"sent_at": moment}, message_id=row.pk) == [
        Message.objects.values_list("id", "attempts", "sent_at", "context", "via_caregiver",
                                    "not_before").get(pk=row.pk)]
    assert write.update({"sent_at": None}, message_id=row.pk)[0][1:3] == (2, None)
    assert write.update({"sent_at": moment}, message_id=row.pk + 1000) == []


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_builds_it_again():
    write = PreparedWrite(to_message, "message_id", values=("status",))
    row = message()
    assert write.update({"status": "sent"}, message_id=row.pk) == 1
    first = write.local.built
    assert first[0] is connections["default"]
    old = connections["default"]
    new = connections.create_connection("default")
    connections["default"] = new
    try:
        assert write.update({"status": "failed"}, message_id=row.pk) == 1
        assert write.local.built[0] is new and write.local.built is not first
    finally:
        new.close()
        connections["default"] = old
    assert stored(Message, row.pk)["status"] == "failed"


# save(update_fields=...) ---------------------------------------------------------------------

def test_a_save_writes_what_save_writes_and_says_so():
    saving = PreparedSave(Message, "status", "sent_at", "updated_at", "context", "user")
    mine, orms = message(), message()
    heard = []

    def listen(signal):
        def receiver(sender, instance, **kwargs):
            heard.append((signal, instance.pk, kwargs["update_fields"], kwargs.get("created")))
        return receiver

    receivers = [listen("pre"), listen("post")]
    pre_save.connect(receivers[0], sender=Message, dispatch_uid="test-prepared-pre")
    post_save.connect(receivers[1], sender=Message, dispatch_uid="test-prepared-post")
    try:
        before = mine.updated_at
        for row in (mine, orms):
            row.status, row.sent_at, row.context = "sent", timezone.now(), {"ә": True}
            row.user = UserFactory()
            row.text = "not written"
        saving.save(mine)
        orms.save(update_fields=["status", "sent_at", "updated_at", "context", "user"])
    finally:
        pre_save.disconnect(dispatch_uid="test-prepared-pre", sender=Message)
        post_save.disconnect(dispatch_uid="test-prepared-post", sender=Message)
    assert mine.updated_at > before  # auto_now stamped on the object, as save() does
    leave_out = ("id", "event_key", "user_id", "updated_at", "sent_at", "created_at",
                 "not_before")
    assert stored(Message, mine.pk, leave_out) == stored(Message, orms.pk, leave_out)
    assert stored(Message, mine.pk)["text"] == "Сәлем"
    assert stored(Message, mine.pk)["updated_at"] == mine.updated_at
    assert stored(Message, mine.pk)["user_id"] == mine.user_id
    fields = frozenset({"status", "sent_at", "updated_at", "context", "user"})
    assert heard == [("pre", mine.pk, fields, None), ("post", mine.pk, fields, False),
                     ("pre", orms.pk, fields, None), ("post", orms.pk, fields, False)]


def test_a_save_of_a_row_that_is_gone_is_refused_as_save_refuses_it():
    saving = PreparedSave(Message, "status")
    row = message()
    Message.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        saving.save(row)
    with pytest.raises(ValueError, match="colour"):
        PreparedSave(Message, "colour")
    with pytest.raises(ValueError, match="saved"):
        saving.save(Message())


# bulk_create ---------------------------------------------------------------------------------

@contextlib.contextmanager
def statements():
    """The statements run and their parameters, as given to the database."""
    ran = []

    def wrapper(execute, sql, params, many, context):
        ran.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield ran


def loans_for(items, user):
    return [Loan(item=item, title_id=item.title_id, reader=loan.reader, branch=loan.branch,
                 issued_at=datetime.datetime(2026, 12, 7, 10, tzinfo=ALMATY),
                 due_date=datetime.date(2027, 1, 6), issued_by=user)
            for item, loan in zip(items, [LoanFactory() for _ in items])]


@pytest.mark.skipif("not connection.features.can_return_rows_from_bulk_insert")
@pytest.mark.parametrize("count", [1, 2, MAX_LIST])
def test_an_insert_writes_the_rows_bulk_create_writes(count):
    insert = PreparedInsert(Loan)
    user = UserFactory()
    mine = loans_for([ItemFactory() for _ in range(count)], user)
    orms = loans_for([ItemFactory() for _ in range(count)], user)
    for loan, twin in zip(orms, mine):
        loan.reader, loan.branch = twin.reader, twin.branch
    with statements() as queries:
        assert insert.create(mine) is mine
    with statements() as its_own:
        Loan.objects.bulk_create(orms)
    # The same statement (rows of values, or on PostgreSQL arrays of columns), as many values.
    assert [sql for sql, _ in queries] == [sql for sql, _ in its_own]
    assert [len(params) for _, params in queries] == [len(params) for _, params in its_own]
    assert [loan.pk for loan in mine] == sorted(loan.pk for loan in mine)
    for loan, twin in zip(mine, orms):
        assert loan._state.adding is False and loan._state.db == "default"
        leave_out = ("id", "item_id", "title_id")
        assert stored(Loan, loan.pk, leave_out) == stored(Loan, twin.pk, leave_out)
        assert stored(Loan, loan.pk)["item_id"] == loan.item_id
        assert stored(Loan, loan.pk)["title_id"] == loan.title_id


@pytest.mark.skipif("not connection.features.can_return_rows_from_bulk_insert")
def test_an_insert_stamps_each_row_and_leaves_the_rest_to_bulk_create():
    insert = PreparedInsert(OrderEvent)
    reader = LoanFactory().reader
    made = Order.objects.create(reader=reader, branch=reader.branch, status="ready")
    events = [OrderEvent(order=made, from_status="new", to_status="ready", note=str(n))
              for n in range(MAX_LIST + 1)]
    insert.create(events[:2])
    assert all(event.at is not None and event.pk for event in events[:2])
    assert OrderEvent.objects.filter(pk__in=[e.pk for e in events[:2]]).count() == 2
    insert.create(events[2:])  # more than built for: bulk_create's
    assert OrderEvent.objects.filter(order=made).count() == MAX_LIST + 1
    given = OrderEvent(pk=events[-1].pk + 100, order=made, to_status="ready")
    insert.create([given])  # an id given: bulk_create's
    assert OrderEvent.objects.filter(pk=given.pk).exists()
    assert insert.create([]) == []


@pytest.mark.skipif("not connection.features.can_return_rows_from_bulk_insert")
@pytest.mark.parametrize("count", [1, 3])
def test_inserts_together_write_the_rows_each_insert_writes(count):
    """Rows of two models in one statement on PostgreSQL (one INSERT each elsewhere): each
    object gets the id of its own row, the rows as bulk_create writes them."""
    from backend.core.prepared import inserts_together

    user = UserFactory()
    mine = loans_for([ItemFactory() for _ in range(count)], user)
    twins = loans_for([ItemFactory() for _ in range(count)], user)
    for loan, twin in zip(twins, mine):
        loan.reader, loan.branch = twin.reader, twin.branch
    order = Order.objects.create(reader=mine[0].reader, branch=mine[0].branch)
    events = [OrderEvent(order=order, to_status="new", note=f"note {n}") for n in range(2)]
    with statements() as queries:
        inserts_together((PreparedInsert(Loan), mine), (PreparedInsert(OrderEvent), events),
                         (PreparedInsert(Order), []))
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    Loan.objects.bulk_create(twins)
    for loan, twin in zip(mine, twins):
        assert loan._state.adding is False and loan._state.db == "default"
        leave_out = ("id", "item_id", "title_id")
        assert stored(Loan, loan.pk, leave_out) == stored(Loan, twin.pk, leave_out)
        assert stored(Loan, loan.pk)["item_id"] == loan.item_id
    assert [OrderEvent.objects.get(pk=event.pk).note for event in events] == ["note 0",
                                                                               "note 1"]
    assert all(event.at is not None and not event._state.adding for event in events)


@pytest.mark.skipif("not connection.features.can_return_rows_from_bulk_insert")
def test_a_row_and_the_rows_under_it_are_written_together():
    """An order and its events in one statement on PostgreSQL (one INSERT each elsewhere):
    the events name the order's new id, each object gets its own row's id."""
    from backend.core.prepared import inserts_under

    user = UserFactory()
    loan = LoanFactory()
    order = Order(reader=loan.reader, branch=loan.branch, note="домофон", created_by=user)
    events = [OrderEvent(order=order, to_status="new", note=f"note {n}") for n in range(3)]
    with statements() as queries:
        inserts_under(PreparedInsert(Order), order, (PreparedInsert(OrderEvent), events),
                      link="order")
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert order.pk is not None and order._state.adding is False
    twin = Order.objects.create(reader=loan.reader, branch=loan.branch, note="домофон",
                                created_by=user)
    leave_out = ("id", "created_at", "updated_at")
    assert stored(Order, order.pk, leave_out) == stored(Order, twin.pk, leave_out)
    assert list(OrderEvent.objects.filter(order=order).order_by("id")
                .values_list("id", "note")) == [(event.pk, event.note) for event in events]
    assert all(event.order_id == order.pk and not event._state.adding for event in events)
