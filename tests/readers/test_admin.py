"""The librarians' admin for reader and family cards."""
import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backend.readers import services
from backend.readers.models import CardChange, FamilyCard, Reader
from tests.factories import (
    BranchFactory,
    FamilyCardFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    UserFactory,
)

CHANGELIST = reverse("admin:readers_reader_changelist")
ADD = reverse("admin:readers_reader_add")


def change_url(reader) -> str:
    return reverse("admin:readers_reader_change", args=[reader.pk])


@pytest.fixture
def staff_client(client, db):
    """`staff_client("librarian")` signs in a fresh staff user of that role."""

    def sign_in(role, **kwargs):
        kwargs.setdefault("is_staff", True)
        user = UserFactory(role=role, **kwargs)
        client.force_login(user)
        client.user = user
        return client

    return sign_in


def reader_form(branch, **overrides) -> dict:
    data = {
        "last_name": "Ахметова",
        "first_name": "Әлия",
        "patronymic": "Серікқызы",
        "birth_date": "1948-03-12",
        "category": "disability_2",
        "status": "active",
        "branch": branch.pk,
        "language": "kk",
        "settlement": "Бишкуль",
        "street": "Абая",
        "house": "12",
        "apartment": "4",
        "lat": "54.78",
        "lon": "69.1",
        "entrance": "1",
        "floor": "2",
        "door_code": "",
        "elevator": "unknown",
        "landmark": "",
        "access_notes": "Собака во дворе",
        "pref_subjects": "поэзия",
        "pref_formats": ["large_print"],
        "availability_1_0_start": "10:00",
        "availability_1_0_end": "13:00",
        "caregiver_name": "",
        "caregiver_relation": "",
        "caregiver_phone": "",
        "document_type": "disability_certificate",
        "document_number": "МСЭ-123456",
        "document_valid_until": "2027-12-31",
        "consent_date": "2026-01-10",
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "0",
        "phones-MIN_NUM_FORMS": "0",
        "phones-MAX_NUM_FORMS": "1000",
        "phones-0-number": "8 701 123 45 67",
        "phones-0-kind": "mobile",
        "phones-0-sms_ok": "on",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_librarian_opens_reader_list_and_card(staff_client):
    reader = ReaderFactory()
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    client = staff_client("librarian")
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert reader.card_number in listing.content.decode()
    assert "+77011234567" in listing.content.decode()
    page = client.get(change_url(reader))
    assert page.status_code == 200
    html = page.content.decode()
    assert "+77011234567" in html
    assert 'id="card-history"' in html


def test_search_finds_kazakh_name_in_any_case(staff_client):
    found = ReaderFactory(first_name="ӘЛИЯ", last_name="ҚАСЫМОВА")
    other = ReaderFactory(first_name="Мария")
    client = staff_client("librarian")
    response = client.get(CHANGELIST, {"q": "әлия"})
    assert response.status_code == 200
    results = list(response.context["cl"].result_list)
    assert results == [found]
    assert other not in results
    assert list(client.get(CHANGELIST, {"q": "қасымова әлия"}).context["cl"].result_list) == [
        found
    ]


@pytest.mark.parametrize("query", ["8 701 123 45 67", "+7 (701) 123-45-67", "1234567"])
def test_search_finds_reader_by_phone_said_any_way(staff_client, query):
    reader = ReaderFactory()
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    ReaderPhoneFactory(reader=reader, number="+77017654321")
    ReaderPhoneFactory(number="+77019999999")
    client = staff_client("librarian")
    response = client.get(CHANGELIST, {"q": query})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [reader]


def test_search_by_card_number(staff_client):
    reader = ReaderFactory(card_number="B01-00042")
    ReaderFactory()
    client = staff_client("librarian")
    response = client.get(CHANGELIST, {"q": "B01-00042"})
    assert list(response.context["cl"].result_list) == [reader]


def test_librarian_adds_reader_with_phone_through_the_service(staff_client, branch):
    client = staff_client("librarian")
    response = client.post(ADD, reader_form(branch))
    assert response.status_code == 302, response.context["adminform"].form.errors
    reader = Reader.objects.get(last_name="Ахметова")
    assert reader.card_number == f"{branch.code}-{reader.pk:05d}"
    assert [str(p.number) for p in reader.phones.all()] == ["+77011234567"]
    assert reader.preferences == {"subjects": ["поэзия"], "formats": ["large_print"]}
    assert reader.availability == [{"weekday": 1, "start": "10:00", "end": "13:00"}]
    assert reader.consent_recorded_by == client.user
    assert reader.created_by == client.user
    assert reader.search_text  # set by the service, so the API search finds the card
    change = CardChange.objects.get(reader=reader)
    assert change.action == CardChange.Action.CREATED
    assert change.actor == client.user
    assert change.changes["phones"][1] == [
        {"number": "+77011234567", "kind": "mobile", "sms_ok": True}
    ]
    assert LogEntry.objects.filter(object_id=str(reader.pk), user=client.user).exists()


def test_edit_records_the_changed_fields_with_the_admin_as_actor(staff_client, branch):
    client = staff_client("librarian")
    client.post(ADD, reader_form(branch))
    reader = Reader.objects.get(last_name="Ахметова")
    phone = reader.phones.get()
    data = reader_form(
        branch,
        street="Сейфуллина",
        floor="3",
        **{
            "phones-TOTAL_FORMS": "2",
            "phones-INITIAL_FORMS": "1",
            "phones-0-id": str(phone.pk),
            "phones-0-reader": str(reader.pk),
            "phones-1-number": "+7 (702) 555-44-33",
            "phones-1-kind": "home",
            "phones-1-reader": str(reader.pk),
        },
    )
    response = client.post(change_url(reader), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = CardChange.objects.filter(reader=reader).first()  # newest first
    assert change.action == CardChange.Action.UPDATED
    assert change.actor == client.user
    assert set(change.changes) == {"street", "floor", "phones"}
    assert change.changes["street"] == ["Абая", "Сейфуллина"]
    assert change.changes["floor"] == [2, 3]
    assert [str(p.number) for p in reader.phones.all()] == ["+77011234567", "+77025554433"]
    # The consent was not touched, so who recorded it stays the same.
    reader.refresh_from_db()
    assert reader.consent_recorded_by == client.user
    page = client.get(change_url(reader)).content.decode()
    assert "Абая → Сейфуллина" in page


def test_unchanged_save_records_nothing(staff_client, branch):
    client = staff_client("librarian")
    client.post(ADD, reader_form(branch))
    reader = Reader.objects.get(last_name="Ахметова")
    phone = reader.phones.get()
    data = reader_form(branch, **{"phones-INITIAL_FORMS": "1", "phones-0-id": str(phone.pk),
                                  "phones-0-reader": str(reader.pk)})
    response = client.post(change_url(reader), data)
    assert response.status_code == 302
    assert CardChange.objects.filter(reader=reader).count() == 1


def test_active_card_without_consent_is_refused_on_the_form(staff_client, branch):
    client = staff_client("librarian")
    response = client.post(ADD, reader_form(branch, consent_date=""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Reader.objects.exists()
    assert not CardChange.objects.exists()


def test_bad_preferences_and_availability_are_errors_on_their_fields(staff_client, branch):
    client = staff_client("librarian")
    response = client.post(ADD, reader_form(
        branch,
        pref_formats=["vhs"],
        availability_1_0_start="13:00",
        availability_1_0_end="10:00",
    ))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "vhs" in errors["pref_formats"][0]
    assert "Вторник" in errors["availability"][0]
    assert not Reader.objects.exists()


def test_invalid_phone_is_an_error_on_the_inline(staff_client, branch):
    client = staff_client("librarian")
    response = client.post(ADD, reader_form(branch, **{"phones-0-number": "12"}))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "number" in formset.forms[0].errors
    assert not Reader.objects.exists()


def test_operator_has_no_admin_the_librarian_sees_the_whole_card(staff_client, branch):
    """Operators read cards at the phone desk and through the API, not in the admin."""
    librarian = UserFactory(role="librarian", is_staff=True)
    reader = services.reader_create(data={
        "branch": branch, "last_name": "Серикова", "first_name": "Гүлнар",
        "category": "disability_1", "document_type": "disability_certificate",
        "document_number": "МСЭ-777999", "document_valid_until": datetime.date(2027, 1, 1),
        "consent_date": datetime.date(2026, 1, 1),
        "phones": [{"number": "+77011234567"}],
    }, by=librarian)
    services.reader_update(reader=reader, data={"document_number": "МСЭ-888000"}, by=librarian)
    client = staff_client("operator")
    page = client.get(change_url(reader))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("admin:login"))
    login = client.get(page["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Operators work at the phone desk" in login
    assert "Серикова" not in login
    librarian_client = staff_client("librarian")
    assert "МСЭ-888000" in librarian_client.get(change_url(reader)).content.decode()


def test_operator_cannot_save_a_card(staff_client, branch):
    reader = ReaderFactory(branch=branch)
    client = staff_client("operator")
    response = client.post(change_url(reader), reader_form(branch, street="Другая"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    reader.refresh_from_db()
    assert reader.street == "Ленина"


def test_volunteer_gets_no_admin(client, db):
    reader = ReaderFactory()
    volunteer = UserFactory(role="volunteer")
    client.force_login(volunteer)
    response = client.get(change_url(reader))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    staff_volunteer = UserFactory(role="volunteer", is_staff=True)
    client.force_login(staff_volunteer)
    for url in (change_url(reader), CHANGELIST):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_changelist_runs_a_fixed_number_of_queries(staff_client):
    client = staff_client("librarian")
    branches = [BranchFactory(), BranchFactory()]

    def add_readers(count):
        for i in range(count):
            family = FamilyCardFactory(branch=branches[i % 2]) if i % 3 == 0 else None
            reader = ReaderFactory(branch=branches[i % 2], family_card=family,
                                   settlement=f"Село {i % 4}")
            ReaderPhoneFactory(reader=reader)
            ReaderPhoneFactory(reader=reader)

    add_readers(5)
    few = _changelist_queries(client)
    add_readers(25)
    many = _changelist_queries(client)
    assert few == many, (few, many)
    with CaptureQueriesContext(connection) as queries:
        client.get(CHANGELIST, {"q": "8 701"})
    searched = len(queries)
    assert searched <= many + 1


def test_history_and_django_history_show_card_changes(staff_client, branch):
    client = staff_client("librarian", first_name="Айгүл", last_name="Librarian")
    client.post(ADD, reader_form(branch))
    reader = Reader.objects.get()
    page = client.get(change_url(reader)).content.decode()
    assert "Айгүл Librarian" in page
    history = client.get(reverse("admin:readers_reader_history", args=[reader.pk]))
    assert history.status_code == 200
    assert 'id="card-history"' in history.content.decode()


# Family cards -----------------------------------------------------------------------------


def family_form(branch, members, head=None, **overrides) -> dict:
    data = {
        "name": "Семья Ахметовых",
        "branch": branch.pk,
        "loan_limit": "15",
        "head": head.pk if head else "",
        "members": [m.pk for m in members],
        "settlement": "Бишкуль",
        "street": "Абая",
        "house": "12",
        "apartment": "",
        "lat": "",
        "lon": "",
        "entrance": "",
        "floor": "",
        "door_code": "",
        "elevator": "unknown",
        "landmark": "",
        "access_notes": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_family_card_created_with_members_through_the_service(staff_client, branch):
    first, second = ReaderFactory(branch=branch), ReaderFactory(branch=branch)
    client = staff_client("librarian")
    response = client.post(reverse("admin:readers_familycard_add"),
                           family_form(branch, [second], head=first))
    assert response.status_code == 302, response.context["adminform"].form.errors
    family = FamilyCard.objects.get()
    assert family.number == f"{branch.code}-F{family.pk:04d}"
    assert set(family.members.all()) == {first, second}
    assert family.head == first
    change = CardChange.objects.get(family_card=family)
    assert change.actor == client.user
    assert CardChange.objects.filter(reader=first, actor=client.user).exists()
    page = client.get(reverse("admin:readers_familycard_change", args=[family.pk]))
    assert page.status_code == 200
    assert change_url(first) in page.content.decode()
    reader_page = client.get(change_url(first)).content.decode()
    assert reverse("admin:readers_familycard_change", args=[family.pk]) in reader_page


def test_reader_in_another_open_family_is_a_form_error_not_a_500(staff_client, branch):
    reader = ReaderFactory(branch=branch)
    other = FamilyCardFactory(branch=branch)
    reader.family_card = other
    reader.save()
    client = staff_client("librarian")
    response = client.post(reverse("admin:readers_familycard_add"),
                           family_form(branch, [reader]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["members"]
    assert other.number in str(form.non_field_errors())
    assert FamilyCard.objects.count() == 1  # nothing half-written
    reader.refresh_from_db()
    assert reader.family_card == other


def test_closing_a_family_card_releases_members(staff_client, branch):
    client = staff_client("librarian")
    first = ReaderFactory(branch=branch)
    family = services.family_card_create(
        data={"name": "Семья", "branch": branch, "members": [first.pk]}, by=client.user
    )
    response = client.post(
        reverse("admin:readers_familycard_change", args=[family.pk]),
        family_form(branch, [first], status="closed", loan_limit="20"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    family.refresh_from_db()
    assert family.status == "closed"
    assert not family.members.exists()
    assert CardChange.objects.filter(family_card=family, action="closed",
                                     actor=client.user).exists()


def test_family_search_by_member_name_and_number(staff_client, branch):
    family = FamilyCardFactory(branch=branch, number="B01-F0007")
    ReaderFactory(branch=branch, family_card=family, first_name="ӨМІРЗАҚ")
    FamilyCardFactory(branch=branch)
    client = staff_client("librarian")
    url = reverse("admin:readers_familycard_changelist")
    assert list(client.get(url, {"q": "өмірзақ"}).context["cl"].result_list) == [family]
    assert list(client.get(url, {"q": "B01-F0007"}).context["cl"].result_list) == [family]


def test_member_autocomplete_uses_the_reader_search(staff_client):
    reader = ReaderFactory(first_name="ӘЛИЯ")
    ReaderPhoneFactory(reader=reader, number="+77011234567")
    ReaderFactory()
    client = staff_client("librarian")
    url = reverse("admin:autocomplete")
    params = {"app_label": "readers", "model_name": "familycard", "field_name": "head"}
    by_name = client.get(url, {**params, "term": "әлия"})
    assert by_name.status_code == 200
    assert [r["id"] for r in by_name.json()["results"]] == [str(reader.pk)]
    by_phone = client.get(url, {**params, "term": "8 701 123 45 67"})
    assert [r["id"] for r in by_phone.json()["results"]] == [str(reader.pk)]


# History list, branches, site ----------------------------------------------------------------


def test_card_history_admin_is_read_only_for_librarians(staff_client, branch):
    librarian = UserFactory(role="librarian", is_staff=True)
    reader = services.reader_create(data={
        "branch": branch, "last_name": "Иванова", "first_name": "Анна", "category": "elderly",
        "consent_date": datetime.date(2026, 1, 1),
    }, by=librarian)
    change = CardChange.objects.get(reader=reader)
    client = staff_client("librarian")
    url = reverse("admin:readers_cardchange_changelist")
    listing = client.get(url, {"action__exact": "created"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [change]
    assert client.get(url, {"reader__id__exact": reader.pk}).status_code == 200
    detail = client.get(reverse("admin:readers_cardchange_change", args=[change.pk]))
    assert detail.status_code == 200
    assert "Иванова" in detail.content.decode()
    assert client.get(reverse("admin:readers_cardchange_add")).status_code == 403
    coordinator = staff_client("coordinator")
    assert coordinator.get(url).status_code == 403


def test_branch_admin_view_for_staff_edit_for_superusers(staff_client, branch):
    url = reverse("admin:branches_branch_change", args=[branch.pk])
    librarian = staff_client("librarian")
    page = librarian.get(url)
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    assert librarian.post(url, {"name": "Новое"}).status_code == 403
    superuser = staff_client(None, is_superuser=True)
    page = superuser.get(url)
    assert 'name="name"' in page.content.decode()


def test_admin_header_in_russian_with_language_switch(staff_client):
    client = staff_client("librarian")
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Книга 03 — администрирование" in html
    assert reverse("set_language") in html
    for code in ("ru", "kk", "en"):
        assert f'value="{code}"' in html
    kazakh = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Оқырман" in kazakh or "оқырман" in kazakh
    switched = client.post(reverse("set_language"), {"language": "kk", "next": "/admin/"})
    assert switched.status_code == 302
    assert "lang=\"kk\"" in client.get(reverse("admin:index")).content.decode()


def test_login_page_has_the_header_and_language_switch(client, db):
    html = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Книга 03 — администрирование" in html
    assert reverse("set_language") in html


def test_family_cards_and_phones_in_the_admin_are_for_librarians(staff_client, branch):
    librarian = UserFactory(role="librarian", is_staff=True)
    reader = services.reader_create(data={
        "branch": branch, "last_name": "Омарова", "first_name": "Сәуле", "category": "elderly",
        "consent_date": datetime.date(2026, 1, 1), "document_number": "ПУ-555",
        "phones": [{"number": "+77011234567"}],
    }, by=librarian)
    family = services.family_card_create(
        data={"name": "Омаровы", "branch": branch, "members": [reader.pk], "head": reader.pk},
        by=librarian,
    )
    family_url = reverse("admin:readers_familycard_change", args=[family.pk])
    for role, refused in (("operator", 302), ("coordinator", 403)):
        client = staff_client(role)
        for url in (family_url, change_url(reader)):
            response = client.get(url)
            assert response.status_code == refused, (role, url)
            assert "+77011234567" not in response.content.decode()
    client = staff_client("librarian")
    page = client.get(family_url)
    assert page.status_code == 200
    assert change_url(reader) in page.content.decode()
    card = client.get(change_url(reader)).content.decode()
    assert "+77011234567" in card and "ПУ-555" in card


def test_the_same_phone_twice_is_one_error_not_a_crash(staff_client, branch):
    client = staff_client("librarian")
    response = client.post(ADD, reader_form(branch, **{
        "phones-TOTAL_FORMS": "2",
        "phones-1-number": "+77011234567",
        "phones-1-kind": "home",
    }))
    assert response.status_code == 200
    assert not Reader.objects.exists()
