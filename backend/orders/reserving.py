"""A line's copy when an order is taken: a free copy of its title, the order's own branch first,
reserved for it (`services.order_create`)."""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Case, Subquery, Value, When

from backend.catalog import services as catalog_services
from backend.catalog.models import Item, ItemStatus, Title
from backend.core.exceptions import ConflictError
from backend.core.prepared import PreparedRead, PreparedWrite
from backend.orders.models import LineStatus, OrderLine

FreeCopies = dict[Any, list[tuple[int, int, str]]]


def free_copies(lines: list[dict[str, Any]]) -> FreeCopies:
    """The free copies of every title the lines ask for (by title, not by barcode), read
    once for the order: {title id: [(id, branch id, barcode)]}. A copy this order reserves
    is taken out, as a read after it would not find it free."""
    wanted = list(dict.fromkeys(
        data["title"].pk if isinstance(data["title"], Title) else data["title"]
        for data in lines
        if data.get("title") is not None and not (data.get("barcode") or "").strip()))
    free: FreeCopies = {title_id: [] for title_id in wanted}
    if wanted:
        for copy in _FREE_COPIES.rows(title_ids=wanted):
            free[copy["title_id"]].append((copy["id"], copy["branch_id"], copy["barcode"]))
    return free


# Read at every order taken: its SQL built once per connection for each number of titles up
# to prepared.MAX_LIST (core.prepared); more titles: the queryset as such.
_FREE_COPIES = PreparedRead(
    lambda title_ids: Item.objects.filter(title_id__in=title_ids, status=ItemStatus.AVAILABLE)
    .values("id", "title_id", "branch_id", "barcode"), "title_ids", lists=("title_ids",))


def update_returns_rows() -> bool:
    """Whether an UPDATE can return the rows it wrote: PostgreSQL, and SQLite from 3.35."""
    return connection.features.can_return_columns_from_insert


def _first_free_copy(title_id: int, branch_id: int):
    """The title's first free copy, the branch's own first, then the oldest: to reserve. The
    copy is locked as it is chosen (on PostgreSQL): one another order is reserving a moment
    before is waited for, and passed over once reserved, for the next free one."""
    first = (Item.objects.filter(title_id=title_id, status=ItemStatus.AVAILABLE)
             .order_by(Case(When(branch_id=branch_id, then=Value(0)), default=Value(1)), "pk")
             .select_for_update().values("pk")[:1])
    return Item.objects.filter(pk=Subquery(first), status=ItemStatus.AVAILABLE), {}


# A line's copy chosen and reserved in one statement where an UPDATE returns rows, its SQL
# built once per connection (core.prepared).
_RESERVE_FIRST_FREE = PreparedWrite(_first_free_copy, "title_id", "branch_id",
                                    values=("status",), returning=("id", "barcode"))


def reserve_any_copy(line: OrderLine, branch, free: FreeCopies | None = None) -> bool:
    """Reserve a free copy of the line's title, the order's own branch first (of `free`,
    when the order's free copies are read already). Where an UPDATE returns rows, the copy is
    chosen and reserved by one statement (none reserved: no copy is free); elsewhere the
    free copies are tried one by one, the next when another order has just taken one."""
    if free is None and update_returns_rows():
        taken = _RESERVE_FIRST_FREE.update({"status": ItemStatus.RESERVED},
                                           title_id=line.title_id, branch_id=branch.id)
        if not taken:
            return False
        ((item_id, barcode),) = taken
        # Its barcode is what the order's answer shows of it.
        line.item = Item(pk=item_id, barcode=barcode, status=ItemStatus.RESERVED)
        line.status = LineStatus.RESERVED
        return True
    candidates = free.get(line.title_id) if free is not None else None
    if candidates is None:
        candidates = list(Item.objects.filter(
            title_id=line.title_id, status=ItemStatus.AVAILABLE
        ).values_list("id", "branch_id", "barcode"))
    ordered = sorted(candidates, key=lambda c: (c[1] != branch.id, c[0]))
    for candidate in ordered:
        candidates.remove(candidate)  # tried once: this order's now, or someone else's
        item_id, _branch_id, barcode = candidate
        item = Item(pk=item_id, barcode=barcode)
        try:
            catalog_services.item_reserve(item=item)
        except ConflictError:
            continue  # taken by someone else a moment ago; try the next copy
        line.item = item  # its barcode is what the order's answer shows of it
        line.status = LineStatus.RESERVED
        return True
    return False
