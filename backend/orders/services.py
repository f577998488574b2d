"""Orders: taken by the operator, picked by the librarian, delivered by a volunteer.

Every status change is one function here, atomic, with the order row locked. A change the
current status does not allow raises `order.invalid_transition` (409) and changes nothing.
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.db.models.signals import post_save
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.catalog import services as catalog_services
from backend.catalog.models import Item, ItemStatus, Title
from backend.circulation import services as circulation_services
from backend.circulation.models import ReturnChannel
from backend.core import atomic, dates
from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.models import prefetched_set
from backend.core.prepared import (
    PreparedInsert,
    PreparedSave,
    PreparedWrite,
    inserts_under,
)
from backend.orders import messages as order_messages
from backend.orders import reserving
from backend.orders.calls import CALLS, call_log_checked
from backend.orders.models import (
    LIVE_LINE_STATUSES,
    Channel,
    LineKind,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from backend.orders.selectors import loan_counts
from backend.readers.models import FamilyStatus, Reader, ReaderStatus

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.branches.models import Branch
    from backend.plans.models import StandingPlan

S = OrderStatus
TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.PICKING, S.READY, S.CANCELLED},
    S.PICKING: {S.READY, S.CANCELLED},
    S.READY: {S.PICKING, S.SCHEDULED, S.CANCELLED},
    S.SCHEDULED: {S.READY, S.OUT_FOR_DELIVERY, S.FAILED, S.CANCELLED},
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.PARTIALLY_DELIVERED, S.FAILED},
    S.FAILED: {S.READY, S.CANCELLED},
    S.DELIVERED: set(),
    S.PARTIALLY_DELIVERED: set(),
    S.CANCELLED: set(),
}


def _lock(order: Order) -> Order:
    return (Order.objects.select_for_update(of=("self",)).select_related("branch", "reader")
            .get(pk=order.pk))


def _move(order: Order, to: str, *, by=None, note: str = "",
          events: list[OrderEvent] | None = None) -> Order:
    """Check and record one transition of a locked order; its event is added to `events`
    when given, for the caller to write with others in one INSERT."""
    if to not in TRANSITIONS[order.status]:
        raise ConflictError(
            "order.invalid_transition",
            _("An order that is %(current)s cannot become %(target)s.")
            % {"current": OrderStatus(order.status).label, "target": OrderStatus(to).label},
            fields={"status": [order.status]},
        )
    event = OrderEvent(order=order, by=by, from_status=order.status, to_status=to,
                       note=note[:500])
    if events is None:
        event.save()
    else:
        events.append(event)
    order.status = to
    return order


# Taking an order --------------------------------------------------------------------------


def _line_from_input(order: Order, data: dict[str, Any], position: int,
                     free: reserving.FreeCopies | None = None) -> OrderLine:
    reader = data.get("reader") or order.reader
    line = OrderLine(order=order, reader=reader, position=position)
    barcode = (data.get("barcode") or "").strip()
    if barcode:
        item = Item.objects.filter(barcode=barcode).select_related("title").first()
        if item is None:
            raise ApplicationError(
                "item.not_found", _("No copy with barcode %(barcode)s.") % {"barcode": barcode},
                fields={f"lines[{position}].barcode": [_("Unknown barcode.")]},
            )
        line.kind = LineKind.TITLE
        line.title = item.title
        catalog_services.item_reserve(item=item)  # 409 item.not_available if taken
        for copies in (free or {}).values():
            copies[:] = [copy for copy in copies if copy[0] != item.pk]
        line.item = item
        line.status = LineStatus.RESERVED
        return line
    title = data.get("title")
    if title is not None:
        line.kind = LineKind.TITLE
        line.title = title if isinstance(title, Title) else Title.objects.get(pk=title)
        reserving.reserve_any_copy(line, order.branch, free)
        return line
    line.kind = LineKind.WISH
    line.wish_text = data.get("wish_text", "") or ""
    line.wish_format = data.get("wish_format", "") or ""
    line.wish_language = data.get("wish_language", "") or ""
    line.wish_subject = data.get("wish_subject", "") or ""
    return line


# The rows of an order taken, their INSERTs built once per connection (core.prepared); no
# receiver listens for these models' saves.
_ORDERS = PreparedInsert(Order)
_LINES = PreparedInsert(OrderLine)


@transaction.atomic
def order_create(
    *,
    reader: Reader,
    lines: Iterable[dict[str, Any]],
    channel: str = Channel.PHONE,
    preferred_date: datetime.date | None = None,
    window_start: datetime.time | None = None,
    window_end: datetime.time | None = None,
    note: str = "",
    by: User | None = None,
    standing_plan: StandingPlan | None = None,
    call: dict[str, Any] | None = None,
) -> Order:
    """Take an order. Exact titles reserve a free copy if there is one, otherwise wait;
    an exact copy (barcode) must be free (409 otherwise); wishes wait for the librarian.

    A family member's order is for the family card: one visit serves the household.
    """
    lines = list(lines)
    if not lines:
        raise ApplicationError("order.no_lines", _("An order needs at least one line."),
                               fields={"lines": [_("Add a title or a wish.")]})
    if not (Reader.branch.is_cached(reader) and Reader.family_card.is_cached(reader)):
        # The card with its branch and family card, unless the caller has just read it so
        # (the staff API's input does).
        reader = Reader.objects.select_related("branch", "family_card").get(pk=reader.pk)
    if reader.status != ReaderStatus.ACTIVE:
        raise ConflictError(
            "reader.not_active",
            _("%(name)s's card is %(status)s; orders are taken for active cards only.")
            % {"name": reader.full_name, "status": reader.get_status_display()},
            fields={"reader": [_("The card is not active.")]},
        )
    if window_start and window_end and window_start >= window_end:
        raise ApplicationError("order.bad_window", _("The window must end after it starts."),
                               fields={"window_end": [_("Must be later than the start.")]})
    if preferred_date and preferred_date < reader.branch.today():
        raise ApplicationError("order.date_in_past", _("The preferred date has passed."),
                               fields={"preferred_date": [_("Choose today or later.")]})
    dates.require(dates.PLAN_DAY, preferred_date, field="preferred_date")
    family = reader.family_card \
        if reader.family_card and reader.family_card.status == FamilyStatus.OPEN else None
    if hasattr(reader, "order_pending"):  # counted with the card (selectors.ordering_reader)
        pending, held = reader.order_pending, reader.order_held
        household = reader.order_household if family is not None else None
    else:
        pending, held, household = loan_counts(reader, family)
    circulation_services.check_loan_limits(reader=reader, adding=len(lines), pending=pending,
                                           held=held, household=household)
    # Written with its lines, event and call once their copies are reserved (below).
    order = Order(
        reader=reader, family_card=family, branch=reader.branch, channel=channel,
        preferred_date=preferred_date, window_start=window_start, window_end=window_end,
        note=note, created_by=by, standing_plan=standing_plan,
    )
    # The free copies read once for the order where a line's copy cannot be chosen and
    # reserved by one statement (reserving.reserve_any_copy).
    free = None if reserving.update_returns_rows() else reserving.free_copies(lines)
    built = [_line_from_input(order, data, position, free)
             for position, data in enumerate(lines)]
    for line in built:
        if line.reader_id != reader.id and (family is None or line.reader.family_card_id
                                            != family.id):
            raise ApplicationError(
                "order.reader_not_in_family",
                _("A line can be for the reader or a member of their family card only."),
                fields={"lines": [_("Reader %(id)s is not in this household.")
                                  % {"id": line.reader_id}]},
            )
    event = OrderEvent(order=order, by=by, from_status="", to_status=order.status,
                       note=Channel(channel).label)
    logged = call_log_checked(**call, reader=reader, order=order, operator=by) if call else None
    # The order, its lines, event and call in one statement where the database can.
    inserts_under(_ORDERS, order, (_LINES, built), (_EVENTS, [event]),
                  (CALLS, [logged] if call else []), link="order")
    # The lines as saved, for what reads them next (the message, the answer): not read back.
    prefetched_set(order, "lines", built)
    order_messages.on_order_confirmed(order)
    return order


# The librarian picks -------------------------------------------------------------------------


@transaction.atomic
def order_start_picking(*, order: Order, by: User | None = None) -> Order:
    order = _move(_lock(order), S.PICKING, by=by)
    order.save(update_fields=["status", "updated_at"])
    return order


def _check_line_editable(line: OrderLine) -> Order:
    order = _lock(line.order)
    if order.status not in (S.NEW, S.PICKING, S.READY):
        raise ConflictError(
            "order.not_editable",
            _("Copies can be changed while an order is new, being picked or ready; "
              "this one is %(status)s.") % {"status": order.get_status_display()},
        )
    return order


@transaction.atomic
def line_assign(*, line: OrderLine, barcode: str, by: User | None = None,
                allow_reread: bool = False) -> OrderLine:
    """The librarian puts a copy on a line by its barcode. A title the household has had
    within the branch's window is refused unless `allow_reread`."""
    from backend.orders.suggestions import excluded_title_ids

    order = _check_line_editable(line)
    line = (OrderLine.objects.select_for_update(of=("self",)).select_related("reader")
            .get(pk=line.pk))
    if line.status != LineStatus.WAITING:
        raise ConflictError("line.not_waiting",
                            _("This line already has a copy or is closed."))
    item = Item.objects.select_related("title").filter(barcode=(barcode or "").strip()).first()
    if item is None:
        raise ApplicationError("item.not_found",
                               _("No copy with barcode %(barcode)s.") % {"barcode": barcode},
                               fields={"barcode": [_("Unknown barcode.")]})
    if line.kind == LineKind.TITLE and item.title_id != line.title_id:
        raise ApplicationError("line.wrong_title",
                               _("Copy %(barcode)s is of another title.") % {"barcode": barcode},
                               fields={"barcode": [_("Another title.")]})
    if not allow_reread and item.title_id in excluded_title_ids(line.reader, order.branch):
        raise ConflictError(
            "line.recently_read",
            _("%(title)s was read in this household recently or is on the never-send list.")
            % {"title": item.title.title},
            fields={"barcode": [_("Recently read or never to send.")]},
        )
    catalog_services.item_reserve(item=item)
    line.item = item
    if line.kind == LineKind.WISH:
        line.title_id = item.title_id
    line.status = LineStatus.RESERVED
    line.save(update_fields=["item", "title", "status"])
    if order.status == S.NEW:
        _move(order, S.PICKING, by=by)
        order.save(update_fields=["status", "updated_at"])
    return line


