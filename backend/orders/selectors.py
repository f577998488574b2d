"""Reads of orders: lists, pick lists, and what the phone desk shows on a call."""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from backend.core.prepared import PreparedRead
from backend.orders.models import (
    LIVE_LINE_STATUSES,
    OPEN_STATUSES,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from backend.readers.models import Reader

if TYPE_CHECKING:
    from backend.branches.models import Branch
    from backend.readers.models import FamilyCard


def order_queryset() -> QuerySet[Order]:
    related = ("reader", "family_card", "branch", "created_by")
    return Order.objects.select_related(*related).prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.select_related("title", "item", "reader").order_by(
                "position", "id"
            ),
        )
    )


def order_list(*, filters: dict | None = None) -> QuerySet[Order]:
    filters = filters or {}
    qs = order_queryset()
    for name in ("status", "branch", "reader", "channel", "family_card", "scheduled_date"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("open"):
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.get("date"):
        qs = qs.filter(Q(scheduled_date=filters["date"]) | Q(preferred_date=filters["date"]))
    return qs


def open_orders_for(*, reader: Reader | None = None,
                    family: FamilyCard | None = None) -> QuerySet[Order]:
    condition = Q()
    if reader is not None:
        condition |= Q(reader=reader)
    if family is not None:
        condition |= Q(family_card=family)
    return order_queryset().filter(condition, status__in=OPEN_STATUSES).order_by(
        "preferred_date", "id"
    )


def last_visits(*, reader: Reader | None = None, family: FamilyCard | None = None,
                limit: int = 10) -> QuerySet[Order]:
    """Visits made or tried: delivered, partly delivered, or failed at least once."""
    condition = Q()
    if reader is not None:
        condition |= Q(reader=reader)
    if family is not None:
        condition |= Q(family_card=family)
    visited = Q(status__in=[OrderStatus.DELIVERED, OrderStatus.PARTIALLY_DELIVERED]) | Q(
        failed_attempts__gt=0
    )
    return (
        Order.objects.filter(condition).filter(visited)
        .select_related("branch").order_by("-updated_at", "-id")[:limit]
    )


def pick_list(*, branch: Branch, date: datetime.date | None = None) -> QuerySet[OrderLine]:
    """Lines waiting for a copy in orders of this branch wanted by `date` (or undated)."""
    qs = OrderLine.objects.filter(
        status=LineStatus.WAITING,
        order__branch=branch,
        order__status__in=[OrderStatus.NEW, OrderStatus.PICKING, OrderStatus.READY],
    ).select_related("order", "order__branch", "reader", "reader__family_card", "title")
    if date is not None:
        qs = qs.filter(Q(order__preferred_date__lte=date) | Q(order__preferred_date__isnull=True))
    return qs.order_by("order__preferred_date", "order_id", "position", "id")


# Orders still being picked: new ones and those the librarian has started on.
TO_PICK = (OrderStatus.NEW, OrderStatus.PICKING)


def picking_orders(*, branch: Branch, date: datetime.date) -> QuerySet[Order]:
    """Orders of the branch to pick for `date`: wanted by then (or undated), oldest date
    first, with their lines, each line's title, copy and reader read in the same queries."""
    return (
        Order.objects.filter(branch=branch, status__in=TO_PICK)
        .filter(Q(preferred_date__lte=date) | Q(preferred_date__isnull=True))
        .select_related("reader", "branch")
        .prefetch_related(Prefetch(
            "lines", queryset=OrderLine.objects.select_related("title", "item", "reader")
            .order_by("position", "id")))
        .order_by("preferred_date", "id")
    )


# Taking an order: what the reader has promised and on loan ------------------------------


def _count(queryset) -> Coalesce:
    """The number of rows of `queryset`, as a subquery (0 when none)."""
    return Coalesce(Subquery(queryset.order_by().annotate(one=Value(1)).values("one")
                             .annotate(n=Count("pk")).values("n")), 0)


def _household_count(family) -> CombinedExpression:
    """The active loans of family card `family`'s household (`active_loans(family=...)`),
    counted as two reads an index answers: the loans on the card, and the members' own loans
    not on it. The one OR across the loan and its reader would read every active loan."""
    from backend.circulation.models import Loan, LoanStatus

    active = Loan.objects.filter(status=LoanStatus.ACTIVE)
    return (_count(active.filter(family_card_id=family))
            + _count(active.filter(reader__family_card_id=family)
                     .exclude(family_card_id=family)))


# Lines promised to a reader: in an open order, not yet lent.
_PROMISING = [OrderStatus.NEW, OrderStatus.PICKING, OrderStatus.READY, OrderStatus.SCHEDULED,
              OrderStatus.OUT_FOR_DELIVERY, OrderStatus.FAILED]


def _promised(reader_id) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(reader_id=reader_id, status__in=LIVE_LINE_STATUSES,
                                    order__status__in=_PROMISING)


def _pending_and_held_read(reader_id: int, family_id: int | None = None):
    from backend.circulation.selectors import active_loans

    counts = {"pending": _count(_promised(reader_id)),
              "held": _count(active_loans(reader=reader_id))}
    if family_id is not None:  # the household's loans, for the family card's limit
        counts["household"] = _household_count(family_id)
    return Reader.objects.filter(pk=reader_id).order_by().annotate(**counts).values(*counts)


# Read at every order taken: its SQL (two counting subqueries, three on an open family card)
# built once (core.prepared).
_PENDING_AND_HELD = PreparedRead(_pending_and_held_read, "reader_id")
_PENDING_HELD_AND_HOUSEHOLD = PreparedRead(_pending_and_held_read, "reader_id", "family_id")


def _ordering_reader_read(reader_id: int) -> QuerySet[Reader]:
    from backend.circulation.selectors import active_loans

    card, family = OuterRef("pk"), OuterRef("family_card_id")
    return (Reader.objects.select_related("branch", "family_card").filter(pk=reader_id)
            .order_by().annotate(order_pending=_count(_promised(card)),
                                 order_held=_count(active_loans(reader=card)),
                                 order_household=_household_count(family)))


# Read at every order the staff API takes: its SQL built once per connection (core.prepared).
_ORDERING_READER = PreparedRead(_ordering_reader_read, "reader_id")


def ordering_reader(reader_id: int) -> Reader | None:
    """The reader who orders, with their branch and family card, and what `loan_counts`
    counts (`order_pending`, `order_held`, and `order_household`, the loans of their family
    card's household, 0 without a card): one query, for `services.order_create`."""
    found = _ORDERING_READER.rows(reader_id=reader_id)
    return found[0] if found else None


def pending_and_held(reader: Reader) -> tuple[int, int]:
    """Items already promised to the reader in open orders but not yet lent, and the items
    they have on loan: both in one query."""
    pending, held, _household = loan_counts(reader, None)
    return pending, held


def loan_counts(reader: Reader, family: FamilyCard | None) -> tuple[int, int, int | None]:
    """`pending_and_held`, and with an open family card the household's items on loan (as
    `check_loan_limits` counts them), in the same query."""
    if family is None:
        rows = _PENDING_AND_HELD.rows(reader_id=reader.pk)
    else:
        rows = _PENDING_HELD_AND_HOUSEHOLD.rows(reader_id=reader.pk, family_id=family.pk)
    if not rows:
        raise Reader.DoesNotExist("Reader matching query does not exist.")
    return rows[0]["pending"], rows[0]["held"], rows[0].get("household")
