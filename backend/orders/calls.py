"""The phone desk's call log: a call taken or made, and a call back of an inbox item."""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from backend.core.prepared import PreparedInsert
from backend.orders.models import CallLog, CallOutcome, Order
from backend.readers.models import Reader

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.notifications.models import InboxItem


def call_log(*, phone: str, outcome: str, operator: User | None = None,
             reader: Reader | None = None,
             order: Order | None = None, duration_seconds: int = 0, note: str = "",
             direction: str = CallLog.Direction.INCOMING,
             started_at: datetime.datetime | None = None) -> CallLog:
    call = call_log_checked(phone=phone, outcome=outcome, operator=operator, reader=reader,
                            order=order, duration_seconds=duration_seconds, note=note,
                            direction=direction, started_at=started_at)
    CALLS.create([call])
    return call


def call_log_checked(*, phone: str, outcome: str, operator: User | None = None,
                     reader: Reader | None = None,
                     order: Order | None = None, duration_seconds: int = 0, note: str = "",
                     direction: str = CallLog.Direction.INCOMING,
                     started_at: datetime.datetime | None = None) -> CallLog:
    """The call `call_log` writes, checked as it checks it, not yet written (for a caller
    that writes it with rows of its own: `CALLS`)."""
    call = CallLog(
        phone=phone, outcome=outcome, operator=operator, reader=reader, order=order,
        duration_seconds=duration_seconds, note=note, direction=direction,
        started_at=started_at or timezone.now(),
    )
    # The reader, operator and order given are rows just read or written: not looked up
    # again to check that they exist.
    given = {"reader": reader, "operator": operator, "order": order}
    call.full_clean(exclude=[name for name, row in given.items() if _saved(row)])
    return call


# Written with every order taken by phone: its INSERT built once per connection
# (core.prepared); no receiver listens for a call's save.
CALLS = PreparedInsert(CallLog)


def _saved(instance) -> bool:
    return instance is not None and instance.pk is not None and not instance._state.adding


@transaction.atomic
def inbox_item_call_back(*, item: InboxItem, outcome: str, note: str = "",
                         by: User | None = None) -> CallLog:
    """The operator called back the number of an inbox item: the call goes in the call log
    (outgoing, with the reader when the item names one) and the item is done, by them.
    Nobody answered: the call is logged and the item stays open for the next try."""
    from backend.notifications.services import inbox_item_done

    call = call_log(phone=item.phone or "-", outcome=outcome, operator=by, reader=item.reader,
                    order=item.order, note=note, direction=CallLog.Direction.OUTGOING)
    if outcome != CallOutcome.NO_ANSWER:
        inbox_item_done(item=item, by=by)
    return call
