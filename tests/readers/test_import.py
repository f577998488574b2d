"""Import of reader cards from CSV and XLSX: every row checked, all or nothing."""
import csv
import io

import pytest
from django.core.management import call_command
from django.urls import include, path
from openpyxl import Workbook

from backend.config.urls import urlpatterns as site_urlpatterns
from backend.readers import services
from backend.readers.imports import columns, import_readers
from backend.readers.models import CardChange, Reader, ReaderPhone
from backend.readers.serializers import ReaderInputSerializer
from tests.factories import BranchFactory, ReaderFactory, ReaderPhoneFactory
from tests.openapi import assert_documented

# The import and export URLs, whether or not the site's urls.py includes them yet.
urlpatterns = [path("api/v1/", include("backend.readers.urls_io")), *site_urlpatterns]
pytestmark = pytest.mark.urls(__name__)

URL = "/api/v1/readers/import/"


def reader_cells(branch_code: str, n: int = 0, **overrides) -> dict:
    cells = {
        "branch": branch_code,
        "last_name": f"Ахметова{n}",
        "first_name": "Әлия",
        "patronymic": "Серікқызы",
        "birth_date": "1948-03-12",
        "category": "disability_2",
        "language": "kk",
        "phone1": f"8 701 {n // 10000 % 1000:03d} {n // 100 % 100:02d} {n % 100:02d}",
        "phone1_kind": "mobile",
        "phone1_sms": "yes",
        "settlement": "Бишкуль",
        "street": "Абая",
        "house": "12",
        "apartment": str(n),
        "floor": "2",
        "lat": "54.78",
        "lon": "69.1",
        "preferred_subjects": "поэзия; история",
        "preferred_formats": "large_print",
        "availability": "Tu 10:00-13:00; Th 14:00-17:00",
        "document_type": "disability_certificate",
        "document_number": f"МСЭ-{n}",
        "consent_date": "2026-01-15",
    }
    cells.update(overrides)
    return cells


def csv_bytes(rows: list[dict], *, delimiter: str = ",", encoding: str = "utf-8",
              header: list[str] | None = None) -> bytes:
    header = header or columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], header: list[str] | None = None) -> bytes:
    header = header or columns()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(c) for c in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, content: bytes, name: str = "readers.csv", **data):
    file = io.BytesIO(content)
    file.name = name
    return client.post(URL, {"file": file, **data}, format="multipart")


def thousand_rows(branch_code: str) -> list[dict]:
    return [reader_cells(branch_code, n) for n in range(1000)]


# The one bad row ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_one_bad_row_in_1000_is_reported_and_nothing_is_imported(api, kind):
    branch = BranchFactory(code="BSH")
    rows = thousand_rows(branch.code)
    rows[416]["phone1"] = "12-34"  # Excel row 418: the header is row 1
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    client = api.as_role("librarian")

    response = upload(client, content, name=f"readers.{kind}")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "import.invalid_rows"
    assert set(body) >= {"code", "message", "fields"}
    [error] = body["fields"]["rows"]
    assert (error["row"], error["column"], error["code"]) == (418, "phone1", "invalid_phone")
    assert "8 701 123 45 67" in error["message"]  # the API's own (translated) message
    assert body["report"]["total_rows"] == 1000
    assert body["report"]["created"] == 0
    assert not Reader.objects.exists()
    assert not CardChange.objects.exists()

    rows[416]["phone1"] = "8 701 999 99 99"
    content = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    response = upload(client, content, name=f"readers.{kind}")

    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1000
    assert Reader.objects.count() == 1000
    assert ReaderPhone.objects.count() == 1000
    assert CardChange.objects.filter(action="imported").count() == 1000