def pick_scan(*, branch: Branch, date: datetime.date, barcode: str,
              by: User | None = None) -> OrderLine:
    """A copy read by the scanner at the pick list goes on the first line waiting for its
    title in the branch's orders for `date` (the oldest order first). Refused in words: an
    unknown barcode, a copy that is not free, no line waiting for that title."""
    from backend.orders.selectors import pick_list

    barcode = (barcode or "").strip()
    item = Item.objects.select_related("title").filter(barcode=barcode).first() \
        if barcode else None
    if item is None:
        raise ApplicationError("item.not_found",
                               _("No copy with barcode %(barcode)s.") % {"barcode": barcode},
                               fields={"barcode": [_("Unknown barcode.")]})
    if item.status != ItemStatus.AVAILABLE:
        raise ConflictError(
            "item.not_available",
            _("Copy %(barcode)s is not available: %(status)s.")
            % {"barcode": barcode, "status": item.get_status_display()},
            fields={"barcode": [_("Not on the shelf.")]},
        )
    lines = list(pick_list(branch=branch, date=date).filter(kind=LineKind.TITLE,
                                                            title_id=item.title_id))
    if not lines:
        raise ApplicationError(
            "line.none_waiting",
            _("No line waits for %(title)s in this day's orders.") % {"title": item.title.title},
            fields={"barcode": [_("Nothing to put this copy on.")]},
        )
    refused: ApplicationError | None = None
    for line in lines:
        try:
            return line_assign(line=line, barcode=barcode, by=by)
        except ConflictError as error:
            if error.code != "line.recently_read":
                raise
            refused = error  # this household has read it; the next order may take it
    raise refused


