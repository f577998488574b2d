"""The tables we write (CSV, XLSX) and read back: text never becomes a formula.

Writing: `csv_row`, `xlsx_row`. Reading: `read_table` (a CSV in any of the encodings Excel
saves, or the first sheet of an XLSX, within `Limits`), for both imports (readers, catalog),
which report problems as `RowError`s in an `ImportReport`.

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

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.core.exceptions import ApplicationError

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


# Reading a table back (CSV or XLSX) ---------------------------------------------------------
# Both imports (readers, catalog) read their files here: one decoding, one delimiter guess,
# one set of limits, one kind of row error and one report.

# Excel in a Russian or Kazakh Windows saves "CSV" in its ANSI code page: Windows-1251, or
# its Kazakh variant KZ-1048 (which has the letters ә, ғ, қ, ң, ө, ұ, ү, һ).
ANSI_ENCODINGS = ("cp1251", "kz1048")
DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class Limits:
    """How big a table an import reads: bytes of the file, data rows (blank rows are not
    counted), columns. None: no limit."""

    max_bytes: int | None = 50 * 1024 * 1024
    max_rows: int | None = None
    max_columns: int | None = 200


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (format, header, size): no row was looked at."""


def file_error(code: str, message: str, **fields: Any) -> ImportFileError:
    """An ImportFileError whose message is also under `fields.file` (the form shows it there)."""
    return ImportFileError(code, message, fields={"file": [message], **fields})


@dataclass
class RowError:
    """One problem of one row, as the user sees it: the row as a spreadsheet numbers it (the
    header is row 1; a MARC record's number from 1) and the column (or MARC tag)."""

    row: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code,
                "message": self.message}


@dataclass
class ImportReport:
    """What an import did, or would do on a dry run: an import writes only if no row has an
    error. Each import adds its own counts and its own `as_dict`."""

    dry_run: bool = False
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


Progress = Callable[[str, int, int], None]
"""progress(phase, done, total) of a long import; phase is "validate" or "write"."""


@dataclass
class Table:
    header: list[str]  # column names as `header_name` gives them ("" for an unnamed column)
    rows: list[tuple[int, list[Any]]]  # (row number as a spreadsheet shows it, cells)


def unreadable_csv() -> ImportFileError:
    return file_error("import.bad_file",
                      _("The file could not be read as CSV: save it as CSV (UTF-8) or XLSX."))


