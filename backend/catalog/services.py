"""Writes to the catalog, and every change of a copy's status."""
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.catalog.isbn import normalize_isbn
from backend.catalog.models import Item, ItemStatus, Title
from backend.catalog.selectors import subjects_key, title_search_fields
from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.prepared import PreparedWrite

TITLE_FIELDS = ("title", "authors", "language", "format", "subjects", "isbn", "year",
                "publisher", "age_rating", "annotation")
ITEM_FIELDS = ("title", "barcode", "branch", "shelf_mark", "note")


def _title_apply(title: Title, data: dict[str, Any]) -> None:
    for name in TITLE_FIELDS:
        if name in data:
            value = data[name]
            if value is None and name not in ("year",):
                value = [] if name in ("authors", "subjects") else ""
            setattr(title, name, value)
    title.isbn = normalize_isbn(title.isbn)
    title.authors = [a.strip() for a in title.authors or [] if a and a.strip()]
    title.subjects = [s.strip() for s in title.subjects or [] if s and s.strip()]
    title_search_fields(title)
    title.subjects_key = subjects_key(title.subjects)


@transaction.atomic
def title_create(*, data: dict[str, Any]) -> Title:
    title = Title()
    _title_apply(title, data)
    title.full_clean(exclude=["search_text", "search_key", "subjects_key"])
    title.save()
    return title


@transaction.atomic
def title_update(*, title: Title, data: dict[str, Any]) -> Title:
    title = Title.objects.select_for_update().get(pk=title.pk)
    _title_apply(title, data)
    title.full_clean(exclude=["search_text", "search_key", "subjects_key"])
    title.save()
    return title


@transaction.atomic
def item_create(*, data: dict[str, Any]) -> Item:
    item = Item(**{k: v for k, v in data.items() if k in ITEM_FIELDS})
    item.barcode = (item.barcode or "").strip()
    if Item.objects.filter(barcode=item.barcode).exists():
        raise ConflictError(
            "item.barcode_taken",
            _("A copy with barcode %(barcode)s already exists.") % {"barcode": item.barcode},
            fields={"barcode": [_("This barcode is already used.")]},
        )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def item_update(*, item: Item, data: dict[str, Any]) -> Item:
    item = Item.objects.select_for_update().get(pk=item.pk)
    for name in ("branch", "shelf_mark", "note"):
        if name in data:
            setattr(item, name, data[name] if data[name] is not None else "")
    item.full_clean()
    item.save()
    return item


# Status changes. Each is a compare-and-set in the database, so two people acting on one
# copy at once cannot both win, on PostgreSQL and SQLite alike.

def _cas(item: Item, expected: tuple[str, ...], new: str, code: str, message: str) -> Item:
    updated = Item.objects.filter(pk=item.pk, status__in=expected).update(status=new)
    if updated != 1:
        current = Item.objects.filter(pk=item.pk).values_list("status", flat=True).first()
        raise ConflictError(
            code, message,
            fields={"barcode": [_("The copy is %(status)s.")
                                % {"status": ItemStatus(current).label if current else "?"}]},
        )
    item.status = new
    return item


_CAS_WRITES: dict[tuple[str, ...], PreparedWrite] = {}


def _cas_write(expected: tuple[str, ...]) -> PreparedWrite:
    """The compare-and-set UPDATE of copies from `expected`, its SQL built once per
    connection (backend.core.prepared): a copy moves only from one of those statuses."""
    write = _CAS_WRITES.get(expected)
    if write is None:
        write = _CAS_WRITES[expected] = PreparedWrite(
            lambda item_ids: (Item.objects.filter(pk__in=item_ids, status__in=expected), {}),
            "item_ids", lists=("item_ids",), values=("status",))
    return write


