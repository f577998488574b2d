"""What is due back: one rule (circulation.selectors.due_back) for every visit.

The household is the reader and the family card the visit serves: the loans issued on the
card and the loans of every member of it. A visit on a day collects the household's active
loans due on or before that day, overdue ones included.
"""
import datetime

import pytest

from backend.circulation.selectors import (
    due_back,
    due_back_by_household,
    due_back_by_reader,
    due_back_day,
)
from backend.orders.desk import desk_card
from backend.readers.selectors import reader_list
from tests.factories import BranchFactory, FamilyCardFactory, LoanFactory, ReaderFactory

VISIT = datetime.date.today() + datetime.timedelta(days=5)


def days(n: int) -> datetime.date:
    return VISIT + datetime.timedelta(days=n)


@pytest.fixture
def house(db):
    branch = BranchFactory()
    family = FamilyCardFactory(branch=branch)
    mother = ReaderFactory(branch=branch, family_card=family)
    son = ReaderFactory(branch=branch, family_card=family)
    former = ReaderFactory(branch=branch)  # left the card; a loan issued on it stays its
    neighbour = ReaderFactory(branch=branch)
    loans = {
        "mother overdue": LoanFactory(reader=mother, family_card=family, due_date=days(-10)),
        "son on the day": LoanFactory(reader=son, due_date=days(0)),
        "son later": LoanFactory(reader=son, family_card=family, due_date=days(1)),
        "on the card": LoanFactory(reader=former, family_card=family, due_date=days(-2)),
        "neighbour": LoanFactory(reader=neighbour, due_date=days(-3)),
        "returned": LoanFactory(reader=mother, due_date=days(-20), status="returned"),
    }
    return {"family": family, "mother": mother, "son": son, "former": former,
            "neighbour": neighbour, "loans": loans}


def ids(loans) -> list[int]:
    return [loan.pk for loan in loans]


def test_the_household_is_the_card_and_every_member_by_the_visit_day(house):
    loans = house["loans"]
    expected = [loans["mother overdue"].pk, loans["on the card"].pk, loans["son on the day"].pk]
    for member in (house["mother"], house["son"]):
        assert ids(due_back(reader=member, family=house["family"], on_date=VISIT)) == expected
    # The day after, the son's later loan is due too.
    assert loans["son later"].pk in ids(due_back(reader=house["mother"],
                                                 family=house["family"], on_date=days(1)))
    # A reader served alone hands back only their own.
    assert ids(due_back(reader=house["neighbour"], on_date=VISIT)) == [loans["neighbour"].pk]


def test_the_bulk_forms_answer_the_same_in_one_query(house, django_assert_num_queries):
    readers = [house["mother"], house["son"], house["neighbour"]]
    with django_assert_num_queries(1):
        found = due_back_by_reader(readers, on_date=VISIT)
    for reader in readers:
        family = house["family"] if reader.family_card_id else None
        assert ids(found[reader.pk]) == ids(due_back(reader=reader, family=family,
                                                     on_date=VISIT))
    # Each household by its own day.
    mother, neighbour = house["mother"], house["neighbour"]
    by_day = due_back_by_household(
        [(mother.pk, house["family"].pk), (neighbour.pk, None)],
        on_date={(mother.pk, house["family"].pk): days(1), (neighbour.pk, None): days(-4)})
    assert house["loans"]["son later"].pk in ids(by_day[(mother.pk, house["family"].pk)])
    assert by_day[(neighbour.pk, None)] == []


def test_the_desk_card_shows_the_same_due_back(house):
    mother = reader_list().get(pk=house["mother"].pk)
    card = desk_card(mother)
    expected = due_back(reader=mother, family=house["family"], on_date=due_back_day(mother))
    assert [row["id"] for row in card["due_back"]] == ids(expected)
    assert house["loans"]["son on the day"].pk not in [row["id"] for row in card["loans"]]


def test_the_due_back_api_uses_the_same_rule(api, house):
    son = house["son"]
    body = api.as_role("operator").get(f"/api/v1/readers/{son.pk}/due-back/",
                                       {"date": VISIT.isoformat()}).json()
    assert [row["id"] for row in body] == ids(due_back(reader=son, family=house["family"],
                                                       on_date=VISIT))
