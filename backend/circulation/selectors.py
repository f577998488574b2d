"""Reads of loans: what a reader has, what is due back, what they have read."""
from datetime import date, datetime

from django.db.models import Q, QuerySet

from backend.circulation.models import Loan, LoanStatus
from backend.readers.models import FamilyCard, Reader


def loan_queryset() -> QuerySet[Loan]:
    return Loan.objects.select_related("item", "title", "reader", "family_card", "branch")


def household_q(reader: Reader | None = None, family: FamilyCard | None = None,
                prefix: str = "") -> Q:
    """Loans of a reader, or of a whole household: the family card and all its members."""
    if family is None and reader is not None and reader.family_card_id:
        family = reader.family_card
    condition = Q()
    if reader is not None:
        condition |= Q(**{f"{prefix}reader": reader})
    if family is not None:
        condition |= Q(**{f"{prefix}family_card": family})
        condition |= Q(**{f"{prefix}reader__family_card": family})
    return condition


def active_loans(*, reader: Reader | None = None,
                 family: FamilyCard | None = None) -> QuerySet[Loan]:
    qs = loan_queryset().filter(status=LoanStatus.ACTIVE)
    if reader is not None and family is None:
        return qs.filter(reader=reader).order_by("due_date", "id")
    return qs.filter(household_q(reader, family)).order_by("due_date", "id")


def due_back(*, reader: Reader | None = None, family: FamilyCard | None = None,
             on_date: date) -> QuerySet[Loan]:
    """What to hand back at a visit on `on_date`: active loans due by then."""
    return active_loans(reader=reader, family=family).filter(due_date__lte=on_date)


def reading_history(*, reader: Reader | None = None,
                    family: FamilyCard | None = None) -> QuerySet[Loan]:
    qs = loan_queryset()
    if family is not None:
        return qs.filter(household_q(None, family)).order_by("-issued_at", "-id")
    return qs.filter(reader=reader).order_by("-issued_at", "-id")


def titles_read_since(*, reader: Reader, since: datetime) -> set[int]:
    """Titles the reader or anyone of their household has had since `since`."""
    return set(
        Loan.objects.filter(household_q(reader), issued_at__gte=since)
        .values_list("title_id", flat=True)
    )
