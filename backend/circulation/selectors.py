"""Reads of loans: what a reader has, what is due back, what they have read."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from backend.branches.models import branch_today
from backend.circulation.models import Loan, LoanStatus
from backend.core.models import InRows
from backend.readers.models import FamilyCard, Reader, ReaderStatus
from backend.readers.selectors import next_visit_dates

if TYPE_CHECKING:
    from backend.branches.models import Branch


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


# What is due back ----------------------------------------------------------------------------
#
# The one rule, wherever a visit is prepared (the route sheet, the volunteers' app, the desk,
# the due-back API, planning): a visit on `on_date` collects every active loan due on or
# before that day (overdue ones included) of the household it serves. A household is a
# reader and, when they are served on a family card, that card: the loans issued on the card
# and the loans of every member of it. Which card a visit serves is the caller's to say (a
# stop's family card, a reader's own card); with none, the household is the reader alone.

Household = tuple[int, int | None]  # (reader id, family card id or None)


def _due_by(on_date: date) -> QuerySet[Loan]:
    return Loan.objects.filter(status=LoanStatus.ACTIVE, due_date__lte=on_date)


def due_back(*, reader: Reader | None = None, family: FamilyCard | None = None,
             on_date: date) -> QuerySet[Loan]:
    """What to hand back at a visit on `on_date`: the household's active loans due by then."""
    return active_loans(reader=reader, family=family).filter(due_date__lte=on_date)


def households_active_loans(households: Iterable[Household]) -> QuerySet[Loan]:
    """Every active loan of these households (their readers', their family cards' and the
    cards' members'), with the item, title and reader, in due date order: what
    `due_back_by_household` picks from, for a caller that shows the loans too."""
    households = list(households)
    reader_ids = {reader_id for reader_id, _family_id in households}
    family_ids = {family_id for _reader_id, family_id in households if family_id}
    condition = Q(reader_id__in=reader_ids)
    if family_ids:
        # The cards' members by their ids (InRows), not through the loan's reader: an OR
        # across the join would read every active loan.
        members = Reader.objects.filter(family_card_id__in=family_ids).order_by().values("pk")
        condition |= Q(family_card_id__in=family_ids) | Q(InRows("reader_id", members))
    return (Loan.objects.filter(condition, status=LoanStatus.ACTIVE)
            .select_related("item", "title", "reader").order_by("due_date", "id"))


def due_back_by_household(households: Iterable[Household], *,
                          on_date: date | Mapping[Household, date],
                          loans: Iterable[Loan] | None = None) -> dict[Household, list[Loan]]:
    """`due_back` for many households in one query: {(reader id, family card id): loans},
    each list in due date order, with the item, title and reader read alongside. `on_date`
    is one visit day for all, or each household's own. `loans`: the households' active
    loans already read (`households_active_loans`), so that none is read again."""
    households = list(dict.fromkeys(households))
    if not households:
        return {}
    days = on_date if isinstance(on_date, Mapping) else dict.fromkeys(households, on_date)
    if loans is None:
        loans = households_active_loans(households).filter(
            due_date__lte=max(days[h] for h in households))
    loans = list(loans)
    return {
        (reader_id, family_id): [
            loan for loan in loans
            if loan.due_date <= days[(reader_id, family_id)] and (
                loan.reader_id == reader_id or (family_id and family_id in (
                    loan.family_card_id, loan.reader.family_card_id)))
        ]
        for reader_id, family_id in households
    }


def due_back_by_reader(readers: Iterable[Reader], *,
                       on_date: date | Mapping[int, date],
                       loans: Iterable[Loan] | None = None) -> dict[int, list[Loan]]:
    """`due_back` of each reader's household (the reader and their family card), in one
    query (none with `loans`, as in due_back_by_household): {reader id: loans}. `on_date`
    is one visit day, or {reader id: day}."""
    readers = list(readers)
    days = {(r.pk, r.family_card_id): on_date[r.pk] if isinstance(on_date, Mapping) else on_date
            for r in readers}
    found = due_back_by_household(days, on_date=days, loans=loans)
    return {r.pk: found[(r.pk, r.family_card_id)] for r in readers}


def due_back_day(reader: Reader, *, upcoming: list[dict] | None = None) -> date:
    """The visit day `due_back` is for when nobody names one: the household's next visit
    date (`upcoming`, from `readers.selectors.next_visit_dates`, when already read), else
    today on the reader's branch."""
    if upcoming is None:
        upcoming = next_visit_dates(reader, limit=1)
    return upcoming[0]["date"] if upcoming else branch_today(reader.branch)


def due_back_in_branch(*, branch: Branch, on_date: date) -> QuerySet[Loan]:
    """Every loan due back by `on_date` from the branch's active readers, for planning the
    day's visits (which household each belongs to is the planner's grouping)."""
    return (_due_by(on_date).filter(reader__branch=branch, reader__status=ReaderStatus.ACTIVE)
            .select_related("reader", "reader__family_card", "family_card"))


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
