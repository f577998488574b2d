"""Import of reader cards from the lists libraries keep in Excel (XLSX) or CSV.

One flat row per reader, the columns of `columns()` (see docs/reader_import.md). The file is
read by `core.tabular.read_table` (as the catalog import reads its tables); each row's cells
become the API's input (`import_cells`), checked with the API's own `ReaderInputSerializer`,
the branch given by its code (`import_rows`), so a file accepts exactly what the API
accepts. The cards are written as `services.readers_create_bulk` writes them. The import is
all or nothing: one bad row and nothing is written, and the report names each bad row (as
Excel numbers it: the header is row 1) and column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.tabular import (
    ImportFileError,
    Limits,
    Progress,
    RowError,
    Table,
    file_error,
    read_table,
)
from backend.core.tabular import ImportReport as TableImportReport
from backend.readers.import_cells import REQUIRED_COLUMNS, columns, known_column
from backend.readers.import_rows import Duplicate, DuplicateCheck, ValidRow, validate_rows
from backend.readers.models import CardChange
from backend.readers.services import readers_prepare_bulk

__all__ = ["DuplicateMode", "ImportFileError", "ImportReport", "columns", "import_readers",
           "read_sheet"]

# The report -----------------------------------------------------------------------------------


class DuplicateMode:
    SKIP = "skip"
    FLAG = "flag"
    ERROR = "error"
    ALL = ("skip", "flag", "error")


@dataclass
class ImportReport(TableImportReport):
    duplicates_mode: str = DuplicateMode.SKIP
    to_create: int = 0
    flagged: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "duplicates_mode": self.duplicates_mode,
            "total_rows": self.total_rows,
            "to_create": self.to_create,
            "created": self.created,
            "skipped": self.skipped,
            "flagged": self.flagged,
            "errors": [e.as_dict() for e in self.errors],
            "duplicates": [d.as_dict() for d in self.duplicates],
        }


# Reading the file -----------------------------------------------------------------------------


def read_sheet(content: bytes, filename: str = "") -> Table:
    """Header and non-blank data rows. Raises ImportFileError for a file-level problem."""
    limits = Limits(max_rows=settings.READER_IMPORT_MAX_ROWS)
    return read_table(content, filename, limits=limits, check_header=_check_header)


def _check_header(header: list[str]) -> None:
    named = [h for h in header if h]
    unknown = [h for h in named if not known_column(h)]
    missing = [c for c in REQUIRED_COLUMNS if c not in named]
    repeated = sorted({h for h in named if named.count(h) > 1})
    if not (unknown or missing or repeated):
        return
    problems = []
    fields: dict[str, Any] = {}
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
        fields["missing"] = missing
    if unknown:
        problems.append(_("unknown columns: %(names)s") % {"names": ", ".join(unknown)})
        fields["unknown"] = unknown
    if repeated:
        problems.append(_("repeated columns: %(names)s") % {"names": ", ".join(repeated)})
        fields["repeated"] = repeated
    message = _("The first row does not name the columns of a reader list (%(problems)s).") % {
        "problems": "; ".join(problems)}
    raise file_error("import.bad_header", message, **fields)


# The whole import -----------------------------------------------------------------------------

# Tries before the import gives up because cards matching its rows keep being added.
IMPORT_ATTEMPTS = 3


def import_readers(
    *,
    content: bytes,
    filename: str = "",
    by=None,
    dry_run: bool = False,
    duplicates: str = DuplicateMode.SKIP,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, check and (unless a dry run, and only if every row is right) import a list.

    Raises ImportFileError when the file itself cannot be used; row problems are in the
    report. A real run with errors writes nothing and returns the same report a dry run gives.

    The write transaction is kept short, because while it runs every other writer waits
    (on SQLite, the whole database): the file is read and checked, duplicates looked for and
    every statement prepared before it; inside it the duplicates check runs again and, if
    it finds the same, the statements run. If a matching card came in between, the import
    starts over from the duplicates check.
    """
    if duplicates not in DuplicateMode.ALL:
        raise ApplicationError("import.bad_mode", _("Unknown duplicates mode."),
                               fields={"duplicates": [_("Use skip, flag or error.")]})
    table = read_sheet(content, filename)
    valid, row_errors = validate_rows(table, by=by, progress=progress)
    check = DuplicateCheck(valid)
    for _attempt in range(IMPORT_ATTEMPTS):
        report, to_import = _plan(table, valid, row_errors, check.run(), dry_run, duplicates)
        if dry_run or not report.ok:
            return report
        # The rows were checked above exactly as readers_create_bulk checks them.
        writes = readers_prepare_bulk([r.reader for r in to_import], [r.flat for r in to_import],
                                 by=by, action=CardChange.Action.IMPORTED)
        # progress("write", 0, n) when the transaction begins, (n, n) once it is committed.
        with transaction.atomic():
            if progress:
                progress("write", 0, len(to_import))
            if check.run() != report.duplicates:
                continue
            readers = writes.run(progress)
        if progress:
            progress("write", len(readers), len(readers))
        report.created = len(readers)
        numbers = {row.row: reader.card_number for row, reader in zip(to_import, readers)}
        for duplicate in report.duplicates:
            duplicate.card_number = numbers.get(duplicate.row)
        return report
    raise ConflictError(
        "import.busy",
        _("Cards like the ones in the file were being added while it was imported; "
          "nothing was imported. Please try again."),
    )


def _plan(
    table: Table,
    valid: list[ValidRow],
    row_errors: list[RowError],
    found: list[Duplicate],
    dry_run: bool,
    duplicates: str,
) -> tuple[ImportReport, list[ValidRow]]:
    """The report before writing, and the rows to write, given the duplicates found."""
    report = ImportReport(dry_run=dry_run, duplicates_mode=duplicates,
                          total_rows=len(table.rows))
    errors = list(row_errors)
    duplicate_rows = {d.row: d for d in found}
    to_import: list[ValidRow] = []
    for row in valid:
        duplicate = duplicate_rows.get(row.row)
        if duplicate is None:
            to_import.append(row)
        elif duplicates == DuplicateMode.SKIP:
            report.skipped += 1
        elif duplicates == DuplicateMode.FLAG:
            report.flagged += 1
            to_import.append(row)
        else:
            errors.append(RowError(row.row, duplicate.column, "import.duplicate",
                                   duplicate.message()))
    report.duplicates = found
    report.errors = sorted(errors, key=lambda e: (e.row, _column_order(table.header, e.column)))
    report.to_create = len(to_import) if report.ok else 0
    return report, to_import


def _column_order(header: list[str], column: str) -> int:
    return header.index(column) if column in header else len(header)