@transaction.atomic
def line_unassign(*, line: OrderLine, by: User | None = None) -> OrderLine:
    order = _check_line_editable(line)
    line = OrderLine.objects.select_for_update(of=("self",)).select_related("item").get(pk=line.pk)
    if line.status != LineStatus.RESERVED:
        raise ConflictError("line.not_reserved", _("This line has no copy to take off."))
    catalog_services.item_release(item=line.item)
    line.item = None
    if line.kind == LineKind.WISH:
        line.title = None
    line.status = LineStatus.WAITING
    line.save(update_fields=["item", "title", "status"])
    if order.status == S.READY:
        _move(order, S.PICKING, by=by, note=_("A copy was taken off a line."))
        order.save(update_fields=["status", "updated_at"])
    return line


def _line_event(order: Order, by: User | None, note: str) -> OrderEvent:
    """A change of one line, in the order's history (its status stays)."""
    return OrderEvent.objects.create(order=order, by=by, from_status=order.status,
                                     to_status=order.status, note=note[:500])


def _line_label(line: OrderLine) -> str:
    return line.title.title if line.title_id else line.wish_text


@transaction.atomic
def line_cancel(*, line: OrderLine, by: User | None = None,
                tell_reader: bool = False) -> OrderLine:
    """Close a live line (its copy goes back to the shelf). With `tell_reader` the reader
    gets a message that this title will not come, and the order's history says so."""
    order = _check_line_editable(line)
    line = (OrderLine.objects.select_for_update(of=("self",)).select_related("item", "title")
            .get(pk=line.pk))
    if line.status not in LIVE_LINE_STATUSES:
        raise ConflictError("line.closed", _("This line is already closed."))
    if line.status == LineStatus.RESERVED:
        catalog_services.item_release(item=line.item)
    line.status = LineStatus.CANCELLED
    line.save(update_fields=["status"])
    with translation.override("ru"):
        note = (_("Line cancelled, the reader is told: %(title)s") if tell_reader
                else _("Line cancelled: %(title)s")) % {"title": _line_label(line)}
    _line_event(order, by, note)
    if tell_reader:
        line.order = order
        order_messages.on_line_cancelled(line)
    return line


