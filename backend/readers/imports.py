"""Import of reader cards from the lists libraries keep in Excel (XLSX) or CSV.

One flat row per reader, the columns of `columns()` (see docs/reader_import.md). Every row
is checked with the API's own `ReaderInputSerializer` (the branch is given by its code), so
a file accepts exactly what the API accepts. The import is all or nothing: one bad row and
nothing is written, and the report names each bad row (as Excel numbers it: the header is
row 1) and column.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models.sql import InsertQuery
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import override as translation_override
from openpyxl.utils import get_column_letter
from rest_framework import serializers

from backend.branches.models import Branch
from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.phones import digits_of
from backend.core.tabular import restore_cell
from backend.core.text import fold
from backend.readers.models import (
    CardChange,
    Category,
    DocumentType,
    Language,
    PhoneKind,
    Reader,
    ReaderPhone,
    ReaderStatus,
)
from backend.readers.serializers import FORMAT_CHOICES, ReaderInputSerializer
from backend.readers.services import (
    READER_FIELDS,
    _apply,
    _card_number,
    _plain,
    diff,
    reader_search_text,
)

# Columns ------------------------------------------------------------------------------------

PHONE_COLUMNS_DEFAULT = 3
PHONE_COLUMNS_MAX = 9
_PHONE_COLUMN = re.compile(r"^phone([1-9])(_kind|_sms)?$")

COLUMNS_BEFORE_PHONES = (
    "card_number", "branch", "last_name", "first_name", "patronymic", "birth_date",
    "category", "status", "language",
)
COLUMNS_AFTER_PHONES = (
    "settlement", "street", "house", "apartment", "entrance", "floor", "door_code",
    "elevator", "landmark", "lat", "lon", "access_notes",
    "preferred_subjects", "preferred_authors", "preferred_formats", "preferred_languages",
    "never_send", "availability",
    "caregiver_name", "caregiver_relation", "caregiver_phone",
    "document_type", "document_number", "document_valid_until", "consent_date",
)
REQUIRED_COLUMNS = ("branch", "last_name", "first_name", "category")
DOCUMENT_COLUMNS = ("document_type", "document_number", "document_valid_until")


def phone_columns(n: int) -> tuple[str, str, str]:
    return (f"phone{n}", f"phone{n}_kind", f"phone{n}_sms")


def columns(phone_count: int = PHONE_COLUMNS_DEFAULT) -> list[str]:
    """The columns in the order the template and the export write them."""
    phones = [name for n in range(1, phone_count + 1) for name in phone_columns(n)]
    return [*COLUMNS_BEFORE_PHONES, *phones, *COLUMNS_AFTER_PHONES]


def _known_column(name: str) -> bool:
    return (
        name in COLUMNS_BEFORE_PHONES
        or name in COLUMNS_AFTER_PHONES
        or _PHONE_COLUMN.match(name) is not None
    )


# Allowed values: the code, the Russian label and the label in the catalogues (ru/kk/en). ---
# The Russian labels are spelled out here so that an import works before (and whatever)
# the catalogues say; they are also what the template's help sheet shows.

RU_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "category": {
        Category.ELDERLY: ("Пожилой", "Пожилой человек", "Пенсионер"),
        Category.DISABILITY_1: ("Инвалидность I группы", "Инвалидность 1 группы",
                                "Инвалид I группы", "Инвалид 1 группы", "1 группа"),
        Category.DISABILITY_2: ("Инвалидность II группы", "Инвалидность 2 группы",
                                "Инвалид II группы", "Инвалид 2 группы", "2 группа"),
        Category.DISABILITY_3: ("Инвалидность III группы", "Инвалидность 3 группы",
                                "Инвалид III группы", "Инвалид 3 группы", "3 группа"),
        Category.CHILD_DISABILITY: ("Ребёнок с инвалидностью", "Ребенок-инвалид"),
        Category.HOUSEBOUND: ("Временно не выходит из дома", "Временно нетрудоспособный"),
        Category.VETERAN: ("Ветеран",),
        Category.OTHER: ("Другое", "Прочее"),
    },
    "status": {
        ReaderStatus.ACTIVE: ("Активен", "Активный", "Обслуживается"),
        ReaderStatus.PAUSED: ("Приостановлен", "Пауза"),
        ReaderStatus.CLOSED: ("Закрыт", "Закрыт (выбыл)"),
    },
    "language": {
        Language.KAZAKH: ("Казахский", "Қазақша", "Қазақ тілі", "каз"),
        Language.RUSSIAN: ("Русский", "Орысша", "рус"),
    },
    "phone_kind": {
        PhoneKind.MOBILE: ("Мобильный", "Сотовый"),
        PhoneKind.HOME: ("Домашний",),
        PhoneKind.CAREGIVER: ("Помощник", "Опекун", "Родственник"),
    },
    "document_type": {
        DocumentType.DISABILITY_CERTIFICATE: ("Справка об инвалидности", "Справка МСЭ"),
        DocumentType.PENSION_CERTIFICATE: ("Пенсионное удостоверение",),
        DocumentType.MEDICAL_REPORT: ("Медицинское заключение", "Справка врача"),
        DocumentType.VETERAN_CERTIFICATE: ("Удостоверение ветерана",),
        DocumentType.OTHER: ("Другой документ", "Другое"),
    },
    "format": {
        "print": ("Обычный шрифт", "Печатная книга"),
        "large_print": ("Крупный шрифт",),
        "audio": ("Аудиокнига", "Аудио"),
        "braille": ("Шрифт Брайля", "Брайль"),
        "periodical": ("Периодика", "Журналы и газеты"),
    },
}
RU_LABELS["preferred_languages"] = RU_LABELS["language"]

CHOICES: dict[str, list[tuple[str, Any]]] = {
    "category": list(Category.choices),
    "status": list(ReaderStatus.choices),
    "language": list(Language.choices),
    "phone_kind": list(PhoneKind.choices),
    "document_type": list(DocumentType.choices),
    "format": list(FORMAT_CHOICES),
    "preferred_languages": list(Language.choices),
}

WEEKDAYS_EN = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
WEEKDAYS_RU = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
# Kazakh: Дүйсенбі, Сейсенбі, Сәрсенбі, Бейсенбі, Жұма, Сенбі, Жексенбі.
WEEKDAYS_KK = ("Дс", "Сс", "Ср", "Бс", "Жм", "Сб", "Жс")

_PUNCT = re.compile(r"[\s\-_.,()]+")


def _key(text: str) -> str:
    return _PUNCT.sub(" ", fold(text)).strip()


_LOOKUPS: dict[str, dict[str, str]] = {}


def _lookup(kind: str) -> dict[str, str]:
    """Normalised code or label -> code. Built once: labels of all catalogues count."""
    table = _LOOKUPS.get(kind)
    if table is None:
        table = {}
        for code, label in CHOICES[kind]:
            table[_key(code)] = code
            for lang in ("en", "ru", "kk"):
                with translation_override(lang):
                    table.setdefault(_key(force_str(label)), code)
        for code, labels in RU_LABELS.get(kind, {}).items():
            for label in labels:
                table.setdefault(_key(label), str(code))
        _LOOKUPS[kind] = table
    return table


def allowed_values(kind: str) -> list[tuple[str, str]]:
    """(code, Russian label) pairs for the help sheet and the docs."""
    ru = RU_LABELS.get(kind, {})
    return [(str(code), ru.get(code, (force_str(label),))[0]) for code, label in CHOICES[kind]]


# Errors and the report ----------------------------------------------------------------------


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (format, header, size): no row was looked at."""