def test_every_bad_row_and_column_is_reported(api, branch):
    rows = [
        reader_cells(branch.code, 0, category="astronaut"),
        reader_cells(branch.code, 1),
        reader_cells(branch.code, 2, birth_date="31.02.1950", last_name=""),
        reader_cells(branch.code, 3, branch="NOPE", availability="someday"),
        reader_cells(branch.code, 4, status="active", consent_date=""),
        reader_cells(branch.code, 5, floor="200"),
        reader_cells(branch.code, 6, lat=""),
    ]
    report = import_readers(content=csv_bytes(rows), filename="x.csv")
    found = {(e.row, e.column, e.code) for e in report.errors}
    assert found == {
        (2, "category", "invalid_choice"),
        (4, "birth_date", "invalid"),
        (4, "last_name", "required"),
        (5, "branch", "unknown"),
        (5, "availability", "import.bad_availability"),
        (6, "status", "reader.consent_required"),
        (7, "floor", "max_value"),
        (8, "lat", "invalid"),
    }
    assert report.created == 0
    assert not Reader.objects.exists()


# What a row reads --------------------------------------------------------------------------------


def test_imported_card_is_what_reader_create_makes(branch, make_user):
    librarian = make_user("librarian")
    cells = reader_cells(branch.code, 7, phone2="+7 (702) 555-11-22", phone2_kind="Домашний",
                         phone2_sms="нет", caregiver_name="Дочь Айгуль",
                         caregiver_phone="87075554433", elevator="да")
    report = import_readers(content=csv_bytes([cells]), filename="x.csv", by=librarian)
    assert report.ok and report.created == 1
    imported = Reader.objects.get()

    payload = {
        "branch": branch.id, "last_name": "Ахметова7", "first_name": "Әлия",
        "patronymic": "Серікқызы", "birth_date": "1948-03-12", "category": "disability_2",
        "language": "kk",
        "phones": [{"number": "8 701 000 00 07", "kind": "mobile", "sms_ok": True},
                   {"number": "+7 (702) 555-11-22", "kind": "home", "sms_ok": False}],
        "address": {"settlement": "Бишкуль", "street": "Абая", "house": "12",
                    "apartment": "7", "floor": 2, "lat": 54.78, "lon": 69.1,
                    "elevator": True},
        "preferences": {"subjects": ["поэзия", "история"], "formats": ["large_print"]},
        "availability": [{"weekday": 1, "start": "10:00", "end": "13:00"},
                         {"weekday": 3, "start": "14:00", "end": "17:00"}],
        "caregiver": {"name": "Дочь Айгуль", "phone": "87075554433"},
        "document": {"type": "disability_certificate", "number": "МСЭ-7"},
        "consent": {"date": "2026-01-15"},
    }
    serializer = ReaderInputSerializer(data=payload)
    assert serializer.is_valid(), serializer.errors
    created = services.reader_create(data=serializer.to_flat(), by=librarian)

    assert imported.card_number == f"{branch.code}-{imported.pk:05d}"
    assert imported.search_text == services.reader_search_text(imported)
    assert imported.created_by == librarian
    assert imported.consent_recorded_by == librarian
    before = services.reader_snapshot(imported)
    assert before == services.reader_snapshot(created)
    history = CardChange.objects.get(reader=imported)
    assert history.action == "imported"
    assert history.actor == librarian
    assert history.changes == CardChange.objects.get(reader=created).changes


def test_russian_labels_dotted_dates_and_russian_weekdays_are_read(branch):
    cells = reader_cells(branch.code, 1, category="Инвалидность II группы", status="Активен",
                         language="Русский", birth_date="12.03.1948",
                         consent_date="01.11.2025", availability="Пн 9-12; Ср, Пт 14:00-17:00",
                         preferred_languages="Казахский; ru",
                         document_type="Справка об инвалидности")
    report = import_readers(content=csv_bytes([cells]), filename="x.csv")
    assert report.ok, report.errors
    reader = Reader.objects.get()
    assert (reader.category, reader.status, reader.language) == ("disability_2", "active", "ru")
    assert reader.birth_date.isoformat() == "1948-03-12"
    assert reader.consent_date.isoformat() == "2025-11-01"
    assert reader.availability == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 2, "start": "14:00", "end": "17:00"},
        {"weekday": 4, "start": "14:00", "end": "17:00"},
    ]
    assert reader.preferences["languages"] == ["kk", "ru"]