@transaction.atomic
def line_substitute(*, line: OrderLine, title: Title, by: User | None = None,
                    allow_reread: bool = False) -> OrderLine:
    """A waiting line asks for another title instead (the one ordered has no copy to send,
    or a wish is settled on a title). Refused, like `line_assign`, for a title the
    household read recently or will not have, unless `allow_reread`. The change is written
    in the order's history."""
    from backend.orders.suggestions import excluded_title_ids

    order = _check_line_editable(line)
    line = (OrderLine.objects.select_for_update(of=("self",)).select_related("reader", "title")
            .get(pk=line.pk))
    if line.status != LineStatus.WAITING:
        raise ConflictError("line.not_waiting",
                            _("This line already has a copy or is closed."))
    if line.title_id == title.pk:
        raise ApplicationError("line.same_title",
                               _("The line already asks for this title."),
                               fields={"title": [_("Choose another title.")]})
    if not allow_reread and title.pk in excluded_title_ids(line.reader, order.branch):
        raise ConflictError(
            "line.recently_read",
            _("%(title)s was read in this household recently or is on the never-send list.")
            % {"title": title.title},
            fields={"title": [_("Recently read or never to send.")]},
        )
    before = _line_label(line)
    line.kind = LineKind.TITLE
    line.title = title
    line.full_clean()
    line.save(update_fields=["kind", "title"])
    with translation.override("ru"):
        note = _("Title substituted: %(old)s → %(new)s") % {"old": before, "new": title.title}
    _line_event(order, by, note)
    return line


@transaction.atomic
def order_mark_ready(*, order: Order, by: User | None = None) -> Order:
    """Every live line has a copy: the order can go out."""
    order = _lock(order)
    lines = list(order.lines.filter(status__in=LIVE_LINE_STATUSES))
    waiting = [line for line in lines if line.status == LineStatus.WAITING]
    if order.status in (S.NEW, S.PICKING) and (waiting or not lines):
        raise ConflictError(
            "order.lines_waiting",
            ngettext("%(n)s line still waits for a copy.", "%(n)s lines still wait for a copy.",
                     len(waiting)) % {"n": len(waiting)}
            if waiting else _("The order has no line with a copy."),
            fields={"lines": [line.id for line in waiting]},
        )
    order = _move(order, S.READY, by=by)
    order.save(update_fields=["status", "updated_at"])
    return order


# Planning and delivery -----------------------------------------------------------------------


@transaction.atomic
def order_schedule(*, order: Order, date: datetime.date, by: User | None = None) -> Order:
    order = _move(_lock(order), S.SCHEDULED, by=by, note=date.isoformat())
    order.scheduled_date = date
    order.save(update_fields=["status", "scheduled_date", "updated_at"])
    order_messages.on_order_scheduled(order)
    return order


@transaction.atomic
def order_unschedule(*, order: Order, by: User | None = None, note: str = "") -> Order:
    order = _move(_lock(order), S.READY, by=by, note=note)
    order.scheduled_date = None
    order.save(update_fields=["status", "scheduled_date", "updated_at"])
    order_messages.on_order_unscheduled(order)
    return order


