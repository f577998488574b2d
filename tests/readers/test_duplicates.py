"""Possible duplicates: a card with the same birth date and a phone, or the same last and
first name, as an open card. One rule (selectors.reader_duplicates) for the API (409 unless
confirmed), the admin form (a warning with links and a "save anyway" box) and the import
(skipped, flagged or an error)."""
import datetime

import pytest
from django.urls import reverse
from django.utils.translation import override

from backend.readers import selectors
from backend.readers.imports import import_readers
from backend.readers.models import CardChange, Reader
from tests.factories import ReaderFactory, ReaderPhoneFactory, UserFactory
from tests.readers.test_admin import reader_form
from tests.readers.test_import import csv_bytes, reader_cells
from tests.readers.test_reader_api import reader_payload

URL = "/api/v1/readers/"
BORN = datetime.date(1948, 3, 12)  # reader_payload's, reader_form's and reader_cells' date


@pytest.fixture
def on_file(branch):
    """An open card: Ахметова Әлия, born 1948-03-12, phone +77017770001."""
    reader = ReaderFactory(branch=branch, card_number="OLD-00001", last_name="Ахметова",
                           first_name="Әлия", birth_date=BORN)
    ReaderPhoneFactory(reader=reader, number="+77017770001")
    return reader


def other_name(**overrides):
    return {"last_name": "Нурланова", "first_name": "Дана", **overrides}


# The same person, and not ---------------------------------------------------------------------

SAME_PHONE = dict(other_name(), phones=[{"number": "8 701 777 00 01"}])
SAME_NAME_OTHER_CASE = {"last_name": "АХМЕТОВА", "first_name": "әлия",
                        "phones": [{"number": "+77010000002"}]}