def test_card_without_consent_starts_paused(branch):
    report = import_readers(
        content=csv_bytes([reader_cells(branch.code, consent_date="")]), filename="x.csv"
    )
    assert report.ok
    assert Reader.objects.get().status == "paused"


@pytest.mark.parametrize("encoding,delimiter,bom", [
    ("utf-8", ",", False), ("utf-8", ";", True), ("cp1251", ";", False),
    ("utf-16", "\t", False), ("kz1048", ";", False),
])
def test_csv_encodings_and_delimiters(branch, encoding, delimiter, bom):
    # cp1251 has no Kazakh letters: a Russian name.
    cells = reader_cells(branch.code, 1, first_name="Мария", patronymic="Петровна")
    content = csv_bytes([cells], delimiter=delimiter, encoding=encoding)
    if bom:
        content = b"\xef\xbb\xbf" + content
    report = import_readers(content=content, filename="x.csv")
    assert report.ok, report.errors
    assert Reader.objects.get().last_name == "Ахметова1"


def test_xlsx_cells_with_numbers_and_dates(branch):
    import datetime

    cells = reader_cells(branch.code, 1, birth_date=datetime.datetime(1948, 3, 12),
                         phone1=77011234567, floor=2, lat=54.78, lon=69.1, apartment=4,
                         phone1_sms=True)
    report = import_readers(content=xlsx_bytes([cells]), filename="x.xlsx")
    assert report.ok, report.errors
    reader = Reader.objects.get()
    assert reader.birth_date == datetime.date(1948, 3, 12)
    assert str(reader.phones.get().number) == "+77011234567"
    assert (reader.floor, reader.apartment) == (2, "4")


def test_blank_rows_are_skipped_but_rows_keep_their_excel_numbers(branch):
    rows = [reader_cells(branch.code, 1), {}, reader_cells(branch.code, 2, category="x")]
    report = import_readers(content=xlsx_bytes(rows), filename="x.xlsx")
    assert report.total_rows == 2
    assert [(e.row, e.column) for e in report.errors] == [(4, "category")]


# The file as a whole -----------------------------------------------------------------------------


def test_unknown_and_missing_columns_are_a_file_error(api, branch):
    content = csv_bytes([{"branch": branch.code}], header=["branch", "last_name", "shoe_size"])
    response = upload(api.as_role("librarian"), content)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import.bad_header"
    assert body["fields"]["missing"] == ["first_name", "category"]
    assert body["fields"]["unknown"] == ["shoe_size"]
    assert "shoe_size" in body["message"] and "first_name" in body["message"]


@pytest.mark.parametrize("content", [b"", b"   \n", b"branch,last_name,first_name,category\n"])
def test_empty_file_is_a_clear_error(api, content):
    response = upload(api.as_role("librarian"), content)
    assert response.status_code == 400
    assert response.json()["code"] == "import.empty_file"


def test_too_many_rows(api, branch, settings):
    settings.READER_IMPORT_MAX_ROWS = 5
    content = csv_bytes([reader_cells(branch.code, n) for n in range(6)])
    response = upload(api.as_role("librarian"), content)
    assert response.status_code == 400
    assert response.json()["code"] == "import.too_many_rows"
    assert "5" in response.json()["message"]


def test_old_xls_is_refused(api):
    response = upload(api.as_role("librarian"), b"\xd0\xcf\x11\xe0" + b"\0" * 100, "a.xls")
    assert response.status_code == 400
    assert response.json()["code"] == "import.bad_file"


# Dry run and duplicates --------------------------------------------------------------------------