@dataclass
class RowError:
    row: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code,
                "message": self.message}


@dataclass
class Duplicate:
    row: int
    column: str
    existing_card: str | None = None
    same_as_row: int | None = None
    card_number: str | None = None  # the new card, when a flagged row was imported

    def message(self) -> str:
        if self.existing_card:
            return _("Same person as card %(card)s (phone and birth date).") % {
                "card": self.existing_card}
        return _("Same person as row %(row)s (phone and birth date).") % {
            "row": self.same_as_row}

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "existing_card": self.existing_card,
                "same_as_row": self.same_as_row, "card_number": self.card_number,
                "message": self.message()}


class DuplicateMode:
    SKIP = "skip"
    FLAG = "flag"
    ERROR = "error"
    ALL = ("skip", "flag", "error")


@dataclass
class ImportReport:
    dry_run: bool = False
    duplicates_mode: str = DuplicateMode.SKIP
    total_rows: int = 0
    to_create: int = 0
    created: int = 0
    skipped: int = 0
    flagged: int = 0
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

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


Progress = Callable[[str, int, int], None]
"""progress(phase, done, total); phase is "validate" or "write"."""


# Reading the file -----------------------------------------------------------------------------


def _unreadable_csv() -> ImportFileError:
    message = _("The file could not be read as CSV: save it as CSV (UTF-8) or XLSX.")
    return ImportFileError("import.bad_file", message, fields={"file": [message]})


