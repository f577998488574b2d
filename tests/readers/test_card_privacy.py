"""What each role reads on a reader card: librarians all of it, operators all but the
eligibility document, coordinators what planning a route needs (name, address, access notes,
phones, caregiver, home hours, family) and not the birth date, category, reading formats,
consent record or document. The API, the card history and the admin agree."""
import datetime

import pytest
from django.urls import reverse

from backend.readers import services
from tests.factories import BranchFactory, UserFactory

URL = "/api/v1/readers/"
EVERY_FIELD = {
    "id", "card_number", "last_name", "first_name", "patronymic", "full_name", "birth_date",
    "category", "category_display", "categories", "categories_display",
    "status", "language", "branch", "branch_name", "phones",
    "address", "delivery_address", "access_notes", "preferences", "availability", "caregiver",
    "family_card", "consent", "document", "created_at", "updated_at", "contact_channel",
    # Where the coordinates come from: every role that sees the address sees it.
    "geocode_status", "geocode_status_display", "geocode_candidates",
}
NOT_FOR_COORDINATORS = {"birth_date", "category", "category_display", "categories",
                        "categories_display", "preferences", "consent", "document"}
SEEN = {
    "librarian": EVERY_FIELD,
    "operator": EVERY_FIELD - {"document"},
    "coordinator": EVERY_FIELD - NOT_FOR_COORDINATORS,
}
BIRTH_DATE = datetime.date(1941, 3, 8)


@pytest.fixture
def reader(db):
    librarian = UserFactory(role="librarian")
    return services.reader_create(data={
        "branch": BranchFactory(), "last_name": "Жұмабаева", "first_name": "Сәуле",
        "birth_date": BIRTH_DATE, "category": "disability_1", "categories": ["elderly"],
        "document_type": "disability_certificate", "document_number": "МСЭ-424242",
        "document_valid_until": datetime.date(2027, 1, 1),
        "consent_date": datetime.date(2026, 1, 15),
        "preferences": {"formats": ["braille"], "subjects": ["поэзия"]},
        "availability": [{"weekday": 1, "start": "10:00", "end": "13:00"}],
        "access_notes": "Звонить в домофон 12", "caregiver_name": "Айгүл",
        "caregiver_phone": "+77017778899", "phones": [{"number": "+77011234567"}],
        "street": "Абая", "house": "5",
    }, by=librarian)


@pytest.mark.parametrize("role", sorted(SEEN))
def test_each_role_reads_its_own_part_of_the_card(api, reader, role):
    client = api.as_role(role)
    card = client.get(f"{URL}{reader.pk}/").json()
    listed = client.get(URL).json()["results"]
    assert set(card) == SEEN[role]
    assert [set(row) for row in listed] == [SEEN[role]]


def test_coordinator_card_has_what_planning_needs(api, reader):
    card = api.as_role("coordinator").get(f"{URL}{reader.pk}/").json()
    assert card["full_name"] == "Жұмабаева Сәуле"
    assert card["delivery_address"]["street"] == "Абая"
    assert card["access_notes"] == "Звонить в домофон 12"
    assert card["phones"][0]["number"] == "+77011234567"
    assert card["caregiver"]["phone"] == "+77017778899"
    assert card["availability"] == [{"weekday": 1, "start": "10:00", "end": "13:00"}]
    text = str(card)
    for secret in ("1941", "disability", "braille", "МСЭ-424242"):
        assert secret not in text


def test_operator_reads_birth_date_and_category_but_not_the_document(api, reader):
    card = api.as_role("operator").get(f"{URL}{reader.pk}/").json()
    assert card["birth_date"] == "1941-03-08"
    assert card["category"] == "disability_1"
    assert card["preferences"]["formats"] == ["braille"]
    assert "МСЭ-424242" not in str(card)


def test_librarian_reads_the_document_and_consent(api, reader):
    card = api.as_role("librarian").get(f"{URL}{reader.pk}/").json()
    assert card["document"] == {"type": "disability_certificate", "number": "МСЭ-424242",
                                "valid_until": "2027-01-01"}
    assert card["consent"]["date"] == "2026-01-15"
    assert card["consent"]["recorded_by"]


def test_coordinator_cannot_filter_by_category(api, reader):
    coordinator = api.as_role("coordinator")
    response = coordinator.get(URL, {"category": "disability_1"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "Жұмабаева" not in response.content.decode()
    assert coordinator.get(URL, {"settlement": "Бишкуль"}).status_code == 200
    operator = api.as_role("operator").get(URL, {"category": "disability_1"})
    assert [r["id"] for r in operator.json()["results"]] == [reader.pk]


def test_history_masks_what_the_role_does_not_see_on_the_card(api, reader):
    services.reader_update(reader=reader, data={"birth_date": datetime.date(1941, 3, 9),
                                                "category": "disability_2",
                                                "street": "Сейфуллина"},
                           by=UserFactory(role="librarian"))
    url = f"{URL}{reader.pk}/history/"
    coordinator = api.as_role("coordinator").get(url).json()["results"]
    changes = coordinator[0]["changes"]
    assert changes["birth_date"] == {"old": "***", "new": "***"}
    assert changes["category"] == {"old": "***", "new": "***"}
    assert changes["street"] == {"old": "Абая", "new": "Сейфуллина"}
    created = coordinator[1]["changes"]
    for field in ("preferences", "consent_date", "document_number"):
        assert created[field]["new"] == "***"
    for secret in ("1941", "disability", "braille", "МСЭ-424242"):
        assert secret not in str(coordinator)
    operator = api.as_role("operator").get(url).json()["results"]
    assert operator[0]["changes"]["birth_date"] == {"old": "1941-03-08", "new": "1941-03-09"}
    assert operator[1]["changes"]["document_number"]["new"] == "***"


def test_schema_declares_the_role_dependent_fields_as_optional(api, db):
    # The schema is the same whoever asks for it, and says which fields a role may miss.
    for client in (api, api.as_role("coordinator")):
        schema = client.get("/api/schema/", {"format": "json"},
                            HTTP_ACCEPT_LANGUAGE="ru").json()
        card = schema["components"]["schemas"]["ReaderOutput"]
        assert set(card["properties"]) >= NOT_FOR_COORDINATORS
        assert not NOT_FOR_COORDINATORS & set(card["required"])
        assert card["properties"]["document"]["description"] == "Только библиотекари."


def test_coordinator_admin_has_no_reader_cards(client, reader):
    """Coordinators read cards through the API (above) and the day plan; their admin is for
    volunteers."""
    coordinator = UserFactory(role="coordinator", is_staff=True)
    client.force_login(coordinator)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:volunteers_volunteer_changelist") in index
    assert reverse("admin:readers_reader_changelist") not in index
    for url in (reverse("admin:readers_reader_changelist"),
                reverse("admin:readers_reader_change", args=[reader.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "Жұмабаева" not in response.content.decode()
