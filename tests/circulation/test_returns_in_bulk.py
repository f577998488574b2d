"""Several copies taken back at once (circulation.services.loans_return): the rows and the
refusals of `loan_return` one barcode at a time, in three statements whatever their number."""
import pytest
from django.db import transaction

from backend.catalog.models import Item
from backend.circulation import services
from backend.circulation.models import Loan
from backend.core.exceptions import ConflictError
from tests.factories import ItemFactory, LoanFactory, ReaderFactory

FIELDS = ("status", "return_channel", "returned_by_id")


def _out(branch, n):
    reader = ReaderFactory(branch=branch)
    return [LoanFactory(reader=reader, item=ItemFactory(branch=branch, status="on_loan"))
            for _ in range(n)]


def test_returns_together_are_the_returns_one_at_a_time(branch, make_user,
                                                        django_assert_num_queries):
    by = make_user("librarian")
    alone = [services.loan_return(barcode=loan.item.barcode, by=by, channel="visit")
             for loan in _out(branch, 3)]
    out = _out(branch, 3)
    with django_assert_num_queries(5):  # and the service's savepoint: SAVEPOINT, RELEASE
        together = services.loans_return(barcodes=[loan.item.barcode for loan in out], by=by,
                                         channel="visit")
    assert [loan.pk for loan in together] == [loan.pk for loan in out]
    stored = [Loan.objects.get(pk=loan.pk) for loan in together]
    assert [tuple(getattr(loan, f) for f in FIELDS) for loan in stored] == [
        tuple(getattr(Loan.objects.get(pk=loan.pk), f) for f in FIELDS) for loan in alone]
    assert all(loan.returned_at for loan in stored)
    assert set(Item.objects.filter(pk__in=[loan.item_id for loan in out])
               .values_list("status", flat=True)) == {"available"}


def test_the_first_barcode_not_on_loan_is_refused_as_alone(branch):
    out = _out(branch, 2)
    free = ItemFactory(branch=branch)
    barcodes = [out[0].item.barcode, free.barcode, "nothing-such", out[1].item.barcode]
    with pytest.raises(ConflictError) as refused, transaction.atomic():
        services.loans_return(barcodes=barcodes)
    with pytest.raises(ConflictError) as alone:
        services.loan_return(barcode=free.barcode)
    assert (refused.value.code, str(refused.value.message), refused.value.fields) == (
        alone.value.code, str(alone.value.message), alone.value.fields)
    assert set(Loan.objects.filter(pk__in=[loan.pk for loan in out])
               .values_list("status", flat=True)) == {"active"}
    assert services.loans_return(barcodes=[]) == []
