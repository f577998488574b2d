"""The reader card answered as a plain dict is what DRF writes field by field with
ReaderOutputSerializer, for every role and for no request, and leaves out what each role
does not see."""
import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from backend.readers.models import ReaderCategory
from backend.readers.selectors import reader_queryset
from backend.readers.serializers import PLANNING_HIDDEN_CARD_FIELDS, ReaderOutputSerializer
from tests.answer_shape import as_json, assert_same_answer, field_by_field
from tests.factories import FamilyCardFactory, ReaderFactory, ReaderPhoneFactory, UserFactory

PLANNING_HIDDEN = {"birth_date", "category", "category_display", "categories",
                   "categories_display", "preferences", "consent", "document"}
# Who sees what (DESIGN.md): written out here, not read from the code under test.
HIDDEN = {
    "librarian": set(),
    "superuser": set(),
    "operator": {"document"},
    "coordinator": PLANNING_HIDDEN,
    "volunteer": PLANNING_HIDDEN,
    "no role": PLANNING_HIDDEN,
}


def _user(who: str):
    if who == "superuser":
        return UserFactory(is_superuser=True, is_staff=True)
    return UserFactory(role=None if who == "no role" else who)


def _context(user) -> dict:
    request = APIRequestFactory().get("/api/v1/readers/")
    request.user = user
    return {"request": request}


@pytest.fixture
def full_reader(branch, make_user):
    """A card with every optional field set."""
    librarian = make_user("librarian")
    family = FamilyCardFactory(branch=branch, street="Абая", house="7", apartment="3",
                               floor=2, elevator=True, lat=54.7, lon=69.2)
    reader = ReaderFactory(
        branch=branch, family_card=family, patronymic="Петровна", category="disability_1",
        birth_date=datetime.date(1944, 2, 29), language="kk",
        apartment="12", entrance="2", floor=-1, door_code="12#", elevator=False,
        landmark="У аптеки", lat=54.123456, lon=69.654321,
        geocode_status="ambiguous",
        geocode_candidates=[{"lat": 54.1, "lon": 69.6, "label": "Бишкуль, Ленина 1"},
                            {"lat": 54.2, "lon": 69.7, "label": "Петропавл, Ленина 1"}],
        access_notes="Звонить дважды", contact_channel="voice",
        preferences={"subjects": ["история"], "authors": ["Абай"], "formats": ["braille"],
                     "languages": ["kk", "ru"], "never_send": ["978-5-00-000000-0"]},
        availability=[{"weekday": 0, "start": "10:00", "end": "12:30"},
                      {"weekday": 4, "start": "15:00", "end": "18:00"}],
        caregiver_name="Ольга", caregiver_relation="дочь", caregiver_phone="+77017654321",
        document_type="disability_certificate", document_number="МСЭ-123",
        document_valid_until=datetime.date(2030, 12, 31),
        consent_date=datetime.date(2026, 1, 15), consent_recorded_by=librarian,
    )
    family.head = reader
    family.save(update_fields=["head"])
    ReaderCategory.objects.create(reader=reader, category="disability_1")
    ReaderCategory.objects.create(reader=reader, category="veteran")
    ReaderCategory.objects.create(reader=reader, category="elderly")
    ReaderPhoneFactory(reader=reader, number="+77011112233", kind="mobile", sms_ok=True,
                       position=0)
    ReaderPhoneFactory(reader=reader, number="+77152123456", kind="home", sms_ok=False,
                       position=1)
    ReaderPhoneFactory(reader=reader, number="+77019998877", kind="caregiver", position=2)
    return reader_queryset().get(pk=reader.pk)


@pytest.fixture
def sparse_reader(branch):
    """A card with the optional fields left empty (nulls and blanks)."""
    reader = ReaderFactory(branch=branch, patronymic="", birth_date=None, status="suspended",
                           consent_date=None, settlement="", street="", house="", lat=None,
                           lon=None, geocode_candidates=[], preferences={}, availability=[])
    return reader_queryset().get(pk=reader.pk)


def _reference(reader, context: dict) -> dict:
    data = field_by_field(ReaderOutputSerializer, reader, context=context)
    if "request" not in context:
        # With nobody to ask the card shows the least any staff role sees.
        for name in PLANNING_HIDDEN_CARD_FIELDS:
            data.pop(name, None)
    return data


@pytest.mark.parametrize("who", list(HIDDEN))
@pytest.mark.parametrize("card", ["full_reader", "sparse_reader"])
def test_the_card_is_what_the_fields_write_for_each_role(request, card, who):
    reader = request.getfixturevalue(card)
    user = _user(who)
    plain = ReaderOutputSerializer(reader, context=_context(user)).data
    assert_same_answer(plain, _reference(reader, _context(user)))
    every = list(ReaderOutputSerializer().get_fields())
    assert list(plain) == [name for name in every if name not in HIDDEN[who]]


@pytest.mark.parametrize("card", ["full_reader", "sparse_reader"])
def test_the_card_with_nobody_to_ask_is_what_the_fields_write(request, card):
    reader = request.getfixturevalue(card)
    plain = ReaderOutputSerializer(reader).data
    assert_same_answer(plain, _reference(reader, {}))
    assert not PLANNING_HIDDEN & set(plain)
    assert {"id", "full_name", "phones", "delivery_address", "caregiver"} <= set(plain)


def test_a_page_of_cards_is_what_the_fields_write(full_reader, sparse_reader):
    context = _context(_user("operator"))
    page = ReaderOutputSerializer([full_reader, sparse_reader], many=True, context=context).data
    assert len(page) == 2
    for plain, reader in zip(page, [full_reader, sparse_reader], strict=True):
        assert_same_answer(plain, _reference(reader, context))


def test_the_full_card_sets_every_optional_field(full_reader):
    """The full card is full: no field of the reference is empty, so none is compared as
    an empty value only."""
    data = _reference(full_reader, _context(_user("librarian")))
    assert all(value not in (None, "", [], {}) for value in data.values()), data
    assert [p["kind"] for p in data["phones"]] == ["mobile", "home", "caregiver"]
    assert data["family_card"]["is_head"] is True
    assert data["categories"] == ["disability_1", "elderly", "veteran"]
    assert data["consent"]["recorded_by"] and data["document"]["valid_until"] == "2030-12-31"
    assert data["delivery_address"] != data["address"]  # the family's address


@pytest.mark.parametrize("who", ["librarian", "operator", "coordinator"])
def test_the_api_sends_the_fields_answer(api, full_reader, who):
    client = api.as_role(who)
    answer = client.get(f"/api/v1/readers/{full_reader.id}/")
    assert answer.status_code == 200
    reference = _reference(reader_queryset().get(pk=full_reader.pk), _context(client.user))
    assert list(answer.json().items()) == list(as_json(reference).items())
    listed = client.get("/api/v1/readers/", {"q": full_reader.last_name}).json()["results"]
    assert [list(card.items()) for card in listed] == [list(as_json(reference).items())]


def test_a_field_added_to_the_serializer_shows_in_the_reference(full_reader):
    """The comparison catches a field the plain dict does not write."""

    class WithMore(ReaderOutputSerializer):
        closed_at = serializers.DateTimeField(allow_null=True)

    full_reader.closed_at = timezone.now()
    context = _context(_user("librarian"))
    reference = field_by_field(WithMore, full_reader, context=context)
    assert list(reference)[-1] == "closed_at"
    with pytest.raises(AssertionError):
        assert_same_answer(WithMore(full_reader, context=context).data, reference)