def _cas_all(items: list[Item], expected: tuple[str, ...], new: str, code: str,
             message: Callable[[Item], str]) -> None:
    """`_cas` for several copies in one UPDATE; refused as `_cas` refuses the first copy that
    did not move (the rows that moved hold `new` now)."""
    keys = {item.pk for item in items}
    if not keys:
        return
    updated = _cas_write(expected).update({"status": new}, item_ids=list(keys))
    if updated != len(keys):
        current = dict(Item.objects.filter(pk__in=keys).values_list("pk", "status"))
        stuck = [item for item in items if current.get(item.pk) != new]
        # A copy that already held `new` did not move either: its status as read before.
        failed = (stuck or [item for item in items if item.status not in expected]
                  or items)[0]
        status = current.get(failed.pk)
        raise ConflictError(
            code, message(failed),
            fields={"barcode": [_("The copy is %(status)s.")
                                % {"status": ItemStatus(status).label if status else "?"}]},
        )
    for item in items:
        item.status = new


def item_reserve(*, item: Item) -> Item:
    return _cas(item, (ItemStatus.AVAILABLE,), ItemStatus.RESERVED, "item.not_available",
                _("Copy %(barcode)s is not available.") % {"barcode": item.barcode})


def item_release(*, item: Item) -> Item:
    """A reserved copy goes back to the shelf (order cancelled, line changed)."""
    return _cas(item, (ItemStatus.RESERVED,), ItemStatus.AVAILABLE, "item.not_reserved",
                _("Copy %(barcode)s is not reserved.") % {"barcode": item.barcode})


def item_lend(*, item: Item) -> Item:
    return _cas(item, (ItemStatus.RESERVED, ItemStatus.AVAILABLE), ItemStatus.ON_LOAN,
                "item.not_available",
                _("Copy %(barcode)s cannot be lent now.") % {"barcode": item.barcode})


def items_lend(*, items: list[Item]) -> None:
    """`item_lend` for several copies at once (a delivery handing over an order's copies)."""
    _cas_all(items, (ItemStatus.RESERVED, ItemStatus.AVAILABLE), ItemStatus.ON_LOAN,
             "item.not_available",
             lambda item: _("Copy %(barcode)s cannot be lent now.") % {"barcode": item.barcode})


def items_release(*, items: list[Item]) -> None:
    """`item_release` for several copies at once (the copies of a delivery not handed over)."""
    _cas_all(items, (ItemStatus.RESERVED,), ItemStatus.AVAILABLE, "item.not_reserved",
             lambda item: _("Copy %(barcode)s is not reserved.") % {"barcode": item.barcode})


def items_receive(*, items: list[Item]) -> None:
    """`item_receive` for several copies at once (returns of several barcodes)."""
    _cas_all(items, (ItemStatus.ON_LOAN, ItemStatus.LOST, ItemStatus.IN_TRANSIT),
             ItemStatus.AVAILABLE, "item.not_on_loan",
             lambda item: _("Copy %(barcode)s is not on loan.") % {"barcode": item.barcode})


def item_receive(*, item: Item) -> Item:
    return _cas(item, (ItemStatus.ON_LOAN, ItemStatus.LOST, ItemStatus.IN_TRANSIT),
                ItemStatus.AVAILABLE, "item.not_on_loan",
                _("Copy %(barcode)s is not on loan.") % {"barcode": item.barcode})


@transaction.atomic
def item_write_off(*, item: Item, status: str) -> Item:
    """Mark a copy lost or withdrawn. A copy on loan is marked lost through its loan."""
    if status not in (ItemStatus.LOST, ItemStatus.WITHDRAWN, ItemStatus.IN_TRANSIT,
                      ItemStatus.AVAILABLE):
        raise ApplicationError("item.invalid_status", _("This status is set by circulation."),
                               fields={"status": [_("Not allowed here.")]})
    allowed = {
        ItemStatus.LOST: (ItemStatus.AVAILABLE, ItemStatus.IN_TRANSIT),
        ItemStatus.WITHDRAWN: (ItemStatus.AVAILABLE, ItemStatus.LOST, ItemStatus.IN_TRANSIT),
        ItemStatus.IN_TRANSIT: (ItemStatus.AVAILABLE,),
        ItemStatus.AVAILABLE: (ItemStatus.IN_TRANSIT, ItemStatus.LOST),
    }[status]
    return _cas(item, allowed, status, "item.invalid_transition",
                _("Copy %(barcode)s cannot become %(status)s now.")
                % {"barcode": item.barcode, "status": ItemStatus(status).label})