def decode(content: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without its BOM), UTF-16 with its BOM (Excel's
    "Unicode text"), else the ANSI code page charset-normalizer finds likelier."""
    try:
        if content.startswith(codecs.BOM_UTF8):
            return content[len(codecs.BOM_UTF8):].decode("utf-8")
        if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return content.decode("utf-16")
    except UnicodeDecodeError as exc:  # a BOM says what it is, and it is broken
        raise unreadable_csv() from exc
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\0" not in content:  # a NUL is no character of a text file in these code pages
        from charset_normalizer import from_bytes

        matches = from_bytes(content, cp_isolation=list(ANSI_ENCODINGS))
        best = matches.best()
        if best is not None:
            # The two agree on every Russian letter; where they differ, Windows-1251 has
            # Serbian and Ukrainian letters, KZ-1048 Kazakh ones: as likely, take Kazakh.
            kazakh = next((m for m in matches if m.encoding == "kz1048"), None)
            if kazakh is not None and kazakh.chaos <= best.chaos:
                best = kazakh
            return str(best)
    raise unreadable_csv()  # not text at all (a picture, a PDF...)


def sniff_delimiter(text: str) -> str:
    """`;` (Excel in a Russian or Kazakh Windows), `,` or a tab: whichever the first line
    holds most of; `;` when none."""
    first_line = text.split("\n", 1)[0]
    return max(DELIMITERS, key=first_line.count)


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    text = decode(content)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    except csv.Error as exc:  # e.g. a field longer than the csv module takes
        raise unreadable_csv() from exc


def _xlsx_rows(content: bytes, limits: Limits) -> Iterator[list[Any]]:
    """The first sheet, read-only and only as far as the limits need (+1 to tell they are
    passed): a sheet claiming a million rows or columns is not read to its end."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise file_error("import.bad_file",
                         _("The file could not be read as an Excel workbook (XLSX).")) from exc
    try:
        sheet = workbook.worksheets[0]
        max_row = _bound(sheet.max_row, limits.max_rows, 2)  # the header, and one more
        max_col = _bound(sheet.max_column, limits.max_columns, 1)
        for row in sheet.iter_rows(max_row=max_row, max_col=max_col, values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _bound(size: int | None, limit: int | None, extra: int) -> int | None:
    """How far to read: the sheet's recorded size (None if not recorded), but no further
    than just past the limit. openpyxl fills rows up to the width it is given."""
    if limit is None:
        return size
    return limit + extra if size is None else min(size, limit + extra)


def is_xlsx(content: bytes, filename: str = "") -> bool:
    return content.startswith(b"PK\x03\x04") or (filename or "").lower().endswith(
        (".xlsx", ".xlsm"))


def _rows(content: bytes, filename: str, limits: Limits) -> Iterator[list[Any]]:
    if is_xlsx(content, filename):
        return _xlsx_rows(content, limits)
    if content.startswith(b"\xd0\xcf\x11\xe0") or (filename or "").lower().endswith(".xls"):
        raise file_error("import.bad_file", _(
            "Old Excel files (.xls) are not read: save the list as .xlsx or .csv."))
    return _csv_rows(content)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def header_name(value: Any) -> str:
    """`Last name ` -> `last_name`: the header cell as a column name."""
    text = "" if value is None else str(value)
    return re.sub(r"\s+", "_", text.replace("\ufeff", "").strip().lower())


def read_table(content: bytes, filename: str = "", *, limits: Limits = Limits(),
               check_header: Callable[[list[str]], None] | None = None) -> Table:
    """The header (the first row) and the non-blank data rows of a CSV or XLSX file.

    Cells are as the file holds them (CSV: text; XLSX: also numbers, dates, booleans); text
    is stripped and the quote an export puts before formula-like text taken off
    (`restore_cell`).
    `check_header` sees the column names before any data row is read. Raises ImportFileError
    for a problem of the file as a whole (unreadable, empty, over a limit).
    """
    if not content or not content.strip():
        raise file_error("import.empty_file", _("The file is empty."))
    if limits.max_bytes is not None and len(content) > limits.max_bytes:
        raise file_error("import.too_large", _(
            "The file is larger than %(size)s MB; split it into smaller files.") % {
            "size": limits.max_bytes // (1024 * 1024)})
    cells_of = _rows(content, filename, limits)
    header_cells = next(cells_of, None)
    if header_cells is None or all(blank(c) for c in header_cells):
        raise file_error("import.empty_file",
                         _("The file is empty: the first row must name the columns."))
    header = [header_name(c) for c in header_cells]
    _check_columns(header_cells, limits)
    if check_header is not None:
        check_header(header)
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(cells_of, start=2):
        if all(blank(c) for c in cells):
            continue
        _check_columns(cells, limits)
        rows.append((number, [restore_cell(c.strip() if isinstance(c, str) else c)
                               for c in cells]))
        if limits.max_rows is not None and len(rows) > limits.max_rows:
            raise file_error("import.too_many_rows", ngettext(
                "The file has more than %(limit)s row; split it into smaller files.",
                "The file has more than %(limit)s rows; split it into smaller files.",
                limits.max_rows) % {"limit": limits.max_rows})
    if not rows:
        raise file_error("import.empty_file", _("The file has a header but no rows."))
    return Table(header=header, rows=rows)


def _check_columns(cells: list[Any], limits: Limits) -> None:
    limit = limits.max_columns
    if limit is not None and len(cells) > limit and not all(blank(c) for c in cells[limit:]):
        raise file_error("import.too_many_columns", ngettext(
            "The file has more than %(limit)s column.",
            "The file has more than %(limit)s columns.", limit) % {"limit": limit})
