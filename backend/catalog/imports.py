"""Import of titles and their copies from CSV, XLSX, MARC21 (ISO 2709) and MARCXML.

Three phases (see docs/catalog_import.md):

1. read: the file becomes candidates, one per table row or MARC record, each remembering
   its position (CSV, XLSX: the row as a spreadsheet numbers it, the header is row 1; the
   table is read by `core.tabular.read_table`, as the reader import reads its; MARC: the
   record's number, from 1) and where each value came from (a column or a MARC tag);
2. validate: every candidate is checked (title, ISBN check digit, year, language, format,
   branch codes, barcodes unique in the file and in the database);
3. write: only if no candidate has an error (one bad record and nothing is written; the
   report names every bad one), every title and copy is written in one atomic transaction,
   built as `services.title_create` / `item_create` build them (same `_title_apply`).
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax import SAXException

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.branches.models import Branch
from backend.catalog.import_words import (
    AGE_TABLE,
    AUDIO_WORDS,
    BRAILLE_WORDS,
    COLUMN_ALIASES,
    FORMAT_TABLE,
    LANGUAGE_TABLE,
    LARGE_PRINT_WORDS,
    MARC_LANGUAGES,
)
from backend.catalog.isbn import clean_isbn, isbn_is_valid  # noqa: F401
from backend.catalog.models import Format, Item, Title, TitleLanguage
from backend.catalog.services import _title_apply
from backend.core.exceptions import ConflictError
from backend.core.tabular import ImportFileError, Limits, RowError, file_error, read_table
from backend.core.tabular import ImportReport as TableImportReport
from backend.core.text import fold

# ISBN -----------------------------------------------------------------------------------------


def year_bounds() -> tuple[int, int]:
    return 1000, timezone.localdate().year + 1


# The report -----------------------------------------------------------------------------------


class RecordError(RowError):
    """A RowError of a table row or a MARC record. `row` is the position (CSV, XLSX: the row,
    the header is row 1; MARC: the record's number from 1), `column` the table's column or
    the MARC tag ("245", "852$b", "leader"); the API calls them position and field."""

    @property
    def position(self) -> int:
        return self.row

    @property
    def field(self) -> str:
        return self.column

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.row, "field": self.column, "code": self.code,
                "message": self.message}


@dataclass
class ImportReport(TableImportReport):
    format: str = "csv"
    titles_to_create: int = 0
    items_to_create: int = 0
    titles_created: int = 0
    items_created: int = 0

    @property
    def total_records(self) -> int:
        return self.total_rows

    @property
    def position_label(self) -> str:
        return "row" if self.format in TABLE_FORMATS else "record"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "format": self.format, "dry_run": self.dry_run,
            "position": self.position_label, "total_records": self.total_records,
            "titles_to_create": self.titles_to_create,
            "items_to_create": self.items_to_create,
            "titles_created": self.titles_created, "items_created": self.items_created,
            "errors": [e.as_dict() for e in self.errors],
        }


Progress = Callable[[str, int, int], None]
"""progress(phase, done, total); phase is "validate" or "write"."""

FORMATS = ("csv", "xlsx", "marc", "marcxml")
TABLE_FORMATS = ("csv", "xlsx")


def format_from_name(filename: str) -> str | None:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".mrc", ".marc", ".iso", ".iso2709")):
        return "marc"
    if name.endswith(".xml"):
        return "marcxml"
    return None


# Candidates: what one row or record says, before it is checked ------------------------------


@dataclass
class Copy:
    barcode: str
    branch_code: str  # "" = the default branch of the import
    source: str  # column or tag of the barcode
    branch_source: str
    shelf_mark: str = ""


@dataclass
class Candidate:
    position: int
    data: dict[str, Any]  # Title fields, raw-ish
    sources: dict[str, str]  # Title field -> column or tag
    copies: list[Copy] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    unreadable: bool = False

    def fail(self, source: str, code: str, message: str) -> None:
        self.errors.append(RecordError(self.position, source, code, force_str(message)))


def _list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


# CSV --------------------------------------------------------------------------------------------

CSV_COLUMNS = ("title", "authors", "language", "format", "subjects", "isbn", "year",
               "publisher", "age_rating", "annotation", "copies", "branch", "shelf_mark")
SHELF_MARK_LENGTH = Item._meta.get_field("shelf_mark").max_length
CSV_REQUIRED = ("title",)
_COPY_WITH_BRANCH = re.compile(r"^([A-Za-z0-9]{1,8})\s*:\s*(\S.*)$")


TABLE_LIMITS = Limits(max_rows=100_000)


def _column(name: str) -> str:
    return COLUMN_ALIASES.get(name, name)


def _check_header(header: list[str]) -> None:
    named = [_column(h) for h in header if h]
    unknown = [h for h in named if h not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in named]
    if unknown or missing:
        message = _("The first row does not name the columns of a catalog file "
                    "(missing: %(missing)s; unknown: %(unknown)s).") % {
            "missing": ", ".join(missing) or "-", "unknown": ", ".join(unknown) or "-"}
        raise file_error("import.bad_header", message, missing=missing, unknown=unknown)


def _cell_text(value: Any) -> str:
    """A cell as text: an XLSX number 1984 (or 1984.0) is "1984"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table_rows(content: bytes, filename: str = "") -> Iterator[Candidate]:
    """The candidates of a CSV or XLSX file, one per non-blank row."""
    table = read_table(content, filename, limits=TABLE_LIMITS, check_header=_check_header)
    header = [_column(name) for name in table.header]
    for number, cells in table.rows:
        texts = [_cell_text(c) for c in cells]
        values = {name: (texts[i] if i < len(texts) else "")
                  for i, name in enumerate(header) if name}
        candidate = Candidate(position=number, data={}, sources={})
        if len(texts) > len(header) and any(texts[len(header):]):
            candidate.fail("", "import.extra_cells",
                           _("The row has more cells than the header has columns."))
        _csv_candidate(candidate, values)
        yield candidate


def read_csv(content: bytes) -> Iterator[Candidate]:
    return read_table_rows(content, "x.csv")


def read_xlsx(content: bytes) -> Iterator[Candidate]:
    return read_table_rows(content, "x.xlsx")


def _csv_candidate(candidate: Candidate, values: dict[str, str]) -> None:
    data, sources = candidate.data, candidate.sources
    for name in ("title", "isbn", "year", "publisher", "annotation"):
        if name in values:
            data[name] = values[name]
            sources[name] = name
    for name in ("authors", "subjects"):
        if name in values:
            data[name] = _list(values[name])
            sources[name] = name
    for name, table in (("language", LANGUAGE_TABLE), ("format", FORMAT_TABLE),
                        ("age_rating", AGE_TABLE)):
        raw = values.get(name, "")
        sources[name] = name
        if not raw:
            continue
        code = table.get(fold(raw))
        if code is None:
            allowed = sorted(set(table.values()))
            candidate.fail(name, "import.invalid_choice",
                           _('"%(value)s" is not one of: %(allowed)s.')
                           % {"value": raw, "allowed": ", ".join(allowed)})
        else:
            data[name] = code
    branch = values.get("branch", "")
    shelf = " ".join(values.get("shelf_mark", "").split())
    if len(shelf) > SHELF_MARK_LENGTH:
        candidate.fail("shelf_mark", "import.too_long", ngettext(
            "A shelf mark has at most %(limit)d character.",
            "A shelf mark has at most %(limit)d characters.", SHELF_MARK_LENGTH)
            % {"limit": SHELF_MARK_LENGTH})
    for entry in _list(values.get("copies", "")):
        # "SOK:SOK000045" puts one copy in another branch than the row's `branch`.
        own = _COPY_WITH_BRANCH.match(entry)
        if own:
            candidate.copies.append(Copy(barcode=own.group(2).strip(), branch_code=own.group(1),
                                         source="copies", branch_source="copies",
                                         shelf_mark=shelf))
        else:
            candidate.copies.append(Copy(barcode=entry, branch_code=branch, source="copies",
                                         branch_source="branch", shelf_mark=shelf))
    if branch and not candidate.copies:
        candidate.fail("copies", "import.no_copies",
                       _("A branch is given but no copies (barcodes) to put there."))
    elif shelf and not candidate.copies:
        candidate.fail("copies", "import.no_copies",
                       _("A shelf mark is given but no copies (barcodes) to put there."))


# MARC21 --------------------------------------------------------------------------------------

_TRAILING = " /:;,.="
_INITIAL_END = re.compile(r"(^|[\s.])\w\.$")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ISBN_IN_TEXT = re.compile(r"[\dXx](?:[\s-]?[\dXx]){9,12}")


def strip_punct(text: str | None) -> str:
    """Strip ISBD punctuation at the end (" /", " :", ",", "."), but keep an initial's dot."""
    text = (text or "").strip()
    while text and text[-1] in _TRAILING:
        if text[-1] == "." and _INITIAL_END.search(text):
            break
        text = text[:-1].rstrip()
    return text


def _subfields(record, tags: tuple[str, ...], code: str) -> list[tuple[str, str]]:
    """(tag, value) of every subfield `code` of the fields `tags`, in record order."""
    found = []
    for fld in record.get_fields(*tags):
        if fld.is_control_field():
            continue
        for value in fld.get_subfields(code):
            found.append((fld.tag, value))
    return found


def _control(record, tag: str) -> str:
    fields = record.get_fields(tag)
    return (fields[0].data or "") if fields else ""


def _marc_candidate(record, position: int) -> Candidate:
    candidate = Candidate(position=position, data={}, sources={})
    data, sources = candidate.data, candidate.sources
    leader = str(record.leader or "")
    f008 = _control(record, "008")

    # 245: $a, $b (subtitle), $n/$p (part). A record without a title is an error.
    title_parts = []
    for fld in record.get_fields("245")[:1]:
        for sub in fld.subfields:
            if sub.code in "abnp" and strip_punct(sub.value):
                title_parts.append((sub.code, strip_punct(sub.value)))
    title = ""
    for code, value in title_parts:
        if not title:
            title = value
        elif code == "b":
            title = f"{title}: {value}"
        else:
            title = f"{title}. {value}"
    data["title"], sources["title"] = title, "245$a"

    authors = [strip_punct(v) for _t, v in _subfields(record, ("100", "700"), "a")]
    data["authors"] = list(dict.fromkeys(a for a in authors if a))
    sources["authors"] = "100$a"

    isbns = _subfields(record, ("020",), "a")
    sources["isbn"] = "020$a"
    if isbns:
        match = _ISBN_IN_TEXT.search(isbns[0][1])
        data["isbn"] = match.group(0) if match else isbns[0][1]

    languages = _subfields(record, ("041",), "a")
    if languages:
        code, sources["language"] = languages[0][1].strip().lower()[:3], "041$a"
    else:
        code, sources["language"] = f008[35:38].strip().lower(), "008/35-37"
    data["language"] = str(MARC_LANGUAGES.get(code, TitleLanguage.OTHER))

    publishers = _subfields(record, ("260", "264"), "b")
    if publishers:
        data["publisher"] = strip_punct(publishers[0][1])[:200]
        sources["publisher"] = f"{publishers[0][0]}$b"

    dates = _subfields(record, ("260", "264"), "c")
    year_text, year_source = "", ""
    for tag, value in dates:
        match = _YEAR.search(value)
        if match:
            year_text, year_source = match.group(1), f"{tag}$c"
            break
    if not year_text and f008[7:11].isdigit() and f008[7:11] not in ("9999", "0000"):
        year_text, year_source = f008[7:11], "008/07-10"
    if year_text:
        data["year"], sources["year"] = year_text, year_source

    subjects = [strip_punct(v) for _t, v in _subfields(record, ("650", "653"), "a")]
    data["subjects"] = list(dict.fromkeys(s for s in subjects if s))
    sources["subjects"] = "650$a"

    notes = [v.strip() for _t, v in _subfields(record, ("520",), "a") if v.strip()]
    if notes:
        data["annotation"], sources["annotation"] = "\n".join(notes), "520$a"

    data["format"], sources["format"] = _marc_format(record, leader, f008)
    _marc_copies(candidate, record)
    return candidate


def _texts(record, tags: tuple[str, ...]) -> str:
    parts = []
    for fld in record.get_fields(*tags):
        if not fld.is_control_field():
            parts.extend(sub.value for sub in fld.subfields)
    return fold(" ".join(parts))


def _marc_format(record, leader: str, f008: str) -> tuple[str, str]:
    """The copy's format from the leader, 007/008 and the 250/336/340/500 notes."""
    kind = leader[6:7]
    if kind in ("i", "j"):
        return Format.AUDIO, "leader/06"
    f007 = _control(record, "007").lower()
    notes = _texts(record, ("250", "340", "500"))
    content = _texts(record, ("336",))
    book_form = f008[23:24] if kind in ("a", "t") else ""
    if (f007[:1] == "f" or f007[:2] == "tc" or book_form == "f"
            or any(w in notes or w in content for w in BRAILLE_WORDS)
            or "tactile" in content or "тактильн" in content):
        return Format.BRAILLE, "340"
    if f007[:1] == "s" or any(w in content for w in AUDIO_WORDS):
        return Format.AUDIO, "007"
    if f007[:2] == "tb" or book_form == "d" or any(w in notes for w in LARGE_PRINT_WORDS):
        return Format.LARGE_PRINT, "250"
    if leader[7:8] == "s":
        return Format.PERIODICAL, "leader/07"
    return Format.PRINT, "leader/06"


def _marc_copies(candidate: Candidate, record) -> None:
    """852 / 949: barcodes in $p (949: $b when there is no $p); branch code in $b or $a."""
    for fld in record.get_fields("852", "949"):
        if fld.is_control_field():
            continue
        tag = fld.tag
        barcodes = [(v.strip(), f"{tag}$p") for v in fld.get_subfields("p") if v.strip()]
        branch_codes = ("b", "a")
        if not barcodes and tag == "949":
            barcodes = [(v.strip(), f"{tag}$b") for v in fld.get_subfields("b") if v.strip()]
            branch_codes = ("a",)
        branch, branch_source = "", ""
        for code in branch_codes:
            values = [v.strip() for v in fld.get_subfields(code) if v.strip()]
            if values:
                branch, branch_source = values[0], f"{tag}${code}"
                break
        shelf = " ".join(v.strip() for v in fld.get_subfields("h", "i") if v.strip())[:60]
        if not barcodes:
            candidate.fail(f"{tag}$p", "import.no_barcode",
                           _("A holdings field without a barcode."))
        for barcode, source in barcodes:
            candidate.copies.append(Copy(barcode=barcode, branch_code=branch, source=source,
                                         branch_source=branch_source, shelf_mark=shelf))


def _unparsable(position: int, exc: BaseException | None) -> Candidate:
    candidate = Candidate(position=position, data={}, sources={})
    detail = type(exc).__name__ if exc is not None else "?"
    text = force_str(exc) if exc is not None else ""
    if text:
        detail = f"{detail}: {text}"
    candidate.fail("leader", "import.unparsable",
                   _("The record cannot be read (%(detail)s).") % {"detail": detail[:200]})
    candidate.unreadable = True
    return candidate


def read_marc(content: bytes) -> Iterator[Candidate]:
    """ISO 2709. UTF-8 when leader/09 says so, else UTF-8 if it decodes, else MARC-8."""
    from pymarc import MARCReader, Record
    from pymarc.exceptions import FatalReaderError

    reader = MARCReader(content, to_unicode=True, force_utf8=True, utf8_handling="strict",
                        hide_utf8_warnings=True)
    position = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        position += 1
        if record is None and isinstance(reader.current_exception, UnicodeDecodeError):
            try:  # not UTF-8 after all: as the leader says (MARC-8)
                record = Record(reader.current_chunk, to_unicode=True, hide_utf8_warnings=True)
            except Exception:  # noqa: BLE001 - any failure is "cannot be read"
                record = None
        if record is None:
            yield _unparsable(position, reader.current_exception)
            if isinstance(reader.current_exception, FatalReaderError):
                break
            continue
        try:
            yield _marc_candidate(record, position)
        except Exception as exc:  # noqa: BLE001 - a malformed field of one record
            yield _unparsable(position, exc)


def read_marcxml(content: bytes) -> Iterator[Candidate]:
    from pymarc.marcxml import XmlHandler, parse_xml

    records: list = []

    class Handler(XmlHandler):
        def process_record(self, record):
            records.append(record)

    try:
        parse_xml(io.BytesIO(content), Handler())
    except SAXException as exc:
        # Everything up to the broken record is known; report that one by its number.
        for position, record in enumerate(records, start=1):
            yield _safe_marc_candidate(record, position)
        candidate = Candidate(position=len(records) + 1, data={}, sources={})
        candidate.fail("xml", "import.unparsable",
                       _("The XML cannot be read here (%(detail)s).")
                       % {"detail": force_str(exc)[:200]})
        candidate.unreadable = True
        yield candidate
        return
    if not records:
        raise file_error("import.empty_file", _("The file holds no MARCXML records."))
    for position, record in enumerate(records, start=1):
        yield _safe_marc_candidate(record, position)


def _safe_marc_candidate(record, position: int) -> Candidate:
    try:
        return _marc_candidate(record, position)
    except Exception as exc:  # noqa: BLE001
        return _unparsable(position, exc)


# Validation --------------------------------------------------------------------------------


_CLEAN_EXCLUDE = ["id", "search_text", "search_key", "subjects_key", "created_at", "updated_at"]


def _check_title(candidate: Candidate) -> Title | None:
    data, sources = dict(candidate.data), candidate.sources
    if not (data.get("title") or "").strip():
        candidate.fail(sources.get("title", "title"), "import.missing_title",
                       _("The title is missing."))
        return None
    try:
        data["isbn"] = clean_isbn(data.get("isbn"))
    except ValueError as exc:
        candidate.fail(sources.get("isbn", "isbn"), "import.invalid_isbn", str(exc))
    raw_year = str(data.get("year") or "").strip()
    data["year"] = None
    if raw_year:
        low, high = year_bounds()
        if not raw_year.isdigit() or not low <= int(raw_year) <= high:
            candidate.fail(sources.get("year", "year"), "import.invalid_year",
                           _("The year must be a number from %(low)s to %(high)s.")
                           % {"low": low, "high": high})
        else:
            data["year"] = int(raw_year)
    if candidate.errors:
        return None
    title = Title()
    _title_apply(title, data)
    try:
        title.clean_fields(exclude=_CLEAN_EXCLUDE)
    except DjangoValidationError as exc:
        for name, errors in exc.message_dict.items():
            candidate.fail(sources.get(name, name), "import.invalid", " ".join(errors))
        return None
    return title


@dataclass
class _Valid:
    candidate: Candidate
    title: Title
    items: list[Item]


def _existing_barcodes(barcodes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(barcodes), 500):
        found.update(Item.objects.filter(barcode__in=barcodes[start:start + 500])
                     .values_list("barcode", flat=True))
    return found


def validate(
    candidates: list[Candidate], *, default_branch: Branch | None, label: str = "record",
    progress: Progress | None = None,
) -> tuple[list[_Valid], list[RecordError]]:
    """Check every candidate; `label` ("row" or "record") names positions in messages."""
    branches = {b.code.casefold(): b for b in Branch.objects.all()}
    known = ", ".join(sorted(b.code for b in branches.values())) or "-"
    all_barcodes = [c.barcode for cand in candidates for c in cand.copies]
    taken = _existing_barcodes(sorted(set(all_barcodes)))
    seen: dict[str, int] = {}
    valid: list[_Valid] = []
    errors: list[RecordError] = []
    total = len(candidates)
    for done, candidate in enumerate(candidates, start=1):
        title = None if candidate.unreadable else _check_title(candidate)
        items = []
        for copy in candidate.copies:
            barcode = copy.barcode.strip()
            branch = default_branch
            if copy.branch_code:
                branch = branches.get(copy.branch_code.casefold())
                if branch is None:
                    candidate.fail(copy.branch_source, "import.unknown_branch",
                                   _('There is no branch with the code "%(code)s". Known codes: '
                                     "%(known)s.") % {"code": copy.branch_code, "known": known})
                    continue
            elif branch is None:
                candidate.fail(copy.branch_source or copy.source, "import.no_branch",
                               _("The copy %(barcode)s has no branch code, and no default "
                                 "branch was given.") % {"barcode": barcode})
                continue
            if len(barcode) > Item._meta.get_field("barcode").max_length:
                candidate.fail(copy.source, "import.invalid_barcode",
                               _("The barcode %(barcode)s is too long.") % {"barcode": barcode})
                continue
            if barcode in seen:
                candidate.fail(copy.source, "import.duplicate_barcode",
                               _("The barcode %(barcode)s is also in %(label)s %(position)s.")
                               % {"barcode": barcode, "position": seen[barcode],
                                  "label": label})
                continue
            seen[barcode] = candidate.position
            if barcode in taken:
                candidate.fail(copy.source, "import.barcode_taken",
                               _("A copy with barcode %(barcode)s already exists.")
                               % {"barcode": barcode})
                continue
            items.append(Item(barcode=barcode, branch=branch, shelf_mark=copy.shelf_mark))
        if candidate.errors:
            errors.extend(candidate.errors)
        elif title is not None:
            valid.append(_Valid(candidate, title, items))
        if progress and (done % 100 == 0 or done == total):
            progress("validate", done, total)
    return valid, errors


# Writing ------------------------------------------------------------------------------------

BATCH = 500


def catalog_write(valid: list[_Valid], *, progress: Progress | None = None) -> tuple[int, int]:
    """All titles and copies, in one transaction: all are written or none."""
    total = len(valid)
    try:
        with transaction.atomic():
            titles = [v.title for v in valid]
            for start in range(0, total, BATCH):
                Title.objects.bulk_create(titles[start:start + BATCH])
                if progress:
                    progress("write", min(start + BATCH, total) // 2, total)
            items = []
            for entry in valid:
                for item in entry.items:
                    item.title = entry.title
                    items.append(item)
            Item.objects.bulk_create(items, batch_size=BATCH)
            if progress:
                progress("write", total, total)
    except IntegrityError as exc:
        # Someone added one of these barcodes since the check: nothing was written.
        raise ConflictError(
            "import.conflict",
            _("The catalog changed during the import (a barcode was taken meanwhile); "
              "nothing was imported. Please run the import again."),
            fields={"file": [force_str(exc)[:200]]},
        ) from exc
    return len(titles), len(items)


# The whole import ---------------------------------------------------------------------------


def import_catalog(
    *,
    content: bytes,
    format: str | None = None,
    filename: str = "",
    branch: Branch | str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, check and (unless a dry run, and only if every record is right) import a file.

    Raises ImportFileError when the file itself cannot be used, ConflictError when the
    database changed under the import; record problems are in the report.
    """
    fmt = format or format_from_name(filename)
    if fmt not in FORMATS:
        message = _("Say which format the file is in: csv, xlsx, marc or marcxml.")
        raise ImportFileError("import.unknown_format", message, fields={"format": [message]})
    default_branch = _branch(branch)
    if not content or not content.strip():
        raise file_error("import.empty_file", _("The file is empty."))
    reader = {"csv": read_csv, "xlsx": read_xlsx, "marc": read_marc,
              "marcxml": read_marcxml}[fmt]
    candidates = list(reader(content))
    if not candidates:
        raise file_error("import.empty_file", _("The file holds no records."))
    report = ImportReport(format=fmt, dry_run=dry_run, total_rows=len(candidates))
    label = _("row") if fmt in TABLE_FORMATS else _("record")
    valid, errors = validate(candidates, default_branch=default_branch, label=label,
                             progress=progress)
    report.errors = errors
    if errors:
        return report
    report.titles_to_create = len(valid)
    report.items_to_create = sum(len(v.items) for v in valid)
    if dry_run:
        return report
    report.titles_created, report.items_created = catalog_write(valid, progress=progress)
    return report


def _branch(branch: Branch | str | None) -> Branch | None:
    if branch is None or isinstance(branch, Branch):
        return branch
    code = str(branch).strip()
    if not code:
        return None
    found = Branch.objects.filter(code__iexact=code).first()
    if found is None:
        known = ", ".join(Branch.objects.order_by("code").values_list("code", flat=True)) or "-"
        message = _('There is no branch with the code "%(code)s". Known codes: %(known)s.') % {
            "code": code, "known": known}
        raise ImportFileError("import.unknown_branch", message, fields={"branch": [message]})
    return found
