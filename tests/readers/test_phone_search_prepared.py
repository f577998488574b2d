"""The desk's searches by phone read by SQL built once (readers.selectors.reader_list_pages,
readers_by_phone_read): the same cards, in the same order, with the same phones and
categories as the querysets give, for every form a number is said in."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.core.prepared import PreparedPages
from backend.readers.models import ReaderCategory
from backend.readers.selectors import (
    reader_list,
    reader_list_pages,
    readers_by_phone,
    readers_by_phone_read,
)
from tests.factories import ReaderFactory, ReaderPhoneFactory, UserFactory

pytestmark = pytest.mark.django_db

SAID = ["8 701 123 45 67", "+7 (701) 123-45-67", "+77011234567", "87011234567", "7011234567",
        "123 45 67", "1234567", "+7 7172 25 44 55", "2254455", "01-04417",
        "999 99 99", "8 701 999 45 67", "7011230000", "70112300001"]


@pytest.fixture
def callers():
    aliya = ReaderFactory(last_name="Жұмабаева", first_name="Әлия", card_number="AST01-04417",
                          category="elderly",
                          consent_recorded_by=UserFactory(first_name="Гүлмира", last_name="Сейт"))
    ReaderPhoneFactory(reader=aliya, number="+77011234567")
    ReaderPhoneFactory(reader=aliya, number="+77172254455", kind="home", position=1)
    ReaderCategory.objects.create(reader=aliya, category="disability_2")
    # Two cards on one number, one of them the end of a card number as well.
    for name, card in (("Ахметова", "AST02-1234567"), ("Абенова", "AST03-55501")):
        reader = ReaderFactory(last_name=name, card_number=card)
        ReaderPhoneFactory(reader=reader, number="+77019991234")
        ReaderPhoneFactory(reader=reader, number="+77011230000", position=2)
    return aliya


def card(reader):
    return (vars(reader) | {"_state": None, "_prefetched_objects_cache": None},
            [vars(phone) | {"_state": None} for phone in reader.phones.all()],
            [phone.reader is reader for phone in reader.phones.all()],
            sorted(row.category for row in reader.category_rows.all()),
            reader.branch.pk, reader.family_card_id,
            None if reader.consent_recorded_by is None else str(reader.consent_recorded_by))


@pytest.mark.parametrize("said", SAID)
def test_a_page_of_a_search_by_phone_is_the_querysets(callers, said):
    pages = reader_list_pages(filters={"q": said, "has_coordinates": None})
    assert isinstance(pages, PreparedPages)
    for _ in range(2):  # built at the first run, reused after
        with CaptureQueriesContext(connection) as queries:
            page = pages[0:10]
        with CaptureQueriesContext(connection) as its_own:
            expected = list(reader_list(filters={"q": said})[0:10])
        assert [card(reader) for reader in page] == [card(reader) for reader in expected]
        assert [q["sql"] for q in queries] == [q["sql"] for q in its_own]
    assert pages.count() == reader_list(filters={"q": said}).count()
    assert [r.pk for r in pages[1:2]] == [r.pk for r in reader_list(filters={"q": said})[1:2]]


@pytest.mark.parametrize("said", SAID)
def test_the_desk_finds_by_phone_as_the_queryset_does(callers, said):
    for _ in range(2):
        assert [card(reader) for reader in readers_by_phone_read(said)] == [
            card(reader) for reader in readers_by_phone(said)]


def test_other_searches_and_filters_are_the_querysets_own(callers):
    for filters in ({"q": "Жұмабаева"}, {"q": "123"}, {"q": "04417"},
                    {"q": "1234567", "status": "active"},
                    {"q": "1234567", "has_coordinates": False}, {}):
        assert not isinstance(reader_list_pages(filters=filters), PreparedPages)
