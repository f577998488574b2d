"""Loans: issue at the door, renew on the phone, return at the desk or on a visit."""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connections, router, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.catalog import services as catalog_services
from backend.catalog.models import Item, ItemStatus
from backend.circulation.models import Loan, LoanStatus, ReturnChannel
from backend.circulation.signals import loan_renewing
from backend.core import atomic
from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.prepared import PreparedInsert, PreparedRead, PreparedWrite
from backend.readers.models import FamilyCard, FamilyStatus, Reader

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.orders.models import OrderLine


def check_loan_limits(*, reader: Reader, adding: int, pending: int = 0,
                      held: int | None = None, household: int | None = None) -> None:
    """Items on loan per reader (branch policy) and per family card (shared limit).

    `pending` counts items already promised (reserved in open orders) but not yet lent;
    `held`, the reader's items on loan, and `household`, the open family card's (its own
    and its members'), when the caller has counted them already.
    """
    from backend.circulation.selectors import active_loans

    branch = reader.branch
    mine = held if held is not None else active_loans(reader=reader).count()
    if mine + pending + adding > branch.reader_loan_limit:
        raise ApplicationError(
            "loan.reader_limit",
            ngettext(
                "%(name)s may have at most %(limit)s item on loan (has %(has)s, adding %(add)s).",
                "%(name)s may have at most %(limit)s items on loan (has %(has)s, adding %(add)s).",
                branch.reader_loan_limit)
            % {"name": reader.full_name, "limit": branch.reader_loan_limit,
               "has": mine + pending, "add": adding},
            fields={"lines": [ngettext("Over the reader's limit of %(limit)s item.",
                                       "Over the reader's limit of %(limit)s items.",
                                       branch.reader_loan_limit)
                              % {"limit": branch.reader_loan_limit}]},
            status_code=409,
        )
    family = reader.family_card
    if family is not None and family.status == FamilyStatus.OPEN:
        if household is None:
            household = active_loans(family=family).count()
        if household + pending + adding > family.loan_limit:
            raise ApplicationError(
                "loan.family_limit",
                ngettext("Family card %(number)s may have at most %(limit)s item on loan "
                         "(has %(has)s, adding %(add)s).",
                         "Family card %(number)s may have at most %(limit)s items on loan "
                         "(has %(has)s, adding %(add)s).", family.loan_limit)
                % {"number": family.number, "limit": family.loan_limit,
                   "has": household + pending, "add": adding},
                fields={"lines": [ngettext("Over the family card's limit of %(limit)s item.",
                                           "Over the family card's limit of %(limit)s items.",
                                           family.loan_limit)
                                  % {"limit": family.loan_limit}]},
                status_code=409,
            )


def on_loan(item_field: str = "item") -> Exists:
    """Whether the copy in `item_field` of a row is on an active loan: an annotation, so a
    caller reading the copies' rows anyway learns it in the same read."""
    return Exists(Loan.objects.filter(item=OuterRef(item_field), status=LoanStatus.ACTIVE))


def _on_loan(item: Item) -> ConflictError:
    return ConflictError("item.on_loan",
                         _("Copy %(barcode)s is already on loan.") % {"barcode": item.barcode},
                         fields={"barcode": [_("Already on loan.")]})


def _new_loan(*, item: Item, reader: Reader, by: User | None, order_line: OrderLine | None,
              family_card: FamilyCard | None) -> Loan:
    """The loan an issue writes, not saved yet: the reader's branch sets its due date, and
    the reader's open family card shares it unless another card is given."""
    branch = reader.branch
    if (family_card is None and reader.family_card_id
            and reader.family_card.status == FamilyStatus.OPEN):
        family_card = reader.family_card
    return Loan(
        item=item, title_id=item.title_id, reader=reader, family_card=family_card,
        branch=branch, order_line=order_line, issued_at=timezone.now(),
        due_date=branch.today() + datetime.timedelta(days=branch.loan_days),
        issued_by=by,
    )


@atomic.service
def loan_issue(*, item: Item, reader: Reader, by: User | None = None,
               order_line: OrderLine | None = None,
               family_card: FamilyCard | None = None, check_limits: bool = True) -> Loan:
    """Lend a copy to a reader (and their family card). The copy must be free or reserved."""
    if Loan.objects.filter(item=item, status=LoanStatus.ACTIVE).exists():
        raise _on_loan(item)
    if check_limits:
        check_loan_limits(reader=reader, adding=1)
    catalog_services.item_lend(item=item)
    loan = _new_loan(item=item, reader=reader, by=by, order_line=order_line,
                     family_card=family_card)
    loan.save()
    return loan


@atomic.service
def loans_issue_for_lines(*, lines: list[OrderLine], by: User | None = None,
                          family_card: FamilyCard | None = None,
                          lent: set[int] | None = None) -> list[Loan]:
    """`loan_issue` of each line's copy to the line's reader, limits not checked (a delivery:
    they were when the order was taken), in one statement a step whatever the number of
    copies: one read of the copies already on loan, one compare-and-set of the copies
    (catalog.services.items_lend), one INSERT of the loans. Each loan is announced as its
    save() would announce it (post_save: routing drops the doors that show the reader).
    `lent`: the lines' copies already on loan, when the caller read them with the lines
    (`on_loan()`), so they are not read again."""
    if not lines:
        return []
    items = [line.item for line in lines]
    if lent is None:
        lent = set(Loan.objects.filter(item__in=items, status=LoanStatus.ACTIVE).order_by()
                   .values_list("item_id", flat=True))
    for item in items:
        if item.pk in lent:
            raise _on_loan(item)
    catalog_services.items_lend(items=items)
    loans = [_new_loan(item=line.item, reader=line.reader, by=by, order_line=line,
                       family_card=family_card) for line in lines]
    using = router.db_for_write(Loan)
    if not connections[using].features.can_return_rows_from_bulk_insert:
        for loan in loans:  # no ids back from one INSERT (SQLite before 3.35): one at a time
            loan.save(using=using)
        return loans
    _LOANS.create(loans)
    for loan in loans:
        post_save.send(sender=Loan, instance=loan, created=True, update_fields=None,
                       raw=False, using=using)
    return loans