def test_dry_run_reports_and_writes_nothing(api, branch):
    rows = [reader_cells(branch.code, n) for n in range(3)]
    rows.append(reader_cells(branch.code, 9, category="astronaut"))
    client = api.as_role("librarian")
    response = upload(client, csv_bytes(rows), dry_run="true")
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True and body["ok"] is False
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(5, "category")]

    response = upload(client, csv_bytes(rows[:3]), dry_run="true")
    body = response.json()
    assert (body["ok"], body["to_create"], body["created"]) == (True, 3, 0)
    assert not Reader.objects.exists()
    assert not CardChange.objects.exists()


def _existing_and_repeated(branch):
    existing = ReaderFactory(branch=branch, card_number="OLD-00001",
                             birth_date="1948-03-12")
    ReaderPhoneFactory(reader=existing, number="+77017770001")
    rows = [
        reader_cells(branch.code, 1),
        # phone2 and birth date of a card on file
        reader_cells(branch.code, 2, phone2="8 701 777 00 01"),
        reader_cells(branch.code, 3),
        # the same person as row 2 (phone1 and birth date)
        reader_cells(branch.code, 4, phone1="8 701 000 00 01", last_name="Другая"),
        # same phone, another birth date: not the same person
        reader_cells(branch.code, 5, phone1="8 701 000 00 01", birth_date="1950-01-01"),
    ]
    return csv_bytes(rows)


def test_duplicates_are_skipped_by_default(api, branch):
    response = upload(api.as_role("librarian"), _existing_and_repeated(branch))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["skipped"], body["flagged"]) == (3, 2, 0)
    assert [(d["row"], d["column"], d["existing_card"], d["same_as_row"])
            for d in body["duplicates"]] == [(3, "phone2", "OLD-00001", None),
                                             (5, "phone1", None, 2)]
    assert Reader.objects.count() == 4
    assert not Reader.objects.filter(last_name="Другая").exists()


def test_duplicates_flagged_are_imported_and_reported(api, branch):
    response = upload(api.as_role("librarian"), _existing_and_repeated(branch),
                      duplicates="flag")
    body = response.json()
    assert (body["created"], body["skipped"], body["flagged"]) == (5, 0, 2)
    flagged = {d["row"]: d["card_number"] for d in body["duplicates"]}
    assert Reader.objects.get(card_number=flagged[5]).last_name == "Другая"
    assert Reader.objects.count() == 6


def test_duplicates_as_errors_import_nothing(api, branch):
    response = upload(api.as_role("librarian"), _existing_and_repeated(branch),
                      duplicates="error")
    assert response.status_code == 400
    body = response.json()
    assert [(e["row"], e["column"], e["code"]) for e in body["fields"]["rows"]] == [
        (3, "phone2", "import.duplicate"), (5, "phone1", "import.duplicate")]
    assert Reader.objects.count() == 1


# Who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "coordinator", "volunteer"])
def test_only_librarians_import(api, branch, role):
    response = upload(api.as_role(role), csv_bytes([reader_cells(branch.code)]))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Reader.objects.exists()


# The management command ------------------------------------------------------------------------


def test_command_dry_run_writes_nothing(tmp_path, branch, make_user):
    make_user("librarian", username="aigul")
    path_ = tmp_path / "readers.csv"
    path_.write_bytes(csv_bytes([reader_cells(branch.code, n) for n in range(3)]))
    out = io.StringIO()
    call_command("import_readers", str(path_), "--dry-run", "--user", "aigul", stdout=out,
                 stderr=io.StringIO())
    assert "3" in out.getvalue()
    assert "dry run" in out.getvalue().lower()
    assert not Reader.objects.exists()