def _decode(content: bytes) -> str:
    try:
        if content.startswith(b"\xef\xbb\xbf"):
            return content[3:].decode("utf-8")
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            return content.decode("utf-16")  # Excel's "Unicode text"
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            # Excel in a Russian or Kazakh Windows saves "CSV" in the ANSI code page.
            return content.decode("cp1251")
    except UnicodeDecodeError as exc:  # not text at all (a picture, a PDF...)
        raise _unreadable_csv() from exc


def _read_csv(content: bytes) -> Iterator[list[Any]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:  # e.g. a field longer than the csv module takes
        raise _unreadable_csv() from exc


def _read_xlsx(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(
            "import.bad_file",
            _("The file could not be read as an Excel workbook (XLSX)."),
            fields={"file": [_("The file could not be read as an Excel workbook (XLSX).")]},
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _table(content: bytes, filename: str) -> Iterator[list[Any]]:
    name = (filename or "").lower()
    if content.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if content.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        message = _("Old Excel files (.xls) are not read: save the list as .xlsx or .csv.")
        raise ImportFileError("import.bad_file", message, fields={"file": [message]})
    return _read_csv(content)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_name(value: Any) -> str:
    text = "" if value is None else str(value)
    return re.sub(r"\s+", "_", text.replace("\ufeff", "").strip().lower())


@dataclass
class _Sheet:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (Excel row number, cells)


def read_sheet(content: bytes, filename: str = "") -> _Sheet:
    """Header and non-blank data rows. Raises ImportFileError for a file-level problem."""
    if not content or not content.strip():
        message = _("The file is empty.")
        raise ImportFileError("import.empty_file", message, fields={"file": [message]})
    table = _table(content, filename)
    header_cells = next(table, None)
    # The header must be the first row.
    if header_cells is None or all(_blank(c) for c in header_cells):
        message = _("The file is empty: the first row must name the columns.")
        raise ImportFileError("import.empty_file", message, fields={"file": [message]})
    header = [_header_name(c) for c in header_cells]
    _check_header(header)
    limit = settings.READER_IMPORT_MAX_ROWS
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(table, start=2):
        if all(_blank(c) for c in cells):
            continue
        # An export writes `'=…`, `'+7701…` so that no spreadsheet runs them: read them back.
        rows.append((number, [restore_cell(c) for c in cells]))
        if len(rows) > limit:
            message = _("The file has more than %(limit)s rows; split it into smaller files.") % {
                "limit": limit}
            raise ImportFileError("import.too_many_rows", message,
                                  fields={"file": [message]})
    if not rows:
        message = _("The file has a header but no rows.")
        raise ImportFileError("import.empty_file", message, fields={"file": [message]})
    return _Sheet(header=header, rows=rows)


def _check_header(header: list[str]) -> None:
    named = [h for h in header if h]
    unknown = [h for h in named if not _known_column(h)]
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
    fields["file"] = [message]
    raise ImportFileError("import.bad_header", message, fields=fields)


# One row: cells -> the API's nested input ---------------------------------------------------


class _CellError(Exception):
    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()


_DATE_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    match = _DATE_ISO.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        match = _DATE_DOTTED.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
    except ValueError:
        pass
    raise _CellError(_("Enter a date as YYYY-MM-DD or DD.MM.YYYY, e.g. 1948-03-12 or 12.03.1948."))


_TRUE = {"1", "yes", "y", "true", "да", "д", "иә", "ия", "+", "x", "✓"}
_FALSE = {"0", "no", "n", "false", "нет", "н", "жоқ", "-"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError(_("Enter yes or no (да / нет)."))


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return _text(value).replace(",", ".").replace(" ", "")


def _choice(kind: str, value: Any) -> str:
    text = _text(value)
    code = _lookup(kind).get(_key(text))
    if code is None:
        allowed = ", ".join(code for code, _label in allowed_values(kind))
        raise _CellError(
            _('"%(value)s" is not allowed here. Use one of: %(allowed)s (or its Russian name).')
            % {"value": text, "allowed": allowed},
            code="invalid_choice",
        )
    return code


def _phone(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value))
    text = _text(value)
    digits = digits_of(text)
    # Excel turns +77011234567 into the number 77011234567: give it its plus back.
    if text == digits and len(digits) == 11 and digits[0] == "7":
        return "+" + digits
    return text


def _list(value: Any) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


_DAY_NAMES = {
    **{fold(d): i for i, d in enumerate(WEEKDAYS_EN)},
    **{fold(d): i for i, d in enumerate(WEEKDAYS_RU)},
    **{fold(d): i for i, d in enumerate(WEEKDAYS_KK)},
}
_SLOT = re.compile(
    r"^(?P<days>[^\d]+?)\s*(?P<start>\d{1,2}(?:[:.]\d{2})?)\s*[-–—]\s*(?P<end>\d{1,2}(?:[:.]\d{2})?)$"
)


def _clock(text: str) -> str:
    hours, _sep, minutes = text.replace(".", ":").partition(":")
    return f"{int(hours):02d}:{minutes or '00'}"


def _availability(value: Any) -> list[dict[str, Any]]:
    """`Tu 10:00-13:00; Th 14:00-17:00` (also `Вт 10-13`, `Mo, We 9:00-12:00`)."""
    slots = []
    for part in _list(value):
        match = _SLOT.match(part)
        days = []
        if match:
            for name in re.split(r"[\s,/]+", match["days"].strip()):
                if name:
                    days.append(_DAY_NAMES.get(fold(name).rstrip(".")))
        if not match or not days or None in days:
            raise _CellError(
                _('Cannot read "%(part)s": write e.g. "Tu 10:00-13:00; Th 14:00-17:00" '
                  "(days Mo Tu We Th Fr Sa Su or Пн Вт Ср Чт Пт Сб Вс).") % {"part": part},
                code="import.bad_availability",
            )
        for day in days:
            slots.append({"weekday": day, "start": _clock(match["start"]),
                          "end": _clock(match["end"])})
    return slots


TEXT_COLUMNS = ("last_name", "first_name", "patronymic", "access_notes")
ADDRESS_TEXT = ("settlement", "street", "house", "apartment", "entrance", "door_code",
                "landmark")
PREFERENCE_COLUMNS = {
    "preferred_subjects": "subjects",
    "preferred_authors": "authors",
    "preferred_formats": "formats",
    "preferred_languages": "languages",
    "never_send": "never_send",
}
CAREGIVER_COLUMNS = {"caregiver_name": "name", "caregiver_relation": "relation",
                     "caregiver_phone": "phone"}
DOCUMENT_KEYS = {"document_type": "type", "document_number": "number",
                 "document_valid_until": "valid_until"}


def row_input(cells: dict[str, Any]) -> tuple[dict[str, Any], dict[str, _CellError], list[int]]:
    """The nested input of ReaderInputSerializer built from one row's flat cells.

    Returns (data, cell errors by column, phone column number of each phone given).
    Blank cells are left out, so the API's defaults apply.
    """
    data: dict[str, Any] = {}
    errors: dict[str, _CellError] = {}
    given = {k: v for k, v in cells.items() if not _blank(v)}

    def convert(column: str, func: Callable[[Any], Any]) -> Any:
        try:
            return func(given[column])
        except _CellError as exc:
            errors[column] = exc
            return None

    if "branch" in given:
        data["branch"] = _text(given["branch"])
    for column in TEXT_COLUMNS:
        if column in given:
            data[column] = _text(given[column])
    for column, kind in (("category", "category"), ("status", "status"),
                         ("language", "language")):
        if column in given:
            value = convert(column, lambda v, kind=kind: _choice(kind, v))
            if value is not None:
                data[column] = value
    if "birth_date" in given:
        value = convert("birth_date", _date)
        if value is not None:
            data["birth_date"] = value

    phones, phone_numbers = [], []
    for n in range(1, PHONE_COLUMNS_MAX + 1):
        number_col, kind_col, sms_col = phone_columns(n)
        if number_col not in given:
            continue
        phone: dict[str, Any] = {"number": _phone(given[number_col])}
        if kind_col in given:
            kind = convert(kind_col, lambda v: _choice("phone_kind", v))
            if kind is not None:
                phone["kind"] = kind
        if sms_col in given:
            sms = convert(sms_col, _bool)
            if sms is not None:
                phone["sms_ok"] = sms
        phones.append(phone)
        phone_numbers.append(n)
    if phones:
        data["phones"] = phones

    address: dict[str, Any] = {}
    for column in ADDRESS_TEXT:
        if column in given:
            address[column] = _text(given[column])
    for column in ("floor", "lat", "lon"):
        if column in given:
            address[column] = _number(given[column])
    if "elevator" in given:
        value = convert("elevator", _bool)
        if value is not None:
            address["elevator"] = value
    if address:
        data["address"] = address

    preferences: dict[str, Any] = {}
    for column, key in PREFERENCE_COLUMNS.items():
        if column not in given:
            continue
        items = _list(given[column])
        kind = {"formats": "format", "languages": "preferred_languages"}.get(key)
        if kind:
            try:
                items = [_choice(kind, item) for item in items]
            except _CellError as exc:
                errors[column] = exc
                continue
        preferences[key] = items
    if preferences:
        data["preferences"] = preferences

    if "availability" in given:
        slots = convert("availability", _availability)
        if slots is not None:
            data["availability"] = slots

    caregiver = {key: (_phone(given[c]) if key == "phone" else _text(given[c]))
                 for c, key in CAREGIVER_COLUMNS.items() if c in given}
    if caregiver:
        data["caregiver"] = caregiver

    document: dict[str, Any] = {}
    if "document_type" in given:
        value = convert("document_type", lambda v: _choice("document_type", v))
        if value is not None:
            document["type"] = value
    if "document_number" in given:
        document["number"] = _text(given["document_number"])
    if "document_valid_until" in given:
        value = convert("document_valid_until", _date)
        if value is not None:
            document["valid_until"] = value
    if document:
        data["document"] = document

    if "consent_date" in given:
        value = convert("consent_date", _date)
        if value is not None:
            data["consent"] = {"date": value}
    return data, errors, phone_numbers


# Validation with the API's serializer -------------------------------------------------------


class BranchCodeField(serializers.Field):
    """A branch given by its code (`BSH`), any case. Looks up a table built once per file."""

    default_error_messages = {
        "unknown": gettext_lazy('There is no branch with the code "%(code)s". Known codes: '
                                "%(known)s."),
    }

    def to_internal_value(self, data):
        branches: dict[str, Branch] = self.context["branches"]
        code = str(data).strip()
        branch = branches.get(code.casefold())
        if branch is None:
            known = ", ".join(sorted(b.code for b in branches.values()))
            self.fail("unknown", code=code, known=known)
        return branch

    def to_representation(self, value):
        return value.code


class ReaderImportSerializer(ReaderInputSerializer):
    """The API's reader input, with the branch given by its code instead of its id."""

    branch = BranchCodeField()


class _RowValidator:
    """ReaderImportSerializer run on one row after another.

    One serializer instance for the whole file: DRF deep-copies every declared field for
    each new instance, which is most of the time of a row. Validation itself keeps no
    state between calls: this is what is_valid() does, minus building the fields again.
    """

    def __init__(self, *, branches: dict[str, Branch]) -> None:
        self.serializer = ReaderImportSerializer(context={"branches": branches})

    def validate(self, data: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
        """(flat data as to_flat() gives it, None) or (None, the serializer's errors)."""
        serializer = self.serializer
        try:
            serializer._validated_data = serializer.run_validation(data)
        except serializers.ValidationError as exc:
            return None, exc.detail
        return serializer.to_flat(), None


def _error_leaves(detail: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _error_leaves(value, (*path, key))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                yield from _error_leaves(value, (*path, index))
            else:
                yield path, value
    else:
        yield path, detail


def _column_of(path: tuple, phone_numbers: list[int]) -> str:
    head = path[0] if path else "non_field_errors"
    rest = path[1:]
    if head == "phones":
        if rest and isinstance(rest[0], int) and rest[0] < len(phone_numbers):
            n = phone_numbers[rest[0]]
            sub = rest[1] if len(rest) > 1 else "number"
            return {"number": f"phone{n}", "kind": f"phone{n}_kind",
                    "sms_ok": f"phone{n}_sms"}.get(sub, f"phone{n}")
        return "phone1"
    if head == "address":
        sub = rest[0] if rest else "settlement"
        return "lat" if sub == "non_field_errors" else str(sub)
    if head == "preferences":
        sub = rest[0] if rest else "subjects"
        return "never_send" if sub == "never_send" else f"preferred_{sub}"
    if head == "caregiver":
        return f"caregiver_{rest[0]}" if rest else "caregiver_name"
    if head == "document":
        return f"document_{rest[0]}" if rest else "document_type"
    if head == "consent":
        return "consent_date"
    if head == "non_field_errors":
        return ""
    return str(head)


@dataclass
class _ValidRow:
    row: int
    flat: dict[str, Any]
    phone_columns: list[int]  # N of each phoneN column that holds a number, in order
    reader: Reader  # unsaved, checked
    card_number: str = ""


def _prepare_reader(flat: dict[str, Any], by) -> Reader:
    """An unsaved Reader with the flat data applied exactly as reader_create applies it."""
    if flat.get("status") in (None, ""):
        flat = {**flat,
                "status": ReaderStatus.ACTIVE if flat.get("consent_date") else ReaderStatus.PAUSED}
    reader = Reader(created_by=by)
    _apply(reader, flat, by)
    return reader


# These are checked by the serializer or by the import itself (branch, card number).
_CLEAN_EXCLUDE = ["id", "card_number", "search_text", "branch", "created_by",
                  "consent_recorded_by", "family_card", "closed_at", "created_at", "updated_at"]


def reader_problems(reader: Reader) -> dict[str, tuple[str, str]]:
    """{field: (code, message)}: the checks of full_clean() without a query per row.

    The consent rule is the table's check constraint (and reader_create's check).
    """
    problems: dict[str, tuple[str, str]] = {}
    if reader.status == ReaderStatus.ACTIVE and not reader.consent_date:
        problems["status"] = (
            "reader.consent_required",
            _("A card cannot become active without consent to personal data processing."),
        )
    try:
        reader.clean_fields(exclude=_CLEAN_EXCLUDE)
    except DjangoValidationError as exc:
        for name, errors in exc.error_dict.items():
            first = errors[0]
            problems.setdefault(name, (first.code or "invalid", " ".join(first.messages)))
    return problems


def validate_rows(
    sheet: _Sheet, *, by=None, progress: Progress | None = None
) -> tuple[list[_ValidRow], list[RowError]]:
    validator = _RowValidator(branches={b.code.casefold(): b for b in Branch.objects.all()})
    valid: list[_ValidRow] = []
    errors: list[RowError] = []
    header = sheet.header
    total = len(sheet.rows)
    for done, (number, cells) in enumerate(sheet.rows, start=1):
        row_errors: dict[str, RowError] = {}
        named: dict[str, Any] = {}
        for index, value in enumerate(cells):
            name = header[index] if index < len(header) else ""
            if name:
                named[name] = value
            elif not _blank(value):
                letter = get_column_letter(index + 1)
                row_errors.setdefault(letter, RowError(
                    number, letter, "import.unnamed_column",
                    _("There is a value in column %(letter)s, which has no name in the "
                      "first row.") % {"letter": letter}))
        data, cell_errors, phone_numbers = row_input(named)
        for column, exc in cell_errors.items():
            row_errors.setdefault(column, RowError(number, column, exc.code, exc.message))
        flat, detail = validator.validate(data)
        reader = None
        if flat is not None:
            if not row_errors:
                reader = _prepare_reader(flat, by)
                # The flat model fields are named like the columns.
                for name, (code, message) in reader_problems(reader).items():
                    row_errors.setdefault(name, RowError(number, name, code, message))
        else:
            for path, leaf in _error_leaves(detail):
                column = _column_of(path, phone_numbers)
                code = getattr(leaf, "code", None) or "invalid"
                row_errors.setdefault(column, RowError(number, column, code, str(leaf)))
        if row_errors:
            errors.extend(row_errors.values())
        else:
            valid.append(_ValidRow(number, flat, phone_numbers, reader,
                                   _text(named.get("card_number"))))
        if progress and (done % 200 == 0 or done == total):
            progress("validate", done, total)
    return valid, errors


# Duplicates -----------------------------------------------------------------------------------


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class DuplicateCheck:
    """Rows that are a reader already on file, or a reader of an earlier row.

    The same person: any phone and the birth date equal. Also a card number (from an
    export) that is already on file.

    The queries are built once (turning thousands of phone numbers into their stored form
    is most of the cost) and can be run again cheaply: the import runs them before its write
    transaction and once more inside it, to be sure nothing changed in between.
    """

    def __init__(self, rows: list[_ValidRow]) -> None:
        self.rows = rows
        numbers = sorted({str(p["number"]) for r in rows if r.flat.get("birth_date")
                          for p in r.flat.get("phones", [])})
        self._phone_queries = [
            ReaderPhone.objects.filter(number__in=chunk, reader__birth_date__isnull=False)
            .values_list("number", "reader__birth_date", "reader__card_number")
            for chunk in _chunks(numbers)
        ]
        wanted_cards = sorted({r.card_number for r in rows if r.card_number})
        self._card_queries = [
            Reader.objects.filter(card_number__in=chunk).values_list("card_number", flat=True)
            for chunk in _chunks(wanted_cards)
        ]

    def run(self) -> list[Duplicate]:
        existing: dict[tuple[str, str], str] = {}
        for query in self._phone_queries:
            for number, birth, card in query.all():  # all(): a fresh run, not the cache
                existing.setdefault((str(number), birth.isoformat()), card)
        known_cards: set[str] = set()
        for query in self._card_queries:
            known_cards.update(query.all())
        seen: dict[tuple[str, str], int] = {}
        found: list[Duplicate] = []
        for row in self.rows:
            birth = row.flat.get("birth_date")
            keys = []
            if birth:
                keys = [(str(p["number"]), birth.isoformat(), position)
                        for position, p in enumerate(row.flat.get("phones", []), start=1)]
            duplicate = None
            if row.card_number and row.card_number in known_cards:
                duplicate = Duplicate(row.row, "card_number", existing_card=row.card_number)
            for number, birth_text, position in keys:
                if duplicate:
                    break
                column = f"phone{row.phone_columns[position - 1]}"
                if (number, birth_text) in existing:
                    duplicate = Duplicate(row.row, column,
                                          existing_card=existing[(number, birth_text)])
                elif (number, birth_text) in seen:
                    duplicate = Duplicate(row.row, column,
                                          same_as_row=seen[(number, birth_text)])
            for number, birth_text, _position in keys:
                seen.setdefault((number, birth_text), row.row)
            if duplicate:
                found.append(duplicate)
        return found


def find_duplicates(rows: list[_ValidRow]) -> list[Duplicate]:
    return DuplicateCheck(rows).run()


# Writing --------------------------------------------------------------------------------------


def _snapshot(reader: Reader, phones: list[ReaderPhone]) -> dict[str, Any]:
    """reader_snapshot() of a just-imported card, without a query for its phones."""
    snap = {name: _plain(getattr(reader, name)) for name in READER_FIELDS}
    snap["family_card"] = reader.family_card_id
    snap["phones"] = [{"number": str(p.number), "kind": p.kind, "sms_ok": p.sms_ok}
                      for p in phones]
    return snap


def _phone_rows(reader: Reader, phones: Iterable[dict[str, Any]]) -> list[ReaderPhone]:
    """As services._set_phones: a number once per card, position as given."""
    seen: set[str] = set()
    rows = []
    for position, phone in enumerate(phones):
        number = str(phone["number"])
        if number in seen:
            continue
        seen.add(number)
        rows.append(ReaderPhone(reader=reader, number=number, kind=phone.get("kind") or "mobile",
                                sms_ok=phone.get("sms_ok", True), position=position))
    return rows


def _reserve_ids(model, count: int) -> list[int]:
    """`count` ids for new rows of `model`, which no other insert will take.

    Taken in a short transaction of their own, so that the import's cards get their numbers
    (branch code + id), search text, phones and history before its write transaction
    begins. An import that then writes nothing leaves a gap in the ids, as a rolled-back
    insert does on PostgreSQL.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # The table is AUTOINCREMENT: SQLite numbers a new row after the larger of the
            # highest id and sqlite_sequence's value, which we move past the ids we take.
            cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
            top = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is None:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                               [table, top + count])
            else:
                top = max(top, row[0])
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s",
                               [top + count, table])
            return list(range(top + 1, top + count + 1))
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _insert_statements(model, objs: list, *, with_pk: bool) -> list[tuple[str, tuple]]:
    """The INSERTs bulk_create would run for `objs`, with every value already converted.

    Converting values (phone numbers, JSON, dates) is most of an insert's cost; done here,
    before the write transaction, the transaction only runs the statements.
    """
    fields = [f for f in model._meta.concrete_fields
              if not f.generated and (with_pk or not f.primary_key)]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    statements: list[tuple[str, tuple]] = []
    for chunk in _chunks(objs, size):
        query = InsertQuery(model)
        query.insert_values(fields, chunk)
        statements.extend(query.get_compiler(connection=connection).as_sql())
    return statements


@dataclass
class _Writes:
    readers: list[Reader]
    statements: list[tuple[str, tuple]]

    def run(self, progress: Progress | None = None) -> list[Reader]:
        """Run the statements; the caller holds the transaction (and reports its end)."""
        total, count = len(self.readers), len(self.statements)
        with connection.cursor() as cursor:
            for done, (sql, params) in enumerate(self.statements, start=1):
                cursor.execute(sql, params)
                if progress and done % 200 == 0:
                    progress("write", total * done // count, total)
        for reader in self.readers:
            reader._state.adding = False
            reader._state.db = connection.alias
        return self.readers


def _prepare_writes(
    readers: list[Reader], rows: list[dict[str, Any]], *, by, action: str
) -> _Writes:
    """Everything the import writes for checked, unsaved readers (made by _prepare_reader
    from `rows`), as statements ready to run: the cards, their phones, their history."""
    phones: list[ReaderPhone] = []
    changes: list[CardChange] = []
    for reader, pk, flat in zip(readers, _reserve_ids(Reader, len(readers)), rows):
        reader.pk = pk
        reader.card_number = _card_number(reader.branch.code, pk)
        reader.search_text = reader_search_text(reader)
        own = _phone_rows(reader, flat.get("phones", []))
        phones.extend(own)
        changes.append(CardChange(reader=reader, actor=by, action=action,
                                  changes=diff({}, _snapshot(reader, own))))
    statements = [
        *_insert_statements(Reader, readers, with_pk=True),
        *_insert_statements(ReaderPhone, phones, with_pk=False),
        *_insert_statements(CardChange, changes, with_pk=False),
    ]
    return _Writes(readers, statements)


def readers_import_bulk(
    *,
    rows: list[dict[str, Any]],
    by=None,
    action: str = CardChange.Action.IMPORTED,
    progress: Progress | None = None,
) -> list[Reader]:
    """Create many reader cards in a few queries; the same cards reader_create would make.

    `rows` are flat dicts as ReaderInputSerializer.to_flat() gives them (branch a Branch).
    All or nothing. Each card gets its number (branch code + id), its phones and an
    "imported" entry in its history. Raises ApplicationError if a row breaks a rule
    (`fields.rows` names the row, counting from 1, and the field).
    """
    readers = []
    for index, flat in enumerate(rows, start=1):
        reader = _prepare_reader(flat, by)
        problems = reader_problems(reader)
        if problems:
            name, (code, message) = next(iter(problems.items()))
            raise ApplicationError(code, message, fields={
                "rows": [{"row": index, "column": name, "code": code, "message": message}]})
        readers.append(reader)
    writes = _prepare_writes(readers, rows, by=by, action=action)
    with transaction.atomic():
        if progress:
            progress("write", 0, len(readers))
        writes.run(progress)
    if progress:
        progress("write", len(readers), len(readers))
    return readers


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
    sheet = read_sheet(content, filename)
    valid, row_errors = validate_rows(sheet, by=by, progress=progress)
    check = DuplicateCheck(valid)
    for _attempt in range(IMPORT_ATTEMPTS):
        report, to_import = _plan(sheet, valid, row_errors, check.run(), dry_run, duplicates)
        if dry_run or not report.ok:
            return report
        # The rows were checked above exactly as readers_import_bulk checks them.
        writes = _prepare_writes([r.reader for r in to_import], [r.flat for r in to_import],
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
    sheet: _Sheet,
    valid: list[_ValidRow],
    row_errors: list[RowError],
    found: list[Duplicate],
    dry_run: bool,
    duplicates: str,
) -> tuple[ImportReport, list[_ValidRow]]:
    """The report before writing, and the rows to write, given the duplicates found."""
    report = ImportReport(dry_run=dry_run, duplicates_mode=duplicates,
                          total_rows=len(sheet.rows))
    errors = list(row_errors)
    duplicate_rows = {d.row: d for d in found}
    to_import: list[_ValidRow] = []
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
    report.errors = sorted(errors, key=lambda e: (e.row, _column_order(sheet.header, e.column)))
    report.to_create = len(to_import) if report.ok else 0
    return report, to_import


def _column_order(header: list[str], column: str) -> int:
    return header.index(column) if column in header else len(header)
