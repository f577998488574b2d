"""Staff API for titles and copies: search, filters, roles, validation, status changes."""
import pytest

from backend.catalog.models import Item, Title
from tests.catalog.helpers import isbn13, make_record, marc_file
from tests.factories import BranchFactory, ItemFactory, TitleFactory
from tests.openapi import assert_documented

TITLES = "/api/v1/titles/"
ITEMS = "/api/v1/items/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def librarian(api):
    return api.as_role("librarian")


def found(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


# Search -----------------------------------------------------------------------------------------


def test_search_is_case_insensitive_for_cyrillic_and_kazakh(api):
    TitleFactory(title="АБАЙ ЖОЛЫ", authors=["МҰХТАР ӘУЕЗОВ"], language="kk")
    TitleFactory(title="Тихий Дон", authors=["Михаил Шолохов"])
    client = api.as_role("operator")

    assert found(client.get(TITLES, {"q": "абай"})) == ["АБАЙ ЖОЛЫ"]
    assert found(client.get(TITLES, {"q": "мұхтар әуезов"})) == ["АБАЙ ЖОЛЫ"]
    assert found(client.get(TITLES, {"q": "ТИХИЙ"})) == ["Тихий Дон"]
    assert found(client.get(TITLES, {"q": "шолохов дон"})) == ["Тихий Дон"]
    assert found(client.get(TITLES, {"q": "ұлпан"})) == []


def test_search_finds_an_isbn_in_any_hyphenation_and_a_barcode(api):
    isbn = isbn13("978601030370")  # 9786010303706
    TitleFactory(title="Абай жолы", isbn=isbn)
    other = TitleFactory(title="Ботагөз")
    ItemFactory(title=other, barcode="BSH000123")
    client = api.as_role("coordinator")

    for query in (isbn, "978-601-03-0370-6", "978 601 03 0370 6", "978-6010303706"):
        assert found(client.get(TITLES, {"q": query})) == ["Абай жолы"], query
    assert found(client.get(TITLES, {"q": "BSH000123"})) == ["Ботагөз"]


def test_titles_show_copies_and_available_counts_and_filter(api):
    bsh, sok = BranchFactory(code="BSH"), BranchFactory(code="SOK")
    abai = TitleFactory(title="Қара сөздер", language="kk", format="large_print",
                        subjects=["Поэзия", "қазақ әдебиеті"])
    ItemFactory(title=abai, branch=bsh)
    ItemFactory(title=abai, branch=sok, status="on_loan")
    ItemFactory(title=abai, branch=sok, status="lost")
    TitleFactory(title="Война и мир", language="ru", subjects=["роман"])
    client = api.as_role("librarian")

    rows = client.get(TITLES, {"q": "қара"}).json()["results"]
    assert [(r["copies"], r["available"]) for r in rows] == [(3, 1)]
    assert found(client.get(TITLES, {"language": "kk"})) == ["Қара сөздер"]
    assert found(client.get(TITLES, {"format": "large_print"})) == ["Қара сөздер"]
    assert found(client.get(TITLES, {"subject": "ПОЭЗИЯ"})) == ["Қара сөздер"]
    assert found(client.get(TITLES, {"available_at": bsh.pk})) == ["Қара сөздер"]
    assert found(client.get(TITLES, {"available_at": sok.pk})) == []
    assert client.get(TITLES, {"format": "scroll"}).json()["fields"].keys() == {"format"}


def test_title_detail_lists_its_copies(api):
    title = TitleFactory(title="Ұлпан")
    ItemFactory(title=title, barcode="B2", branch=BranchFactory(code="SOK"))
    ItemFactory(title=title, barcode="B1", branch=BranchFactory(code="BSH"))

    body = api.as_role("operator").get(f"{TITLES}{title.pk}/").json()

    assert (body["copies"], body["available"]) == (2, 2)
    assert [(i["barcode"], i["branch_code"], i["status"]) for i in body["items"]] == [
        ("B1", "BSH", "available"), ("B2", "SOK", "available")]


# Roles ----------------------------------------------------------------------------------------


def test_volunteers_get_403_and_only_librarians_write(api, branch):
    title = TitleFactory()
    item = ItemFactory(title=title, branch=branch)
    volunteer = api.as_role("volunteer")
    for url in (TITLES, f"{TITLES}{title.pk}/", ITEMS, f"{ITEMS}{item.pk}/"):
        assert volunteer.get(url).status_code == 403, url

    for role in ("operator", "coordinator"):
        client = api.as_role(role)
        assert client.get(TITLES).status_code == 200
        assert client.get(ITEMS).status_code == 200
        response = client.post(TITLES, {"title": "Новая книга"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert client.patch(f"{TITLES}{title.pk}/", {"year": 2001},
                            format="json").status_code == 403
        assert client.post(ITEMS, {"title": title.pk, "barcode": "X", "branch": branch.pk},
                           format="json").status_code == 403
        assert client.post(f"{ITEMS}{item.pk}/status/", {"status": "lost"},
                           format="json").status_code == 403
        assert client.post(f"{TITLES}import/", {}).status_code == 403
    assert Title.objects.count() == 1 and Item.objects.get().status == "available"


def test_anonymous_gets_401(client):
    assert client.get(TITLES).status_code == 401


# Writing and validation -----------------------------------------------------------------------


def test_librarian_creates_and_updates_a_title(librarian):
    response = librarian.post(TITLES, {
        "title": "Абай жолы", "authors": ["Мұхтар Әуезов"], "language": "kk",
        "format": "large_print", "subjects": ["қазақ әдебиеті", "роман"],
        "isbn": "978-601-03-0370-6", "year": 2017, "publisher": "Жазушы", "age_rating": "12+",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["isbn"] == "9786010303706"
    assert (body["copies"], body["available"], body["items"]) == (0, 0, [])

    response = librarian.patch(f"{TITLES}{body['id']}/", {"title": "Абай жолы. 1-кітап"},
                               format="json")
    assert response.status_code == 200, response.content
    title = Title.objects.get()
    assert (title.title, title.year, title.language) == ("Абай жолы. 1-кітап", 2017, "kk")
    assert found(librarian.get(TITLES, {"q": "1-КІТАП"})) == ["Абай жолы. 1-кітап"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": "X", "isbn": "978-601-03-0370-1"}, "isbn"),  # wrong check digit
    ({"title": "X", "isbn": "12345"}, "isbn"),
    ({"title": "X", "isbn": "0-306-40615-3"}, "isbn"),  # ISBN-10, wrong check digit
    ({"title": "X", "year": 999}, "year"),
    ({"title": "X", "year": 2999}, "year"),
    ({"title": "X", "authors": "Абай"}, "authors"),
    ({"title": "X", "authors": [["Абай"]]}, "authors"),
    ({"title": "X", "subjects": {"a": 1}}, "subjects"),
    ({"title": "X", "format": "scroll"}, "format"),
    ({"title": ""}, "title"),
    ({"authors": ["Абай"]}, "title"),
])
def test_validation_errors_name_the_field(librarian, payload, field):
    response = librarian.post(TITLES, payload, format="json", **EN)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {field}
    assert body["message"].startswith(f"{field}")
    assert not Title.objects.exists()


def test_valid_isbn10_with_x_is_accepted(librarian):
    response = librarian.post(TITLES, {"title": "X", "isbn": "0-8044-2957-X"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["isbn"] == "080442957X"


def test_patch_validates_too(librarian):
    title = TitleFactory()
    response = librarian.patch(f"{TITLES}{title.pk}/", {"isbn": "9786010303701"}, format="json",
                               **EN)
    assert response.status_code == 400
    assert "check digit" in response.json()["fields"]["isbn"][0]


# Copies ---------------------------------------------------------------------------------------


def test_copies_are_created_listed_filtered_and_moved(librarian):
    bsh, sok = BranchFactory(code="BSH"), BranchFactory(code="SOK")
    title = TitleFactory(title="Көшпенділер", authors=["Ілияс Есенберлин"])
    response = librarian.post(ITEMS, {"title": title.pk, "barcode": " BSH000001 ",
                                      "branch": bsh.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["barcode"] == "BSH000001"
    assert response.json()["title"]["title"] == "Көшпенділер"
    ItemFactory(barcode="SOK000001", branch=sok, status="on_loan")

    duplicate = librarian.post(ITEMS, {"title": title.pk, "barcode": "BSH000001",
                                       "branch": bsh.pk}, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "item.barcode_taken"

    def barcodes(**params):
        response = librarian.get(ITEMS, params)
        assert response.status_code == 200, response.content
        return [row["barcode"] for row in response.json()["results"]]

    assert barcodes() == ["BSH000001", "SOK000001"]
    assert barcodes(barcode="SOK000001") == ["SOK000001"]
    assert barcodes(status="on_loan") == ["SOK000001"]
    assert barcodes(branch=bsh.pk) == ["BSH000001"]
    assert barcodes(title=title.pk) == ["BSH000001"]
    assert barcodes(q="ЕСЕНБЕРЛИН") == ["BSH000001"]

    item = Item.objects.get(barcode="BSH000001")
    response = librarian.patch(f"{ITEMS}{item.pk}/", {"branch": sok.pk, "shelf_mark": "84(5Каз)"},
                               format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["branch_code"], response.json()["shelf_mark"]) == ("SOK", "84(5Каз)")
    assert librarian.get(f"{ITEMS}{item.pk}/").json()["barcode"] == "BSH000001"


def test_status_changes_go_through_write_off_rules(librarian, branch):
    item = ItemFactory(branch=branch)
    url = f"{ITEMS}{item.pk}/status/"

    assert librarian.post(url, {"status": "in_transit"}, format="json").json()["status"] == \
        "in_transit"
    assert librarian.post(url, {"status": "lost"}, format="json").json()["status"] == "lost"
    assert librarian.post(url, {"status": "withdrawn"}, format="json").status_code == 200

    refused = librarian.post(url, {"status": "available"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "item.invalid_transition"

    bad = librarian.post(url, {"status": "on_loan"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"status"}
    item.refresh_from_db()
    assert item.status == "withdrawn"


# Import through the API -----------------------------------------------------------------------


def test_import_api_imports_a_marc_file(librarian):
    BranchFactory(code="BSH")
    records = [make_record(n, isbn=isbn13(f"978601{n:06d}"), barcodes=(f"BSH{n:06d}",))
               for n in range(1, 11)]
    upload = marc_file(records)
    from django.core.files.uploadedfile import SimpleUploadedFile

    dry = librarian.post(f"{TITLES}import/", {
        "file": SimpleUploadedFile("c.mrc", upload), "dry_run": "true"}, format="multipart")
    assert dry.status_code == 200, dry.content
    assert (dry.json()["titles_to_create"], dry.json()["titles_created"]) == (10, 0)
    assert not Title.objects.exists()

    done = librarian.post(f"{TITLES}import/", {"file": SimpleUploadedFile("c.mrc", upload)},
                          format="multipart")
    assert done.status_code == 200, done.content
    assert (done.json()["titles_created"], done.json()["items_created"]) == (10, 10)
    assert found(librarian.get(TITLES, {"q": "7: ТАҢДАМАЛЫ"})) == ["Қара сөздер 7: таңдамалы"]


def test_import_api_names_bad_records_and_writes_nothing(librarian):
    from django.core.files.uploadedfile import SimpleUploadedFile

    BranchFactory(code="BSH")
    records = [make_record(n, barcodes=(f"B{n}",), title=False if n == 3 else None)
               for n in range(1, 6)]
    response = librarian.post(f"{TITLES}import/", {
        "file": SimpleUploadedFile("batch.dat", marc_file(records)), "format": "marc",
        "branch": "BSH"}, format="multipart", **EN)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import.invalid_records"
    assert body["message"] == "1 record has errors; nothing was imported.", body["report"]
    assert body["fields"]["records"] == [{
        "position": 3, "field": "245$a", "code": "import.missing_title",
        "message": "The title is missing."}]
    assert body["report"]["total_records"] == 5
    assert not Title.objects.exists() and not Item.objects.exists()


def test_import_api_needs_a_known_format_and_branch(librarian):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = librarian.post(f"{TITLES}import/", {
        "file": SimpleUploadedFile("list.txt", b"title\nX\n")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "import.unknown_format"

    response = librarian.post(f"{TITLES}import/", {
        "file": SimpleUploadedFile("list.csv", b"title\nX\n"), "branch": "NOPE"},
        format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "import.unknown_branch"
    assert "branch" in response.json()["fields"]


def test_the_schema_documents_the_catalog(librarian):
    response = librarian.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/titles/", "/api/v1/titles/{id}/", "/api/v1/titles/import/",
            "/api/v1/items/", "/api/v1/items/{id}/", "/api/v1/items/{id}/status/"} <= set(paths)


def test_every_import_error_answers_the_documented_shape(librarian):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"{TITLES}import/"
    BranchFactory(code="BSH")
    no_file = librarian.post(url, {"dry_run": "true"}, format="multipart")
    unknown_format = librarian.post(url, {"file": SimpleUploadedFile("list.txt", b"title\nX\n")},
                                    format="multipart")
    bad_record = librarian.post(url, {
        "file": SimpleUploadedFile("batch.dat", marc_file([make_record(1, title=False)])),
        "format": "marc", "branch": "BSH"}, format="multipart")
    codes = [r.json()["code"] for r in (no_file, unknown_format, bad_record)]
    assert codes == ["validation_error", "import.unknown_format", "import.invalid_records"]
    for response in (no_file, unknown_format, bad_record):
        assert response.status_code == 400
        assert_documented(response, "post", url)


@pytest.mark.parametrize("url, name", [(ITEMS, "branch"), (ITEMS, "title"),
                                       (TITLES, "available_at")])
def test_an_id_no_database_can_hold_is_a_bad_parameter_not_a_500(librarian, url, name):
    response = librarian.get(url, {name: 10**30})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [name]