# The writes of a visit (dispatch, delivery, failed visit), their SQL built once per connection
# (backend.core.prepared).
_ORDER_MOVED = PreparedSave(Order, "status", "updated_at")
_EVENTS = PreparedInsert(OrderEvent)
_ORDER_FAILED = PreparedSave(Order, "status", "fail_reason", "fail_note", "failed_attempts",
                             "scheduled_date", "updated_at")


def _lines_delivered(order_id: int, line_ids: list[int], handed_ids: list[int]):
    """A delivery's lines (and the order's waiting ones): those handed over delivered, the
    others not."""
    return (OrderLine.objects.filter(order=order_id)
            .filter(Q(pk__in=line_ids) | Q(status=LineStatus.WAITING)),
            {"status": Case(When(pk__in=handed_ids, then=Value(LineStatus.DELIVERED)),
                            default=Value(LineStatus.NOT_DELIVERED))})


_LINES_DELIVERED = PreparedWrite(_lines_delivered, "order_id", "line_ids", "handed_ids",
                                 lists=("line_ids", "handed_ids"))


@atomic.service
def order_dispatch(*, order: Order, by: User | None = None) -> Order:
    order = _move(_lock(order), S.OUT_FOR_DELIVERY, by=by)
    _ORDER_MOVED.save(order)
    return order


@atomic.service
def orders_dispatch(*, orders: Iterable[Order], by: User | None = None) -> list[Order]:
    """`order_dispatch` of several orders, in their order: read again under their locks in one
    statement, their events in one INSERT, their status in one UPDATE. Refused as
    order_dispatch refuses the first that cannot go out."""
    wanted = [order.pk for order in orders]
    if not wanted:
        return []
    found = Order.objects.select_for_update(of=("self",)).in_bulk(wanted)
    moved, events = [], []
    for pk in dict.fromkeys(wanted):
        moved.append(_move(found[pk], S.OUT_FOR_DELIVERY, by=by, events=events))
    _EVENTS.create(events)
    now = timezone.now()
    Order.objects.filter(pk__in=[order.pk for order in moved]).update(
        status=S.OUT_FOR_DELIVERY, updated_at=now)
    for order in moved:
        order.updated_at = now
    return moved


@atomic.service
def order_deliver(
    *, order: Order, delivered: Iterable[str], collected: Iterable[str] = (),
        by: User | None = None, locked: bool = False, lines: list[OrderLine] | None = None,
) -> dict[str, Any]:
    """Record a delivery at the door: loans start for the copies handed over, copies taken
    back are returned. Lines whose copy was not handed over are closed and their copies go
    back to the shelf. Answers what happened to each barcode.

    `locked`: the caller locked `order` in this transaction (select_for_update) and read it
    under the lock, so it is not read again (routing.services.stop_complete); `lines`: its
    reserved lines, read by the caller as here (locked, with copy and reader's branch, and
    `copy_on_loan`).
    """
    order = order if locked else _lock(order)
    delivered = [b.strip() for b in delivered if b and b.strip()]
    collected = [b.strip() for b in collected if b and b.strip()]
    events: list[OrderEvent] = []  # written in one INSERT once the delivery is checked
    if order.status == S.SCHEDULED:
        _move(order, S.OUT_FOR_DELIVERY, by=by, events=events)
    # The reader's branch sets each loan's due date: read with the lines, not once a copy.
    if lines is None:
        lines = list(order.lines.select_for_update(of=("self",))
                     .select_related("item", "reader__branch").filter(status=LineStatus.RESERVED)
                     .annotate(copy_on_loan=circulation_services.on_loan()))
    by_barcode = {line.item.barcode: line for line in lines}
    unknown = [b for b in delivered if b not in by_barcode]
    if unknown:
        raise ApplicationError(
            "order.unknown_barcode",
            _("Copy %(barcode)s is not part of this order.") % {"barcode": unknown[0]},
            fields={"delivered": unknown},
        )
    if not delivered:
        raise ApplicationError(
            "order.nothing_delivered",
            _("Nothing was handed over: record a failed visit instead."),
            fields={"delivered": [_("List the barcodes handed over.")]},
        )
    target = S.DELIVERED if len(set(delivered)) == len(lines) else S.PARTIALLY_DELIVERED
    _move(order, target, by=by, events=events)
    _EVENTS.create(events)
    # Loans for the copies handed over, the others back to the shelf; the lines' statuses
    # (and the waiting lines') in one UPDATE, each line's save() announced as it was when
    # each line was saved (routing drops the doors that show the order).
    handed = [line for line in lines if line.item.barcode in delivered]
    kept = [line for line in lines if line.item.barcode not in delivered]
    loans = circulation_services.loans_issue_for_lines(
        lines=handed, by=by, family_card=order.family_card,
        lent={line.item_id for line in handed if line.copy_on_loan})
    catalog_services.items_release(items=[line.item for line in kept])
    handed_ids = {line.pk for line in handed}
    _LINES_DELIVERED.update({}, order_id=order.pk, line_ids=[line.pk for line in lines],
                            handed_ids=[line.pk for line in handed])
    for line in lines:
        line.status = (LineStatus.DELIVERED if line.pk in handed_ids
                       else LineStatus.NOT_DELIVERED)
        post_save.send(sender=OrderLine, instance=line, created=False,
                       update_fields=frozenset({"status"}), raw=False, using=order._state.db)
    returns = circulation_services.loans_return(barcodes=collected, by=by,
                                                channel=ReturnChannel.VISIT)
    _ORDER_MOVED.save(order)
    return {"order": order, "loans": loans, "returns": returns}


