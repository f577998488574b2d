"""Who opened which card is written down wherever a card is shown (the API, the phone desk,
the admin, exports), and only librarians read that log."""
import pytest
from django.test import Client
from django.urls import reverse

from backend.readers.models import CardAccess
from tests.factories import FamilyCardFactory, ReaderFactory, ReaderPhoneFactory, UserFactory


@pytest.fixture
def reader(db):
    reader = ReaderFactory()
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    return reader


def only_access() -> CardAccess:
    rows = list(CardAccess.objects.all())
    assert len(rows) == 1, rows
    return rows[0]


def test_opening_a_card_in_the_api_is_recorded(api, reader):
    client = api.as_role("operator")
    assert client.get(f"/api/v1/readers/{reader.pk}/").status_code == 200
    row = only_access()
    assert (row.user, row.reader, row.action, row.channel) == (
        client.user, reader, "view", "api")
    assert row.ip == "127.0.0.1"


def test_opening_a_cards_history_is_recorded(api, reader):
    client = api.as_role("librarian")
    assert client.get(f"/api/v1/readers/{reader.pk}/history/").status_code == 200
    assert (only_access().action, only_access().reader) == ("history", reader)


def test_a_missing_card_records_nothing(api, db):
    assert api.as_role("librarian").get("/api/v1/readers/999999/").status_code == 404
    assert not CardAccess.objects.exists()


def test_a_list_records_nothing(api, reader):
    assert api.as_role("librarian").get("/api/v1/readers/").status_code == 200
    assert not CardAccess.objects.exists()


def test_family_card_opened_is_recorded(api, db):
    family = FamilyCardFactory()
    assert api.as_role("coordinator").get(f"/api/v1/family-cards/{family.pk}/").status_code == 200
    row = only_access()
    assert (row.family_card, row.reader, row.action) == (family, None, "view")


def test_phone_lookup_at_the_desk_records_every_card_found(api, reader):
    other = ReaderFactory()
    ReaderPhoneFactory(reader=other, number="+77011234567", kind="home")
    client = api.as_role("operator")
    body = client.get("/api/v1/desk/lookup/", {"phone": "8 701 123 45 67"}).json()
    assert len(body["matches"]) == 2
    assert set(CardAccess.objects.values_list("reader", "action", "user")) == {
        (reader.pk, "lookup", client.user.pk), (other.pk, "lookup", client.user.pk)}


def test_a_lookup_that_finds_nobody_records_nothing(api, reader):
    api.as_role("operator").get("/api/v1/desk/lookup/", {"phone": "+77770000000"})
    assert not CardAccess.objects.exists()


def test_desk_card_page_is_recorded(reader):
    operator = UserFactory(role="operator")
    client = Client()
    client.force_login(operator)
    assert client.get(f"/desk/readers/{reader.pk}/").status_code == 200
    row = only_access()
    assert (row.user, row.reader, row.channel) == (operator, reader, "desk")


def test_admin_change_page_is_recorded_but_not_the_save(reader):
    librarian = UserFactory(role="librarian", is_staff=True)
    client = Client()
    client.force_login(librarian)
    url = reverse("admin:readers_reader_change", args=[reader.pk])
    assert client.get(url).status_code == 200
    row = only_access()
    assert (row.user, row.reader, row.channel) == (librarian, reader, "admin")


def test_export_is_recorded_once_with_the_number_of_cards(api, reader):
    ReaderFactory.create_batch(2)
    client = api.as_role("librarian")
    response = client.get("/api/v1/readers/export/", {"format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    row = only_access()
    assert (row.action, row.count, row.reader) == ("export", 3, None)


def test_librarian_reads_the_log_filtered_by_reader_and_user(api, reader):
    operator = api.as_role("operator")
    other = ReaderFactory()
    operator.get(f"/api/v1/readers/{reader.pk}/")
    operator.get(f"/api/v1/readers/{other.pk}/")
    coordinator = api.as_role("coordinator")
    coordinator.get(f"/api/v1/readers/{reader.pk}/")
    librarian = api.as_role("librarian")

    body = librarian.get("/api/v1/card-access/", {"reader": reader.pk}).json()
    assert body["count"] == 2
    assert [row["user"]["username"] for row in body["results"]] == [
        coordinator.user.username, operator.user.username]  # newest first
    first = body["results"][0]
    assert set(first) == {"id", "at", "user", "action", "channel", "reader",
                          "reader_card_number", "family_card", "count", "ip"}
    assert first["reader_card_number"] == reader.card_number

    body = librarian.get("/api/v1/card-access/", {"user": operator.user.pk}).json()
    assert {row["reader"] for row in body["results"]} == {reader.pk, other.pk}


def test_log_filters_are_checked(api, db):
    response = api.as_role("librarian").get("/api/v1/card-access/", {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.json()["fields"]


@pytest.mark.parametrize("role", ["operator", "coordinator", "volunteer"])
def test_only_librarians_read_the_log(api, role):
    response = api.as_role(role).get("/api/v1/card-access/")
    assert response.status_code == 403


def test_admin_shows_the_log_read_only_to_librarians(reader):
    librarian = UserFactory(role="librarian", is_staff=True)
    client = Client()
    client.force_login(librarian)
    client.get(reverse("admin:readers_reader_change", args=[reader.pk]))
    page = client.get(reverse("admin:readers_cardaccess_changelist"))
    assert page.status_code == 200
    assert reader.card_number in page.content.decode()
    assert client.get(reverse("admin:readers_cardaccess_add")).status_code == 403


def test_phone_lookup_records_the_family_card_it_shows(api, reader):
    family = FamilyCardFactory()
    reader.family_card = family
    reader.save(update_fields=["family_card"])
    client = api.as_role("operator")
    body = client.get("/api/v1/desk/lookup/", {"phone": "+77011234567"}).json()
    assert [f["id"] for f in body["family_cards"]] == [family.pk]
    assert set(CardAccess.objects.values_list("reader", "family_card", "action")) == {
        (reader.pk, None, "lookup"), (None, family.pk, "lookup")}
