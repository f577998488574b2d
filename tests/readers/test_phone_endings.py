"""A caller is found by a number in any form or its last seven digits, and a card by the end
of its number, through one subquery each (readers.selectors: phone_query,
phone_or_card_ending_query): the forms the national-scale index serves."""
import pytest

from backend.readers.selectors import reader_list, readers_by_phone
from tests.factories import ReaderFactory, ReaderPhoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def aliya():
    reader = ReaderFactory(last_name="Жұмабаева", first_name="Әлия", card_number="AST01-04417")
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    ReaderPhoneFactory(reader=reader, number="+77172254455", kind="home", position=1)
    return reader


@pytest.fixture
def other():
    reader = ReaderFactory(card_number="AST02-55501")
    ReaderPhoneFactory(reader=reader, number="+77017654321")
    return reader


@pytest.mark.parametrize("said", [
    "8 701 123 45 67", "+7 (701) 123-45-67", "87011234567", "7011234567", "123 45 67",
    "1234567", "+7 7172 25 44 55", "2254455",
])
def test_a_number_in_any_form_finds_the_caller_only(aliya, other, said):
    assert list(readers_by_phone(said)) == [aliya]
    assert list(reader_list(filters={"q": said})) == [aliya]


@pytest.mark.parametrize("said", ["999 99 99", "8 701 999 45 67", "4567"])
def test_a_number_of_nobody_finds_nobody(aliya, other, said):
    assert list(readers_by_phone(said)) == []


def test_digits_find_a_card_by_the_end_of_its_number_or_a_phone(aliya, other):
    assert list(reader_list(filters={"q": "1-04417"})) == [aliya]
    assert list(reader_list(filters={"q": "2-55501"})) == [other]
    # Seven digits that end a phone of one card and a card number of another: both.
    third = ReaderFactory(card_number="AST03-1234567")
    assert set(reader_list(filters={"q": "1234567"})) == {aliya, third}