def test_command_imports_and_records_the_user(tmp_path, branch, make_user):
    user = make_user("librarian", username="aigul")
    path_ = tmp_path / "readers.xlsx"
    path_.write_bytes(xlsx_bytes([reader_cells(branch.code, n) for n in range(3)]))
    call_command("import_readers", str(path_), "--user", "aigul", stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert Reader.objects.filter(created_by=user).count() == 3


def test_command_with_a_bad_file_exits_1_naming_row_and_column(tmp_path, branch):
    path_ = tmp_path / "readers.csv"
    rows = [reader_cells(branch.code, n) for n in range(3)]
    rows[1]["category"] = "astronaut"
    path_.write_bytes(csv_bytes(rows))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_readers", str(path_), stdout=out, stderr=err)
    assert exit_.value.code == 1
    text = out.getvalue() + err.getvalue()
    assert "3" in text and "category" in text and "astronaut" in text
    assert not Reader.objects.exists()


def test_command_with_a_bad_header_exits_1(tmp_path):
    path_ = tmp_path / "readers.csv"
    path_.write_text("name;phone\nИванова;87011234567\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_readers", str(path_), stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert "last_name" in err.getvalue()


def test_every_import_error_answers_the_documented_shape(api):
    branch = BranchFactory(code="BSH")
    client = api.as_role("librarian")
    no_file = client.post(URL, {"dry_run": "true"}, format="multipart")
    empty = upload(client, b"")
    rows = [reader_cells(branch.code)]
    rows[0]["phone1"] = "12-34"
    bad_row = upload(client, csv_bytes(rows))
    codes = [r.json()["code"] for r in (no_file, empty, bad_row)]
    assert codes == ["validation_error", "import.empty_file", "import.invalid_rows"]
    for response in (no_file, empty, bad_row):
        assert response.status_code == 400
        assert_documented(response, "post", URL)


@pytest.mark.parametrize("content", [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x98",  # a picture: neither UTF-8 nor Windows-1251
    b"\xff\xfea",  # starts like UTF-16 and breaks off
    b'"' + b"x" * 200_000 + b'",branch\n',  # a cell longer than CSV allows
])
def test_a_file_that_is_not_csv_text_is_a_bad_file_not_a_500(api, content):
    response = upload(api.as_role("librarian"), content)
    assert response.status_code == 400
    assert response.json()["code"] == "import.bad_file"
    assert list(response.json()["fields"]) == ["file"]


# Messages as the user reads them ---------------------------------------------------------------


def test_an_unknown_branch_code_is_named_in_the_message(api, branch):
    # DRF's fail() fills in {code}; a %(code)s would have reached the user as it is.
    from django.utils import translation

    content = csv_bytes([reader_cells("XXX", 1)])
    with translation.override("en"):
        report = import_readers(content=content, filename="x.csv")
    assert [(e.row, e.column, e.code, e.message) for e in report.errors] == [
        (2, "branch", "unknown", f'There is no branch with the code "XXX". Known codes: '
                                 f"{branch.code}.")]

    response = upload(api.as_role("librarian"), content)  # in Russian, the default
    message = response.json()["fields"]["rows"][0]["message"]
    assert "XXX" in message and branch.code in message
    assert "%(" not in message and "{" not in message


def test_readers_create_bulk_makes_the_cards_reader_create_makes(branch):
    flat = ReaderInputSerializer(data={
        "branch": branch.pk, "last_name": "Ахметова", "first_name": "Әлия",
        "category": "elderly", "phones": [{"number": "+77011234567"}]})
    flat.is_valid(raise_exception=True)

    readers = services.readers_create_bulk(rows=[flat.to_flat(), flat.to_flat()])

    assert [r.card_number for r in readers] == [f"{branch.code}-{r.pk:05d}" for r in readers]
    for reader in readers:
        reader.refresh_from_db()
        assert list(reader.phones.values_list("number", flat=True)) == ["+77011234567"]
        change = reader.changes.get()
        assert change.action == CardChange.Action.IMPORTED
        assert change.changes == services.diff({}, services.reader_snapshot(reader))
