"""Who was shown which card is written down wherever cards are shown (the API, the phone
desk, the planning pages, the admin, exports): one row per request naming every card it
showed, and only librarians read that log."""
import pytest
from django.test import Client
from django.urls import reverse

from backend.notifications.models import InboxItem
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


def cards(row: CardAccess) -> tuple[set, set]:
    return (set(row.readers.values_list("pk", flat=True)),
            set(row.family_cards.values_list("pk", flat=True)))


def test_opening_a_card_in_the_api_is_recorded(api, reader):
    client = api.as_role("operator")
    assert client.get(f"/api/v1/readers/{reader.pk}/").status_code == 200
    row = only_access()
    assert (row.user, row.action, row.channel, row.count) == (client.user, "view", "api", 1)
    assert cards(row) == ({reader.pk}, set())
    assert row.ip == "127.0.0.1"
    assert row.path == f"/api/v1/readers/{reader.pk}/"


def test_opening_a_cards_history_is_recorded(api, reader):
    client = api.as_role("librarian")
    assert client.get(f"/api/v1/readers/{reader.pk}/history/").status_code == 200
    assert only_access().action == "history"
    assert cards(only_access()) == ({reader.pk}, set())


def test_a_missing_card_records_nothing(api, db):
    assert api.as_role("librarian").get("/api/v1/readers/999999/").status_code == 404
    assert not CardAccess.objects.exists()


def test_a_list_records_one_row_naming_the_cards_it_showed(api, reader):
    other = ReaderFactory()
    client = api.as_role("librarian")
    assert client.get("/api/v1/readers/").json()["count"] == 2
    row = only_access()
    assert (row.user, row.action, row.channel, row.count) == (client.user, "list", "api", 2)
    assert cards(row) == ({reader.pk, other.pk}, set())


def test_a_search_records_one_row_naming_only_the_cards_found(api, reader):
    ReaderFactory(last_name="Сейтқалиева")
    client = api.as_role("operator")
    body = client.get("/api/v1/readers/", {"q": reader.last_name}).json()
    assert [r["id"] for r in body["results"]] == [reader.pk]
    row = only_access()
    assert (row.action, row.count) == ("search", 1)
    assert cards(row) == ({reader.pk}, set())


def test_a_search_that_finds_nobody_records_nothing(api, reader):
    assert api.as_role("operator").get("/api/v1/readers/", {"q": "Жоқ"}).json()["count"] == 0
    assert not CardAccess.objects.exists()


def test_a_page_of_200_cards_is_one_row(api, db):
    readers = ReaderFactory.create_batch(200)
    client = api.as_role("librarian")
    response = client.get("/api/v1/readers/", {"page_size": 200})
    assert len(response.json()["results"]) == 200
    row = only_access()
    assert row.count == 200
    assert cards(row) == ({r.pk for r in readers}, set())


