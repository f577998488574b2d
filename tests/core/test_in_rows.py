"""`core.models.InRows`: `column IN (subquery)` as a condition, on PostgreSQL written as
`column = ANY(ARRAY(subquery))`; the same rows either way, alone or in an OR."""
from django.db.models import Q

from backend.circulation.models import Loan
from backend.core.models import InRows
from backend.readers.models import Reader
from tests.factories import FamilyCardFactory, LoanFactory, ReaderFactory


def test_the_rows_are_those_of_in_alone_and_in_an_or(db):
    family, other = FamilyCardFactory(), FamilyCardFactory()
    member, neighbour, alone = (ReaderFactory(family_card=family),
                                ReaderFactory(family_card=other), ReaderFactory())
    mine = LoanFactory(reader=member)
    theirs = LoanFactory(reader=neighbour)
    on_card = LoanFactory(reader=alone, family_card=family)
    LoanFactory(reader=alone)
    members = Reader.objects.filter(family_card=family).order_by().values("pk")

    assert list(Loan.objects.filter(InRows("reader_id", members))) == [mine]
    assert (list(Loan.objects.filter(InRows("reader_id", members)).values_list("pk", flat=True))
            == list(Loan.objects.filter(reader_id__in=members).values_list("pk", flat=True)))
    either = Loan.objects.filter(Q(family_card=family) | Q(InRows("reader_id", members))
                                 | Q(reader=neighbour)).order_by("pk")
    assert list(either) == [mine, theirs, on_card]
    none = Reader.objects.filter(family_card__isnull=False, pk__lt=0).values("pk")
    assert not Loan.objects.filter(InRows("reader_id", none)).exists()
    assert set(Loan.objects.exclude(InRows("reader_id", members))) == set(
        Loan.objects.exclude(reader_id__in=members))
