"""The pick list as the librarian works through it (/picking/ and its printed copy).

The waiting lines of a branch's orders for a day, grouped by the shelf of the copy to take:
for an exact title, the free copies of that title (the branch's own first); for a wish, the
copies `suggestions` proposes. A line with no copy to propose has no shelf; it is listed last,
to be given another title or cancelled.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backend.catalog.models import Item, ItemStatus
from backend.orders.models import LineKind, LineStatus, Order, OrderLine
from backend.orders.selectors import picking_orders
from backend.orders.suggestions import suggest_for_line

if TYPE_CHECKING:
    from backend.branches.models import Branch

COPIES_SHOWN = 3
_NUMBER = re.compile(r"(\d+)")


@dataclass
class PickLine:
    line: OrderLine
    order: Order
    copies: list[Item] = field(default_factory=list)

    @property
    def shelf_mark(self) -> str:
        return self.copies[0].shelf_mark.strip() if self.copies else ""


@dataclass
class Shelf:
    mark: str  # "" for the lines without a shelf mark
    lines: list[PickLine] = field(default_factory=list)


@dataclass
class PickingDay:
    branch: Branch
    date: datetime.date
    orders: list[Order]
    shelves: list[Shelf]

    @property
    def waiting(self) -> int:
        return sum(len(shelf.lines) for shelf in self.shelves)

    @property
    def waiting_orders(self) -> set[int]:
        """The orders with a line still waiting: not ready yet."""
        return {pick.order.pk for shelf in self.shelves for pick in shelf.lines}

    def readers(self) -> list[int]:
        """The reader cards the page names (by card number), for the access log."""
        return list(dict.fromkeys(line.reader_id for order in self.orders
                                  for line in order.lines.all()))


def shelf_key(mark: str) -> tuple:
    """Shelf marks in the order of the shelves: "84(5Каз) А-9" before "84(5Каз) А-12";
    lines without a mark last."""
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold())
                  for p in _NUMBER.split(mark) if p)
    return (not mark, parts)


def _title_copies(title_ids: set[int], branch: Branch) -> dict[int, list[Item]]:
    """Free copies of each title, the branch's own first, then by shelf and barcode."""
    copies: dict[int, list[Item]] = {}
    items = (Item.objects.filter(title_id__in=title_ids, status=ItemStatus.AVAILABLE)
             .select_related("branch"))
    for item in sorted(items, key=lambda i: (i.branch_id != branch.id, shelf_key(i.shelf_mark),
                                             i.barcode)):
        copies.setdefault(item.title_id, []).append(item)
    return copies


def picking_day(*, branch: Branch, date: datetime.date) -> PickingDay:
    orders = list(picking_orders(branch=branch, date=date))
    waiting = [(line, order) for order in orders for line in order.lines.all()
               if line.status == LineStatus.WAITING]
    by_title = _title_copies({line.title_id for line, _order in waiting
                              if line.kind == LineKind.TITLE}, branch)
    shelves: dict[str, Shelf] = {}
    for line, order in waiting:
        line.order = order  # suggestions read the order's branch
        if line.kind == LineKind.TITLE:
            copies = by_title.get(line.title_id, [])[:COPIES_SHOWN]
        else:
            copies = [s.item for s in suggest_for_line(line, limit=COPIES_SHOWN)]
        pick = PickLine(line=line, order=order, copies=copies)
        shelves.setdefault(pick.shelf_mark, Shelf(mark=pick.shelf_mark)).lines.append(pick)
    ordered = sorted(shelves.values(), key=lambda shelf: shelf_key(shelf.mark))
    return PickingDay(branch=branch, date=date, orders=orders, shelves=ordered)
