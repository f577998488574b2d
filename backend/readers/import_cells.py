"""The cells of a reader list: its columns, the values a cell may hold, and one row's cells
turned into the input of the API's reader serializer (`row_input`).

The columns are those of the template and the export (see docs/reader_import.md); a choice
is accepted as its code, its Russian label or its label in any of the catalogues.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import override as translation_override

from backend.core.phones import digits_of
from backend.core.tabular import blank
from backend.core.text import fold
from backend.readers.models import Category, DocumentType, Language, PhoneKind, ReaderStatus
from backend.readers.serializers import FORMAT_CHOICES

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


def known_column(name: str) -> bool:
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


# One row: cells -> the API's nested input ---------------------------------------------------


class CellError(Exception):
    """A cell that cannot be read; `code` and `message` go into the row's error."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def cell_text(value: Any) -> str:
    """A cell as text: an XLSX number 12.0 is \"12\", a date YYYY-MM-DD."""
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
    text = cell_text(value)
    match = _DATE_ISO.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        match = _DATE_DOTTED.match(text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
    except ValueError:
        pass
    raise CellError(_("Enter a date as YYYY-MM-DD or DD.MM.YYYY, e.g. 1948-03-12 or 12.03.1948."))


_TRUE = {"1", "yes", "y", "true", "да", "д", "иә", "ия", "+", "x", "✓"}
_FALSE = {"0", "no", "n", "false", "нет", "н", "жоқ", "-"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(cell_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("Enter yes or no (да / нет)."))


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return cell_text(value).replace(",", ".").replace(" ", "")


def _choice(kind: str, value: Any) -> str:
    text = cell_text(value)
    code = _lookup(kind).get(_key(text))
    if code is None:
        allowed = ", ".join(code for code, _label in allowed_values(kind))
        raise CellError(
            _('"%(value)s" is not allowed here. Use one of: %(allowed)s (or its Russian name).')
            % {"value": text, "allowed": allowed},
            code="invalid_choice",
        )
    return code


def _categories(value: Any) -> list[str]:
    """`Пенсионер; Инвалид 2 группы` (or with commas): the main category first, then the
    others, each as the category column accepts it. A comma inside a label ("Disability,
    group II") is read as part of it: the longest run of comma-separated pieces that is a
    category wins."""
    codes: list[str] = []
    for part in _list(value):
        pieces = [piece.strip() for piece in part.split(",") if piece.strip()]
        start = 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):
                code = _lookup("category").get(_key(", ".join(pieces[start:end])))
                if code is not None:
                    break
            else:
                _choice("category", pieces[start])  # raises, naming the piece
            codes.append(code)
            start = end
    return list(dict.fromkeys(codes))


def _phone(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value))
    text = cell_text(value)
    digits = digits_of(text)
    # Excel turns +77011234567 into the number 77011234567: give it its plus back.
    if text == digits and len(digits) == 11 and digits[0] == "7":
        return "+" + digits
    return text


def _list(value: Any) -> list[str]:
    return [part.strip() for part in cell_text(value).split(";") if part.strip()]


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
            raise CellError(
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


def row_input(cells: dict[str, Any]) -> tuple[dict[str, Any], dict[str, CellError], list[int]]:
    """The nested input of ReaderInputSerializer built from one row's flat cells.

    Returns (data, cell errors by column, phone column number of each phone given).
    Blank cells are left out, so the API's defaults apply.
    """
    data: dict[str, Any] = {}
    errors: dict[str, CellError] = {}
    given = {k: v for k, v in cells.items() if not blank(v)}

    def convert(column: str, func: Callable[[Any], Any]) -> Any:
        try:
            return func(given[column])
        except CellError as exc:
            errors[column] = exc
            return None

    if "branch" in given:
        data["branch"] = cell_text(given["branch"])
    for column in TEXT_COLUMNS:
        if column in given:
            data[column] = cell_text(given[column])
    if "category" in given:
        codes = convert("category", _categories)
        if codes:
            data["category"], data["categories"] = codes[0], codes
    for column, kind in (("status", "status"), ("language", "language")):
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
            address[column] = cell_text(given[column])
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
            except CellError as exc:
                errors[column] = exc
                continue
        preferences[key] = items
    if preferences:
        data["preferences"] = preferences

    if "availability" in given:
        slots = convert("availability", _availability)
        if slots is not None:
            data["availability"] = slots

    caregiver = {key: (_phone(given[c]) if key == "phone" else cell_text(given[c]))
                 for c, key in CAREGIVER_COLUMNS.items() if c in given}
    if caregiver:
        data["caregiver"] = caregiver

    document: dict[str, Any] = {}
    if "document_type" in given:
        value = convert("document_type", lambda v: _choice("document_type", v))
        if value is not None:
            document["type"] = value
    if "document_number" in given:
        document["number"] = cell_text(given["document_number"])
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

