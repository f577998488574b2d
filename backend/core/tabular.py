"""Cells of the tables we write (CSV, XLSX) and read back: text never becomes a formula.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (a tab or a
carriage return in front is skipped on the way there), so a reader named
`=HYPERLINK("http://…", "click")` or `=cmd|' /C calc'!A0` would act in the librarian's
Excel. Following the OWASP rule for CSV injection, every exported *text* value that starts
with one of these characters gets a single quote in front (`'=HYPERLINK(…)`), in CSV and
XLSX alike, and goes into an XLSX as an explicit string cell, never a formula. Numbers and
dates are left as they are: a floor of -2 stays the number -2.

The imports read the quoted form back with `restore_cell`, so an export imports back
unchanged. Phone numbers are text starting with `+`: they are quoted too
(`'+77011234567`) and come back without the quote.

A value that already starts with quotes before such a character (`'=x`, `''+1`) gets one
more, so that restoring is exact: `restore_cell(neutralise(s)) == s` for every string.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

# OWASP's list, and a line feed: XML (so XLSX) reads a carriage return back as one.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")
QUOTE = "'"
# openpyxl writes these strings as error cells (#N/A...) unless told they are text.
_XLSX_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                               "#N/A"))


def _triggers(text: str) -> bool:
    return text.lstrip(QUOTE)[:1] in FORMULA_TRIGGERS


def neutralise(text: str) -> str:
    """`text` as a cell that no spreadsheet reads as a formula: `'` in front if needed."""
    if text and _triggers(text):
        return QUOTE + text
    return text


def restore_cell(value: Any) -> Any:
    """What an import makes of a cell: the quote `neutralise` added is taken off again.

    Only a quote followed by a formula character (possibly after more quotes) is taken
    off, so a name like `'Abai` stays as it is. Anything that is not a string is returned
    unchanged.
    """
    if isinstance(value, str) and value[:1] == QUOTE and _triggers(value[1:]):
        return value[1:]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def csv_cell(value: Any, *, number: Callable[[Any], str] = str) -> str:
    """One CSV cell: text neutralised; numbers (through `number`) and dates as they are."""
    if value is None:
        return ""
    if _is_number(value):
        return number(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return neutralise(str(value))


def csv_row(values: Iterable[Any], *, number: Callable[[Any], str] = str) -> list[str]:
    return [csv_cell(value, number=number) for value in values]


def xlsx_cell(sheet, value: Any) -> Any:
    """One XLSX cell for `sheet.append`: text as a string cell (never a formula).

    Numbers stay numbers and dates stay dates (shown as YYYY-MM-DD). Plain text that
    cannot be mistaken is passed as it is (cheaper for a big write-only sheet); quoted text
    and error-code look-alikes become cells typed as strings explicitly.
    """
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, bool) or _is_number(value):
        return value
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "YYYY-MM-DD" if not isinstance(
            value, datetime.datetime) else "YYYY-MM-DD HH:MM"
        return cell
    text = str(value)
    safe = neutralise(text)
    if safe == text and text not in _XLSX_ERROR_CODES:
        return text
    cell = WriteOnlyCell(sheet, value=safe)
    cell.data_type = "s"
    return cell


def xlsx_row(sheet, values: Iterable[Any]) -> list[Any]:
    return [xlsx_cell(sheet, value) for value in values]