# The loans of a delivery, written in one INSERT built once per connection and number of
# copies (backend.core.prepared).
_LOANS = PreparedInsert(Loan)


def _not_on_loan(barcode: str) -> ConflictError:
    return ConflictError(
        "loan.not_on_loan",
        _("Copy %(barcode)s is not on loan.") % {"barcode": barcode},
        fields={"barcode": [_("No active loan for this barcode.")]},
    )


@atomic.service
def loans_return(*, barcodes: Iterable[str], by: User | None = None,
                 channel: str = ReturnChannel.DESK) -> list[Loan]:
    """`loan_return` of several copies (each barcode once, in their order) in one statement a
    step whatever their number: one read of their loans, one UPDATE of the loans, one
    compare-and-set of the copies (catalog.services.items_receive). Refused as `loan_return`
    refuses the first barcode not on loan; each loan's save() announced as it would be."""
    barcodes = list(dict.fromkeys(barcodes))
    if not barcodes:
        return []
    found = {loan.item.barcode: loan for loan in _ACTIVE_LOANS_OF_COPIES.rows(
        barcodes=[(b or "").strip() for b in barcodes])}
    for barcode in barcodes:
        if (barcode or "").strip() not in found:
            raise _not_on_loan(barcode)
    loans = [found[(barcode or "").strip()] for barcode in barcodes]
    returned = {"status": LoanStatus.RETURNED, "returned_at": timezone.now(),
                "return_channel": channel, "returned_by": by}
    _LOANS_RETURNED.update(returned, loan_ids=[loan.pk for loan in loans])
    catalog_services.items_receive(items=[loan.item for loan in loans])
    for loan in loans:
        for name, value in returned.items():
            setattr(loan, name, value)
        post_save.send(sender=Loan, instance=loan, created=False, raw=False,
                       update_fields=frozenset(returned), using=loan._state.db)
    return loans


def _active_loans_of_copies(barcodes: list[str]) -> QuerySet[Loan]:
    """The active loans of the copies, with the copies, both locked."""
    return (Loan.objects.select_for_update().select_related("item").order_by()
            .filter(item__barcode__in=barcodes, status=LoanStatus.ACTIVE))


# Read at every return of a visit, always in its service's transaction: its SQL built once
# (backend.core.prepared).
_ACTIVE_LOANS_OF_COPIES = PreparedRead(_active_loans_of_copies, "barcodes",
                                       text_lists=("barcodes",))
_LOANS_RETURNED = PreparedWrite(lambda loan_ids: (Loan.objects.filter(pk__in=loan_ids), {}),
                                "loan_ids", lists=("loan_ids",),
                                values=("status", "returned_at", "return_channel",
                                        "returned_by"))


@atomic.service
def loan_return(*, barcode: str, by: User | None = None, channel: str = ReturnChannel.DESK) -> Loan:
    """Take a copy back by its barcode."""
    try:  # one at most (a barcode is one copy, on one active loan): .get() needs no ORDER BY
        loan = (Loan.objects.select_for_update().select_related("item")
                .get(item__barcode=(barcode or "").strip(), status=LoanStatus.ACTIVE))
    except Loan.DoesNotExist:
        loan = None
    if loan is None:
        raise _not_on_loan(barcode)
    loan.status = LoanStatus.RETURNED
    loan.returned_at = timezone.now()
    loan.return_channel = channel
    loan.returned_by = by
    loan.save(update_fields=["status", "returned_at", "return_channel", "returned_by"])
    catalog_services.item_receive(item=loan.item)
    return loan


@transaction.atomic
def loan_renew(*, loan: Loan, by: User | None = None) -> Loan:
    """Extend a loan by the branch's period, up to its number of renewals, unless someone
    else is waiting for the title (orders refuse it through `loan_renewing`)."""
    loan = Loan.objects.select_for_update(of=("self",)).select_related("branch").get(pk=loan.pk)
    if loan.status != LoanStatus.ACTIVE:
        raise ConflictError("loan.not_active", _("Only a loan that is out can be renewed."))
    branch = loan.branch
    if loan.renewals >= branch.max_renewals:
        raise ConflictError(
            "loan.renewal_limit",
            ngettext("This loan has been renewed %(n)s time already, the most allowed.",
                     "This loan has been renewed %(n)s times already, the most allowed.",
                     loan.renewals)
            % {"n": loan.renewals},
        )
    loan_renewing.send(sender=Loan, loan=loan)
    loan.due_date = max(loan.due_date, branch.today()) + datetime.timedelta(
        days=branch.loan_days
    )
    loan.renewals += 1
    loan.save(update_fields=["due_date", "renewals"])
    return loan


@transaction.atomic
def loan_mark_lost(*, loan: Loan, by: User | None = None) -> Loan:
    loan = Loan.objects.select_for_update(of=("self",)).select_related("item").get(pk=loan.pk)
    if loan.status != LoanStatus.ACTIVE:
        raise ConflictError("loan.not_active", _("Only a loan that is out can be marked lost."))
    loan.status = LoanStatus.LOST
    loan.returned_by = by
    loan.save(update_fields=["status", "returned_by"])
    Item.objects.filter(pk=loan.item_id).update(status=ItemStatus.LOST)
    return loan
