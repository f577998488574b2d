"""Names that hide or reorder text, cards with a directory of phones, negative house numbers:
refused with the field named by the API, the admin and the import alike."""
import pytest
from django.urls import reverse

from backend.readers.imports import columns, import_readers
from backend.readers.models import FamilyCard, Reader, ReaderPhone
from tests.factories import FamilyCardFactory, ReaderFactory
from tests.readers.test_admin import family_form, reader_form, staff_client  # noqa: F401
from tests.readers.test_family_api import family_payload
from tests.readers.test_import import csv_bytes, reader_cells
from tests.readers.test_reader_api import reader_payload

READERS = "/api/v1/readers/"
FAMILIES = "/api/v1/family-cards/"

# Each shows as a name (or as nothing) on a screen, and each is refused.
HIDDEN = {
    "zero_width_only": "\u200b\u200c\u200d",
    "word_joiner_and_bom_only": "\u2060\ufeff",
    "right_to_left_override": "Ахметова\u202e\u0430\u0432\u043e\u043d",
    "left_to_right_embedding": "\u202aАхметова\u202c",
    "isolates": "\u2066Ахметова\u2069",
    "direction_marks": "\u200fАхметова\u200e",
    "joiner_inside": "Ахме\u200dтова",
    "control_character": "Ахметова\x07",
    "hangul_filler": "\u3164",
}
KAZAKH = {"last_name": "Жұмабаева", "first_name": "Әлия"}


def first_field_error(body: dict, *path):
    value = body["fields"]
    for key in path:
        value = value[key]
    return value