@atomic.service
def order_fail(*, order: Order, reason: str, note: str = "", by: User | None = None,
               requeue: bool = True, locked: bool = False) -> Order:
    """The visit did not happen. The order goes back to be planned again (ready, copies
    kept) unless `requeue` is False; the reason stays on the order for the coordinator.
    `locked`: the caller read `order` under its lock in this transaction (as order_deliver's).
    Its events (failed, then ready) are written in one INSERT."""
    order = order if locked else _lock(order)
    events: list[OrderEvent] = []
    _move(order, S.FAILED, by=by, note=f"{reason}: {note}" if note else reason, events=events)
    order.fail_reason = reason
    order.fail_note = note
    order.failed_attempts += 1
    if requeue:
        _move(order, S.READY, by=by, note=_("Back to planning after a failed visit."),
              events=events)
        order.scheduled_date = None
    _EVENTS.create(events)
    # What a failed visit changes; the rest of the row is as read under its lock.
    _ORDER_FAILED.save(order)
    return order


@transaction.atomic
def order_requeue(*, order: Order, by: User | None = None) -> Order:
    order = _move(_lock(order), S.READY, by=by)
    order.scheduled_date = None
    order.save(update_fields=["status", "scheduled_date", "updated_at"])
    return order


@transaction.atomic
def order_cancel(*, order: Order, by: User | None = None, note: str = "") -> Order:
    order = _move(_lock(order), S.CANCELLED, by=by, note=note)
    for line in order.lines.select_for_update(of=("self",)).select_related("item").filter(
        status__in=LIVE_LINE_STATUSES
    ):
        if line.status == LineStatus.RESERVED:
            catalog_services.item_release(item=line.item)
        line.status = LineStatus.CANCELLED
        line.save(update_fields=["status"])
    order.save(update_fields=["status", "updated_at"])
    order_messages.on_order_cancelled(order)
    return order


@transaction.atomic
def order_update(*, order: Order, data: dict[str, Any], by: User | None = None) -> Order:
    """Change the date, window or note while the order is not yet scheduled."""
    order = _lock(order)
    if order.status not in (S.NEW, S.PICKING, S.READY, S.FAILED):
        raise ConflictError("order.not_editable",
                            _("A scheduled or closed order cannot be changed here."))
    dates.require(dates.PLAN_DAY, data.get("preferred_date"), field="preferred_date")
    for name in ("preferred_date", "window_start", "window_end", "note"):
        if name in data:
            setattr(order, name, data[name] if data[name] is not None or name != "note" else "")
    if order.window_start and order.window_end and order.window_start >= order.window_end:
        raise ApplicationError("order.bad_window", _("The window must end after it starts."),
                               fields={"window_end": [_("Must be later than the start.")]})
    order.save()
    return order


# Replies to messages -----------------------------------------------------------------------------


@transaction.atomic
def order_visit_confirm(*, order: Order, phone: str) -> OrderEvent:
    """The reader confirmed the visit (an SMS reply from `phone`): the order's history
    says so; its status does not change."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    with translation.override("ru"):
        note = _("Visit confirmed by the reader by SMS (%(phone)s).") % {"phone": phone}
    return OrderEvent.objects.create(order=order, from_status=order.status,
                                     to_status=order.status, note=note[:500])
