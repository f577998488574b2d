"""Loans: issue at the door, renew on the phone, return at the desk or on a visit."""
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.catalog import services as catalog_services
from backend.catalog.models import Item, ItemStatus
from backend.circulation.models import Loan, LoanStatus, ReturnChannel
from backend.circulation.signals import loan_renewing
from backend.core import atomic
from backend.core.exceptions import ApplicationError, ConflictError
from backend.readers.models import FamilyCard, FamilyStatus, Reader

if TYPE_CHECKING:
    from backend.accounts.models import User
    from backend.orders.models import OrderLine


def check_loan_limits(*, reader: Reader, adding: int, pending: int = 0,
                      held: int | None = None) -> None:
    """Items on loan per reader (branch policy) and per family card (shared limit).

    `pending` counts items already promised (reserved in open orders) but not yet lent;
    `held`, the reader's items on loan when the caller has counted them already.
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


@atomic.service
def loan_issue(*, item: Item, reader: Reader, by: User | None = None,
               order_line: OrderLine | None = None,
               family_card: FamilyCard | None = None, check_limits: bool = True) -> Loan:
    """Lend a copy to a reader (and their family card). The copy must be free or reserved."""
    if Loan.objects.filter(item=item, status=LoanStatus.ACTIVE).exists():
        raise ConflictError("item.on_loan",
                            _("Copy %(barcode)s is already on loan.") % {"barcode": item.barcode},
                            fields={"barcode": [_("Already on loan.")]})
    if check_limits:
        check_loan_limits(reader=reader, adding=1)
    catalog_services.item_lend(item=item)
    branch = reader.branch
    if (family_card is None and reader.family_card_id
            and reader.family_card.status == FamilyStatus.OPEN):
        family_card = reader.family_card
    loan = Loan(
        item=item, title_id=item.title_id, reader=reader, family_card=family_card,
        branch=branch, order_line=order_line, issued_at=timezone.now(),
        due_date=branch.today() + datetime.timedelta(days=branch.loan_days),
        issued_by=by,
    )
    loan.save()
    return loan


@atomic.service
def loan_return(*, barcode: str, by: User | None = None, channel: str = ReturnChannel.DESK) -> Loan:
    """Take a copy back by its barcode."""
    try:  # one at most (a barcode is one copy, on one active loan): .get() needs no ORDER BY
        loan = (Loan.objects.select_for_update().select_related("item")
                .get(item__barcode=(barcode or "").strip(), status=LoanStatus.ACTIVE))
    except Loan.DoesNotExist:
        loan = None
    if loan is None:
        raise ConflictError(
            "loan.not_on_loan",
            _("Copy %(barcode)s is not on loan.") % {"barcode": barcode},
            fields={"barcode": [_("No active loan for this barcode.")]},
        )
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
