"""A reader in several categories (a pensioner with a disability group): the API reads and
writes them, the history keeps them, the list filter finds a reader under each, coordinators
see none, the import reads several in one cell and the export writes them back, the admin
shows them as checkboxes with their names."""
import datetime
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils.translation import override

from backend.readers import services
from backend.readers.exports import reader_row
from backend.readers.imports import import_readers
from backend.readers.models import CardChange, Category, Reader, ReaderCategory
from tests.factories import ReaderFactory, UserFactory
from tests.readers.test_admin import reader_form
from tests.readers.test_import import csv_bytes, reader_cells
from tests.readers.test_reader_api import reader_payload

URL = "/api/v1/readers/"


@pytest.fixture
def librarian_client(client, db):
    client.force_login(UserFactory(role="librarian", is_staff=True))
    return client


def categories_of(reader) -> list[str]:
    return sorted(ReaderCategory.objects.filter(reader=reader)
                  .values_list("category", flat=True))


def test_librarian_creates_a_card_with_two_categories(api, branch):
    client = api.as_role("librarian")
    response = client.post(URL, reader_payload(branch, category="elderly",
                                               categories=["disability_2"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    # The main category is always among them, first.
    assert body["category"] == "elderly"
    assert body["categories"] == ["elderly", "disability_2"]
    assert len(body["categories_display"]) == 2
    assert "disability_2" not in body["categories_display"]
    assert categories_of(Reader.objects.get(pk=body["id"])) == ["disability_2", "elderly"]


def test_categories_replaced_and_the_change_kept_in_the_history(api, branch):
    client = api.as_role("librarian")
    created = client.post(URL, reader_payload(branch, category="elderly",
                                              categories=["elderly", "veteran"]),
                          format="json").json()
    response = client.patch(f"{URL}{created['id']}/", {"categories": ["disability_1"]},
                            format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["categories"] == ["elderly", "disability_1"]
    change = CardChange.objects.filter(reader_id=created["id"],
                                       action=CardChange.Action.UPDATED).get()
    assert change.changes["categories"] == [["elderly", "veteran"], ["elderly", "disability_1"]]
    assert change.actor == client.user


def test_changing_the_main_category_keeps_the_others(api, branch):
    client = api.as_role("librarian")
    created = client.post(URL, reader_payload(branch, category="elderly",
                                              categories=["disability_2"]),
                          format="json").json()
    response = client.patch(f"{URL}{created['id']}/", {"category": "veteran"}, format="json")
    assert response.json()["categories"] == ["veteran", "disability_2"]


def test_an_unknown_category_is_refused_naming_the_field(api, branch):
    client = api.as_role("librarian")
    response = client.post(URL, reader_payload(branch, categories=["astronaut"]),
                           format="json")
    assert response.status_code == 400
    assert "categories" in response.json()["fields"]
    assert not Reader.objects.exists()


def test_filter_finds_a_reader_under_each_category(api, branch):
    client = api.as_role("librarian")
    both = client.post(URL, reader_payload(branch, category="elderly",
                                           categories=["disability_2"]), format="json").json()
    only_elderly = ReaderFactory(branch=branch, category="elderly")  # no category rows
    veteran = ReaderFactory(branch=branch, category="veteran")

    def found(category):
        response = client.get(URL, {"category": category})
        assert response.status_code == 200
        return sorted(r["id"] for r in response.json()["results"])

    assert found("elderly") == sorted([both["id"], only_elderly.pk])
    assert found("disability_2") == [both["id"]]
    assert found("veteran") == [veteran.pk]
    assert found("other") == []


def test_coordinators_see_no_categories_anywhere(api, branch):
    librarian = api.as_role("librarian")
    created = librarian.post(URL, reader_payload(branch, category="elderly",
                                                 categories=["disability_1"]),
                             format="json").json()
    coordinator = api.as_role("coordinator")
    card = coordinator.get(f"{URL}{created['id']}/").json()
    assert not {"category", "categories", "categories_display"} & set(card)
    assert coordinator.get(URL, {"category": "disability_1"}).status_code == 403
    history = coordinator.get(f"{URL}{created['id']}/history/").json()["results"]
    shown = history[0]["changes"]["categories"]
    assert shown == {"old": None, "new": "***"}
    # Operators take orders on the phone and see them.
    operator = api.as_role("operator").get(f"{URL}{created['id']}/").json()
    assert operator["categories"] == ["elderly", "disability_1"]


# Import and export --------------------------------------------------------------------------


@pytest.mark.parametrize("cell,expected", [
    ("Пенсионер; Инвалид 2 группы", ["elderly", "disability_2"]),
    ("elderly, veteran", ["elderly", "veteran"]),
    # A label with a comma in it, in English, among others separated by commas too.
    ("Veteran, Disability, group II", ["veteran", "disability_2"]),
    ("Ардагер; Басқа", None),  # Kazakh: whatever the catalogue calls them, checked below
    ("disability_1", ["disability_1"]),
])
def test_import_reads_several_categories_in_one_cell(branch, cell, expected):
    if expected is None:
        with override("kk"):
            cell = f"{Category.VETERAN.label}; {Category.OTHER.label}"
        expected = ["veteran", "other"]
    report = import_readers(content=csv_bytes([reader_cells(branch.code, 1, category=cell)]),
                            filename="x.csv")
    assert report.ok, [e.as_dict() for e in report.errors]
    reader = Reader.objects.get()
    assert reader.category == expected[0]
    assert reader.category_codes == expected
    history = CardChange.objects.get(reader=reader)
    assert history.action == CardChange.Action.IMPORTED
    assert history.changes["categories"] == [None, expected]


def test_import_names_the_word_it_cannot_read(branch):
    report = import_readers(
        content=csv_bytes([reader_cells(branch.code, 1, category="Пенсионер; космонавт")]),
        filename="x.csv")
    assert not report.ok
    error = report.errors[0]
    assert (error.row, error.column, error.code) == (2, "category", "invalid_choice")
    assert "космонавт" in error.message
    assert not Reader.objects.exists()


def test_export_writes_every_category_and_imports_back(api, branch):
    reader = services.reader_create(data={
        "branch": branch, "last_name": "Омарова", "first_name": "Гүлнар",
        "birth_date": datetime.date(1950, 1, 2), "category": "elderly",
        "categories": ["veteran", "disability_3"]})
    row = reader_row(Reader.objects.prefetch_related("category_rows").get(pk=reader.pk))
    assert row["category"] == "elderly; disability_3; veteran"
    row["branch"] = branch.code
    row["card_number"] = ""
    Reader.objects.all().delete()
    report = import_readers(content=csv_bytes([row]), filename="x.csv")
    assert report.ok, [e.as_dict() for e in report.errors]
    assert Reader.objects.get().category_codes == ["elderly", "disability_3", "veteran"]


# The admin ----------------------------------------------------------------------------------


def test_admin_form_shows_categories_as_words_and_saves_them(librarian_client, branch):
    client = librarian_client
    add = reverse("admin:readers_reader_add")
    page = client.get(add).content.decode()
    assert 'type="checkbox" name="categories" value="disability_2"' in page
    with override("ru"):
        assert str(Category.DISABILITY_2.label) in page
    response = client.post(add, reader_form(branch, category="elderly",
                                             categories=["elderly", "disability_2"]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    reader = Reader.objects.get()
    assert reader.category_codes == ["elderly", "disability_2"]
    change = reverse("admin:readers_reader_change", args=[reader.pk])
    form = client.get(change).context["adminform"].form
    assert form["categories"].value() == ["elderly", "disability_2"]

    phone = reader.phones.get()
    data = reader_form(branch, category="elderly", categories=["veteran"],
                       **{"phones-INITIAL_FORMS": "1", "phones-0-id": str(phone.pk),
                          "phones-0-reader": str(reader.pk)})
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # The main category stays among them although it was left unticked.
    assert Reader.objects.get().category_codes == ["elderly", "veteran"]
    # The history names the categories in words, never as codes.
    history = client.get(reverse("admin:readers_reader_history", args=[reader.pk]))
    text = history.content.decode()
    with override("ru"):
        assert str(Category.VETERAN.label) in text
    assert "veteran" not in text and "disability_2" not in text


def test_admin_list_filter_finds_a_reader_under_each_category(librarian_client, branch):
    client = librarian_client
    services.reader_create(data={"branch": branch, "last_name": "Сейткали",
                                 "first_name": "Нұржан", "category": "elderly",
                                 "categories": ["disability_2"]})
    ReaderFactory(branch=branch, last_name="Петрова", category="veteran")
    page = client.get(reverse("admin:readers_reader_changelist"),
                      {"category__exact": "disability_2"}).content.decode()
    assert "Сейткали" in page and "Петрова" not in page


def test_every_reader_gets_its_category_when_migrating(db):
    migration = import_module("backend.readers.migrations.0011_reader_categories")
    # Cards written before the table existed (as the factory writes them): no rows.
    elderly, veteran = (ReaderFactory(category=c) for c in ("elderly", "veteran"))
    assert not ReaderCategory.objects.exists()
    migration.every_reader_gets_its_category(django_apps, None)
    assert sorted(ReaderCategory.objects.values_list("reader_id", "category")) == sorted([
        (elderly.pk, "elderly"), (veteran.pk, "veteran")])