CASES = {
    # name: (API payload overrides, import cells overrides, is a duplicate)
    "same phone and birth date": (SAME_PHONE, dict(other_name(), phone1="8 701 777 00 01"),
                                  True),
    "same name and birth date": (SAME_NAME_OTHER_CASE,
                                 {"last_name": "АХМЕТОВА", "first_name": "әлия",
                                  "phone1": "+77010000002"}, True),
    "same phone, another birth date": (
        {**SAME_PHONE, "birth_date": "1950-01-01"},
        dict(other_name(), phone1="8 701 777 00 01", birth_date="1950-01-01"), False),
    "same name, another birth date": (
        {**SAME_NAME_OTHER_CASE, "birth_date": "1950-01-01"},
        {"last_name": "Ахметова", "first_name": "Әлия", "phone1": "+77010000002",
         "birth_date": "1950-01-01"}, False),
    "no birth date": ({**SAME_PHONE, "birth_date": None},
                      dict(other_name(), phone1="8 701 777 00 01", birth_date=""), False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_api_and_import_share_the_rule(api, branch, on_file, case):
    payload, cells, duplicate = CASES[case]
    client = api.as_role("librarian")
    response = client.post(URL, reader_payload(branch, **payload), format="json")
    assert response.status_code == (409 if duplicate else 201), response.json()
    Reader.objects.exclude(pk=on_file.pk).delete()

    report = import_readers(content=csv_bytes([reader_cells(branch.code, 1, **cells)]),
                            filename="x.csv")
    assert report.ok, [e.as_dict() for e in report.errors]
    assert [d.existing_card for d in report.duplicates] == (["OLD-00001"] if duplicate else [])
    assert report.created == (0 if duplicate else 1)


def test_api_answers_409_naming_the_cards_unless_confirmed(api, branch, on_file):
    client = api.as_role("librarian")
    payload = reader_payload(branch, **SAME_PHONE)
    response = client.post(URL, payload, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "reader.possible_duplicate"
    assert "OLD-00001" in body["message"]
    assert body["fields"]["duplicates"] == [{
        "id": on_file.pk, "card_number": "OLD-00001", "full_name": on_file.full_name,
        "reason": "phone"}]
    assert body["fields"]["confirm_duplicate"]
    assert Reader.objects.count() == 1
    assert not CardChange.objects.exists()

    response = client.post(URL, {**payload, "confirm_duplicate": True}, format="json")
    assert response.status_code == 201, response.json()
    assert "confirm_duplicate" not in response.json()
    assert Reader.objects.count() == 2


def test_the_409_message_is_translated(api, branch, on_file):
    client = api.as_role("librarian")
    payload = reader_payload(branch, **SAME_PHONE)
    messages = {lang: client.post(URL, payload, format="json",
                                  HTTP_ACCEPT_LANGUAGE=lang).json()["message"]
                for lang in ("en", "ru", "kk")}
    assert len(set(messages.values())) == 3
    assert all("OLD-00001" in text for text in messages.values())


def test_a_closed_or_anonymised_card_is_no_duplicate(api, branch, on_file):
    Reader.objects.filter(pk=on_file.pk).update(status="closed")
    client = api.as_role("librarian")
    assert client.post(URL, reader_payload(branch, **SAME_PHONE),
                       format="json").status_code == 201
    report = import_readers(content=csv_bytes([reader_cells(
        branch.code, 5, last_name="Ахметова", phone1="+77010000005")]), filename="x.csv")
    assert report.ok and not report.duplicates


def test_the_selector_names_each_card_once_with_its_reason(branch, on_file):
    found = selectors.reader_duplicates(last_name="ахметова", first_name="ӘЛИЯ",
                                        birth_date=BORN, phones=["+77017770001"])
    assert [(card.pk, card.reason) for card in found] == [(on_file.pk, "phone")]
    by_name = selectors.reader_duplicates(last_name="Ахметова", first_name="Әлия",
                                          birth_date=BORN.isoformat())
    assert [(card.card_number, card.reason) for card in by_name] == [("OLD-00001", "name")]
    assert selectors.reader_duplicates(last_name="Ахметова", first_name="Әлия",
                                       birth_date=BORN, exclude=on_file.pk) == []


def test_import_finds_two_rows_of_the_same_name_and_birth_date(branch):
    rows = [reader_cells(branch.code, 1, last_name="Серикова"),
            reader_cells(branch.code, 2, last_name="серикова", phone1="+77010000022")]
    with override("en"):
        report = import_readers(content=csv_bytes(rows), filename="x.csv",
                                duplicates="error")
    assert not report.ok
    [error] = report.errors
    assert (error.row, error.column, error.code) == (3, "last_name", "import.duplicate")
    assert "row 2 (name and birth date)" in error.message


# The admin form ---------------------------------------------------------------------------


@pytest.fixture
def librarian_client(client, db):
    client.force_login(UserFactory(role="librarian", is_staff=True))
    return client


def test_admin_warns_links_and_saves_anyway_when_asked(librarian_client, branch, on_file):
    add = reverse("admin:readers_reader_add")
    data = reader_form(branch, **{"phones-0-number": "8 701 777 00 01",
                                  "last_name": "Нурланова"})
    response = librarian_client.post(add, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "confirm_duplicate" in form.errors
    page = response.content.decode()
    assert reverse("admin:readers_reader_change", args=[on_file.pk]) in page
    assert "OLD-00001" in page
    assert 'type="checkbox" name="confirm_duplicate"' in page
    assert Reader.objects.count() == 1

    response = librarian_client.post(add, {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Reader.objects.count() == 2


def test_admin_shows_no_box_when_there_is_no_duplicate(librarian_client, branch):
    page = librarian_client.get(reverse("admin:readers_reader_add")).content.decode()
    assert 'type="checkbox" name="confirm_duplicate"' not in page
    response = librarian_client.post(reverse("admin:readers_reader_add"), reader_form(branch))
    assert response.status_code == 302


def test_admin_warns_when_a_change_makes_the_card_another_ones_double(librarian_client,
                                                                      branch, on_file):
    other = ReaderFactory(branch=branch, last_name="Нурланова", first_name="Дана",
                          birth_date=BORN)
    change = reverse("admin:readers_reader_change", args=[other.pk])
    data = reader_form(branch, last_name="Ахметова", first_name="Әлия",
                       **{"phones-TOTAL_FORMS": "0"})
    response = librarian_client.post(change, data)
    assert response.status_code == 200
    assert "confirm_duplicate" in response.context["adminform"].form.errors
    assert Reader.objects.get(pk=other.pk).last_name == "Нурланова"
    response = librarian_client.post(change, {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Reader.objects.get(pk=other.pk).last_name == "Ахметова"