def test_a_page_of_200_cards_writes_the_log_in_one_statement_or_two_inserts(api, db):
    """On PostgreSQL the row and its 200 links are one statement (it needs no transaction
    of its own); elsewhere the row, then its links at once, in a transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ReaderFactory.create_batch(200)
    client = api.as_role("librarian")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/readers/", {"page_size": 200}).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    writes = [one for one in sql if "readers_cardaccess" in one and "INSERT" in one.upper()]
    if connection.vendor == "postgresql":
        assert len(writes) == 1, writes
        assert not any(one.startswith(("SAVEPOINT", "RELEASE")) for one in sql)
    else:
        assert len(writes) == 2, writes  # the row, then its 200 links at once
    assert CardAccess.objects.get().readers.count() == 200


@pytest.mark.parametrize("family", [True, False], ids=["both-kinds", "readers-only"])
def test_the_log_row_is_the_same_whichever_way_it_is_written(rf, db, monkeypatch, family):
    """The one-statement write (PostgreSQL) stores what the ORM's save() and bulk_create()
    store: the same columns, links and object answered; elsewhere the ORM writes both."""
    from django.db import connection

    from backend.readers.services import card_access_record

    user = UserFactory()
    readers = ReaderFactory.create_batch(3)
    families = [FamilyCardFactory(), FamilyCardFactory()] if family else []
    written = []
    for vendor in (connection.vendor, "other"):
        request = rf.get("/api/v1/readers/", REMOTE_ADDR="10.0.0.7")
        request.user = user
        monkeypatch.setattr(connection, "vendor", vendor)
        access = card_access_record(request=request, action=CardAccess.Action.SEARCH,
                                    channel=CardAccess.Channel.API,
                                    readers=[readers[2], readers[0].pk, readers[2]],
                                    family_cards=families)
        monkeypatch.undo()
        assert access.pk is not None and not access._state.adding
        stored = CardAccess.objects.filter(pk=access.pk).values().get()
        assert stored["at"] == access.at
        written.append(({k: v for k, v in stored.items() if k not in ("id", "at")},
                        cards(access), [r.pk for r in access.readers.all()]))
    assert written[0] == written[1]
    assert written[0][0] == {"user_id": user.pk, "action": "search", "channel": "api",
                             "path": "/api/v1/readers/", "count": 2 + len(families),
                             "ip": "10.0.0.7"}
    assert written[0][1] == ({readers[0].pk, readers[2].pk}, {f.pk for f in families})


def test_family_list_names_the_family_cards_and_their_members(api, db):
    family = FamilyCardFactory()
    member = ReaderFactory(family_card=family)
    client = api.as_role("coordinator")
    assert client.get("/api/v1/family-cards/").status_code == 200
    row = only_access()
    assert row.action == "list"
    assert cards(row) == ({member.pk}, {family.pk})


def test_family_card_opened_is_recorded(api, db):
    family = FamilyCardFactory()
    assert api.as_role("coordinator").get(f"/api/v1/family-cards/{family.pk}/").status_code == 200
    row = only_access()
    assert row.action == "view"
    assert cards(row) == (set(), {family.pk})


def test_phone_lookup_at_the_desk_records_every_card_found(api, reader):
    other = ReaderFactory()
    ReaderPhoneFactory(reader=other, number="+77011234567", kind="home")
    client = api.as_role("operator")
    body = client.get("/api/v1/desk/lookup/", {"phone": "8 701 123 45 67"}).json()
    assert len(body["matches"]) == 2
    row = only_access()
    assert (row.action, row.user) == ("lookup", client.user)
    assert cards(row) == ({reader.pk, other.pk}, set())


def test_a_lookup_that_finds_nobody_records_nothing(api, reader):
    api.as_role("operator").get("/api/v1/desk/lookup/", {"phone": "+77770000000"})
    assert not CardAccess.objects.exists()


def test_desk_card_page_is_recorded(reader):
    operator = UserFactory(role="operator")
    client = Client()
    client.force_login(operator)
    assert client.get(f"/desk/readers/{reader.pk}/").status_code == 200
    row = only_access()
    assert (row.user, row.channel) == (operator, "desk")
    assert cards(row) == ({reader.pk}, set())


def test_admin_change_page_is_recorded_but_not_the_save(reader):
    librarian = UserFactory(role="librarian", is_staff=True)
    client = Client()
    client.force_login(librarian)
    url = reverse("admin:readers_reader_change", args=[reader.pk])
    assert client.get(url).status_code == 200
    row = only_access()
    assert (row.user, row.channel) == (librarian, "admin")
    assert cards(row) == ({reader.pk}, set())


def test_export_is_recorded_once_naming_the_cards(api, reader):
    others = ReaderFactory.create_batch(2)
    client = api.as_role("librarian")
    response = client.get("/api/v1/readers/export/", {"format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    row = only_access()
    assert (row.action, row.count) == ("export", 3)
    assert cards(row) == ({reader.pk, *(o.pk for o in others)}, set())


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
    assert set(first) == {"id", "at", "user", "action", "channel", "readers",
                          "family_cards", "count", "path", "ip"}
    assert first["readers"] == [{"id": reader.pk, "card_number": reader.card_number}]

    body = librarian.get("/api/v1/card-access/", {"user": operator.user.pk}).json()
    assert [r["id"] for row in body["results"] for r in row["readers"]] == [other.pk, reader.pk]


def test_filtering_by_reader_finds_rows_that_name_several_cards(api, reader):
    from tests.openapi import assert_documented

    other, third = ReaderFactory(), ReaderFactory()
    operator = api.as_role("operator")
    operator.get("/api/v1/readers/")  # all three
    operator.get(f"/api/v1/readers/{third.pk}/")  # only the third
    librarian = api.as_role("librarian")
    response = librarian.get("/api/v1/card-access/", {"reader": other.pk})
    body = response.json()
    assert body["count"] == 1
    assert {r["id"] for r in body["results"][0]["readers"]} == {reader.pk, other.pk, third.pk}
    assert body["results"][0]["action"] == "list"
    assert_documented(response, "get", "/api/v1/card-access/")
    assert librarian.get("/api/v1/card-access/", {"reader": third.pk}).json()["count"] == 2


def test_filtering_by_family_card_finds_rows_that_name_several(api, db):
    families = FamilyCardFactory.create_batch(2)
    api.as_role("operator").get("/api/v1/family-cards/")
    body = api.as_role("librarian").get("/api/v1/card-access/",
                                        {"family_card": families[1].pk}).json()
    assert body["count"] == 1
    assert {f["id"] for f in body["results"][0]["family_cards"]} == {f.pk for f in families}


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
    row = only_access()
    assert row.action == "lookup"
    assert cards(row) == ({reader.pk}, {family.pk})


def test_desk_search_records_the_cards_it_found(reader):
    operator = UserFactory(role="operator")
    client = Client()
    client.force_login(operator)
    assert client.get("/desk/search/", {"q": reader.last_name}).status_code == 200
    row = only_access()
    assert (row.action, row.channel, row.user) == ("search", "desk", operator)
    assert cards(row) == ({reader.pk}, set())


def test_admin_change_list_records_one_row_for_the_page(reader):
    other = ReaderFactory()
    librarian = UserFactory(role="librarian", is_staff=True)
    client = Client()
    client.force_login(librarian)
    assert client.get(reverse("admin:readers_reader_changelist")).status_code == 200
    row = only_access()
    assert (row.action, row.channel) == ("list", "admin")
    assert cards(row) == ({reader.pk, other.pk}, set())
    CardAccess.objects.all().delete()
    client.get(reverse("admin:readers_reader_changelist"), {"q": reader.card_number})
    assert only_access().action == "search"
    assert cards(only_access()) == ({reader.pk}, set())


def test_reading_history_and_loans_by_reader_are_recorded(api, reader):
    from tests.factories import LoanFactory

    LoanFactory(reader=reader)
    client = api.as_role("operator")
    assert client.get(f"/api/v1/readers/{reader.pk}/reading-history/").status_code == 200
    assert (only_access().action, cards(only_access())) == ("reading", ({reader.pk}, set()))
    CardAccess.objects.all().delete()
    assert client.get("/api/v1/loans/", {"reader": reader.pk}).json()["count"] == 1
    assert (only_access().action, cards(only_access())) == ("reading", ({reader.pk}, set()))
    CardAccess.objects.all().delete()
    assert client.get("/api/v1/orders/", {"reader": reader.pk}).status_code == 200
    assert not CardAccess.objects.exists()  # no order: no card shown


def test_orders_by_reader_are_recorded(api, reader):
    from backend.orders.models import Order

    Order.objects.create(reader=reader, branch=reader.branch, status="new")
    client = api.as_role("coordinator")
    assert client.get("/api/v1/orders/", {"reader": reader.pk}).json()["count"] == 1
    assert cards(only_access()) == ({reader.pk}, set())


@pytest.mark.parametrize(("url", "kind"), [("/api/v1/desk/inbox/", "message"),
                                           ("/api/v1/desk/incoming/", "call")])
def test_desk_inbox_and_incoming_calls_record_the_readers_they_name(api, reader, url, kind):
    other = ReaderFactory()
    InboxItem.objects.create(kind=kind, reader=reader, phone="+77011234567")
    InboxItem.objects.create(kind=kind, reader=other, phone="+77015550000")
    InboxItem.objects.create(kind=kind, phone="+77019990000")  # an unknown caller
    client = api.as_role("operator")
    assert len(client.get(url).json()["results"]) == 3
    row = only_access()
    assert (row.action, row.channel, row.user) == ("list", "desk", client.user)
    assert cards(row) == ({reader.pk, other.pk}, set())