# API: reader cards ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", HIDDEN.values(), ids=HIDDEN.keys())
def test_api_refuses_a_reader_name_with_hidden_characters(api, branch, name):
    client = api.as_role("librarian")
    response = client.post(READERS, reader_payload(branch, last_name=name), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "text.hidden_characters"
    assert set(body["fields"]) == {"last_name"}
    assert "U+" in body["message"] and body["message"].startswith("last_name: ")
    assert not Reader.objects.exists()


def test_api_refuses_a_name_of_accents_only_and_says_so_in_kazakh(api, branch):
    client = api.as_role("librarian")
    response = client.post(READERS, reader_payload(branch, first_name="\u0301 \u0308"),
                           format="json", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "name.nothing_visible"
    assert first_field_error(body, "first_name") == [
        "Атау тек екпін белгілерінен немесе бос орындардан тұрмауы керек."]


def test_api_keeps_a_dash_for_no_patronymic_and_a_formula_like_house(api, branch):
    client = api.as_role("librarian")
    address = {**reader_payload(branch)["address"], "house": "-2+3", "apartment": "12А"}
    response = client.post(READERS, reader_payload(branch, patronymic="-", address=address),
                           format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("field", ["last_name", "first_name", "patronymic"])
def test_api_refuses_hidden_characters_when_a_reader_is_changed(api, branch, field):
    client = api.as_role("librarian")
    reader = ReaderFactory(branch=branch, last_name="Ахметова")
    response = client.patch(f"{READERS}{reader.id}/", {field: "\u2067Ахметова"},
                            format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "text.hidden_characters"
    assert set(body["fields"]) == {field}
    reader.refresh_from_db()
    assert reader.last_name == "Ахметова"


def test_api_refuses_a_caregiver_name_made_of_zero_width_characters(api, branch):
    client = api.as_role("librarian")
    response = client.post(READERS, reader_payload(
        branch, caregiver={"name": "\u200b\u200b", "phone": "87075554433"}), format="json")
    assert response.status_code == 400
    assert first_field_error(response.json(), "caregiver", "name")


def test_api_keeps_a_kazakh_name(api, branch):
    client = api.as_role("librarian")
    response = client.post(READERS, reader_payload(
        branch, **KAZAKH, patronymic="Серікқызы",
        caregiver={"name": "Қызы Айгүл", "relation": "қызы"}), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["full_name"] == "Жұмабаева Әлия Серікқызы"
    assert body["caregiver"]["name"] == "Қызы Айгүл"


def test_api_refuses_more_than_five_phones_naming_the_first_one_over(api, branch):
    client = api.as_role("librarian")
    phones = [{"number": f"8 701 000 00 {n:02d}"} for n in range(6)]
    response = client.post(READERS, reader_payload(branch, phones=phones), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "reader.too_many_phones"
    assert body["message"].startswith("phones[5]: ")
    assert first_field_error(body, "phones", 5) == ["В формуляре может быть не больше 5 телефонов."]
    assert not Reader.objects.exists()


def test_api_refuses_a_thousand_phones_on_change_and_keeps_five(api, branch):
    client = api.as_role("librarian")
    created = client.post(READERS, reader_payload(
        branch, phones=[{"number": f"8 701 000 00 {n:02d}"} for n in range(5)]), format="json")
    assert created.status_code == 201, created.json()
    reader_id = created.json()["id"]
    phones = [{"number": f"8 701 {n // 10000:03d} {n // 100 % 100:02d} {n % 100:02d}"}
              for n in range(1000)]
    response = client.patch(f"{READERS}{reader_id}/", {"phones": phones}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reader.too_many_phones"
    assert ReaderPhone.objects.filter(reader_id=reader_id).count() == 5


@pytest.mark.parametrize("field", ["house", "apartment", "entrance"])
def test_api_refuses_a_negative_house_apartment_or_entrance(api, branch, field):
    client = api.as_role("librarian")
    address = {**reader_payload(branch)["address"], field: "-3"}
    response = client.post(READERS, reader_payload(branch, address=address), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "address.negative_number"
    assert set(first_field_error(body, "address")) == {field}


def test_api_refuses_a_street_that_reorders_itself(api, branch):
    client = api.as_role("librarian")
    address = {**reader_payload(branch)["address"], "street": "Абая\u202e21"}
    response = client.post(READERS, reader_payload(branch, address=address), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "text.hidden_characters"
    assert first_field_error(response.json(), "address", "street")


# API: family cards ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [HIDDEN["zero_width_only"], HIDDEN["isolates"]])
def test_api_refuses_a_family_name_with_hidden_characters(api, branch, name):
    client = api.as_role("librarian")
    members = [ReaderFactory(branch=branch), ReaderFactory(branch=branch)]
    response = client.post(FAMILIES, family_payload(branch, members, name=name), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "text.hidden_characters"
    assert set(body["fields"]) == {"name"}
    assert not FamilyCard.objects.exists()


def test_api_refuses_a_hidden_family_name_on_change_and_keeps_a_kazakh_one(api, branch):
    client = api.as_role("librarian")
    family = FamilyCardFactory(branch=branch, name="Семья Ахметовых")
    refused = client.patch(f"{FAMILIES}{family.id}/", {"name": "\ufeff"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"name"}
    kept = client.patch(f"{FAMILIES}{family.id}/", {"name": "Жұмабаевтар отбасы"},
                        format="json")
    assert kept.status_code == 200, kept.json()
    family.refresh_from_db()
    assert family.name == "Жұмабаевтар отбасы"


def test_api_refuses_a_negative_entrance_on_a_family_card(api, branch):
    client = api.as_role("librarian")
    family = FamilyCardFactory(branch=branch)
    response = client.patch(f"{FAMILIES}{family.id}/", {"address": {"entrance": "-1"}},
                            format="json")
    assert response.status_code == 400
    assert first_field_error(response.json(), "address", "entrance")


# The admin -----------------------------------------------------------------------------------


def test_admin_refuses_a_reversed_name_on_the_field(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    response = client.post(reverse("admin:readers_reader_add"),
                           reader_form(branch, last_name="\u202eавотемхА"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"last_name"}
    assert "U+202E" in errors["last_name"][0]
    assert not Reader.objects.exists()


def test_admin_refuses_a_zero_width_caregiver_and_a_negative_apartment(
        staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    response = client.post(reverse("admin:readers_reader_add"),
                           reader_form(branch, caregiver_name="\u200b", apartment="-4"))
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"caregiver_name", "apartment"}
    assert not Reader.objects.exists()


def test_admin_refuses_a_sixth_phone(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    phones = {"phones-TOTAL_FORMS": "6"}
    for n in range(6):
        phones.update({f"phones-{n}-number": f"8 701 000 00 {n:02d}",
                       f"phones-{n}-kind": "mobile"})
    response = client.post(reverse("admin:readers_reader_add"), reader_form(branch, **phones))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == ["В формуляре может быть не больше 5 телефонов."]
    assert not Reader.objects.exists()


def test_admin_keeps_a_kazakh_name_with_five_phones(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    phones = {"phones-TOTAL_FORMS": "5"}
    for n in range(5):
        phones.update({f"phones-{n}-number": f"8 701 000 00 {n:02d}",
                       f"phones-{n}-kind": "mobile"})
    response = client.post(reverse("admin:readers_reader_add"),
                           reader_form(branch, **KAZAKH, **phones))
    assert response.status_code == 302
    reader = Reader.objects.get()
    assert reader.full_name.startswith("Жұмабаева Әлия")
    assert reader.phones.count() == 5


def test_admin_refuses_a_family_name_of_zero_width_characters(staff_client, branch):  # noqa: F811
    client = staff_client("librarian")
    members = [ReaderFactory(branch=branch)]
    response = client.post(reverse("admin:readers_familycard_add"),
                           family_form(branch, members, name="\u200b\u2060"))
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not FamilyCard.objects.exists()


# The import ----------------------------------------------------------------------------------


def test_import_names_the_row_and_column_of_each_hidden_name_and_extra_phone(branch):
    header = columns(phone_count=6)
    extra_phones = {f"phone{n}": f"8 702 000 00 {n:02d}" for n in range(1, 7)}
    rows = [
        reader_cells(branch.code, 0, last_name="\u200b\u200c"),
        reader_cells(branch.code, 1, first_name="Әлия\u202e"),
        reader_cells(branch.code, 2, caregiver_name="\u2066Айгүл\u2069"),
        reader_cells(branch.code, 3, **extra_phones),
        reader_cells(branch.code, 4, entrance="-2"),
        reader_cells(branch.code, 5, **KAZAKH),
    ]
    report = import_readers(content=csv_bytes(rows, header=header), filename="x.csv")
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {
        (2, "last_name", "text.hidden_characters"),
        (3, "first_name", "text.hidden_characters"),
        (4, "caregiver_name", "text.hidden_characters"),
        (5, "phone6", "reader.too_many_phones"),
        (6, "entrance", "address.negative_number"),
    }
    assert report.created == 0
    assert not Reader.objects.exists()


def test_import_keeps_a_kazakh_name(branch):
    report = import_readers(content=csv_bytes([reader_cells(branch.code, 1, **KAZAKH)]),
                            filename="x.csv")
    assert report.ok, [e.as_dict() for e in report.errors]
    assert Reader.objects.get().last_name == "Жұмабаева"
