"""Export of reader cards to CSV and XLSX in exactly the columns the import reads.

An exported file imports back unchanged (apart from the card numbers, which the database
gives). Text that a spreadsheet would run as a formula (`=…`, `+…`, `-…`, `@…`; phone
numbers too) is written with a `'` in front, which the import takes off again (see
backend/core/tabular.py). CSV is streamed row by row, so a city-sized export does not sit in memory.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from backend.core.tabular import csv_row, xlsx_row
from backend.readers.import_cells import (
    DOCUMENT_COLUMNS,
    PHONE_COLUMNS_DEFAULT,
    PHONE_COLUMNS_MAX,
    REQUIRED_COLUMNS,
    WEEKDAYS_EN,
    WEEKDAYS_RU,
    allowed_values,
    columns,
)
from backend.readers.models import Reader, ReaderPhone

# Excel with Russian or Kazakh regional settings splits CSV on ";" when the file is opened.
CSV_DELIMITER = ";"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # so that Excel reads the file as UTF-8
SHEET_READERS = "Читатели"
SHEET_HELP = "Справка"


def phone_count(readers: QuerySet[Reader]) -> int:
    """As many phone column groups as the reader with the most phones needs (3 at least)."""
    most = (
        ReaderPhone.objects.filter(reader__in=readers.order_by().values("pk"))
        .values("reader").annotate(n=Count("id")).aggregate(most=Max("n"))["most"]
    )
    return max(PHONE_COLUMNS_DEFAULT, min(most or 0, PHONE_COLUMNS_MAX))


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return "yes" if value else "no"


def _number(value: Any) -> str:
    return "" if value is None else str(value)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def format_availability(slots: Iterable[dict]) -> str:
    return "; ".join(
        f"{WEEKDAYS_EN[s['weekday']]} {s['start']}-{s['end']}" for s in slots or []
    )


def reader_row(
    reader: Reader, *, phones: int = PHONE_COLUMNS_DEFAULT, documents: bool = True
) -> dict[str, Any]:
    """One reader as {column: value}; values are what the import reads back."""
    prefs = reader.preferences or {}
    row: dict[str, Any] = {
        "card_number": reader.card_number,
        "branch": reader.branch.code,
        "last_name": reader.last_name,
        "first_name": reader.first_name,
        "patronymic": reader.patronymic,
        "birth_date": reader.birth_date,
        # The main category first; the import reads the others after it.
        "category": "; ".join(reader.category_codes),
        "status": reader.status,
        "language": reader.language,
    }
    own = list(reader.phones.all())[:phones]
    for n in range(1, phones + 1):
        phone = own[n - 1] if n <= len(own) else None
        row[f"phone{n}"] = str(phone.number) if phone else ""
        row[f"phone{n}_kind"] = phone.kind if phone else ""
        row[f"phone{n}_sms"] = _yes_no(phone.sms_ok) if phone else ""
    row.update({
        "settlement": reader.settlement,
        "street": reader.street,
        "house": reader.house,
        "apartment": reader.apartment,
        "entrance": reader.entrance,
        "floor": reader.floor,
        "door_code": reader.door_code,
        "elevator": _yes_no(reader.elevator),
        "landmark": reader.landmark,
        "lat": reader.lat,
        "lon": reader.lon,
        "access_notes": reader.access_notes,
        "preferred_subjects": "; ".join(prefs.get("subjects", [])),
        "preferred_authors": "; ".join(prefs.get("authors", [])),
        "preferred_formats": "; ".join(prefs.get("formats", [])),
        "preferred_languages": "; ".join(prefs.get("languages", [])),
        "never_send": "; ".join(prefs.get("never_send", [])),
        "availability": format_availability(reader.availability),
        "caregiver_name": reader.caregiver_name,
        "caregiver_relation": reader.caregiver_relation,
        "caregiver_phone": str(reader.caregiver_phone) if reader.caregiver_phone else "",
        "document_type": reader.document_type,
        "document_number": reader.document_number,
        "document_valid_until": reader.document_valid_until,
        "consent_date": reader.consent_date,
    })
    if not documents:
        for column in DOCUMENT_COLUMNS:
            row[column] = ""
    return row


class _Echo:
    """A file-like object whose write() gives back the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    readers: QuerySet[Reader], *, documents: bool = True, chunk_size: int = 1000
) -> Iterator[str]:
    """The export as CSV text, line by line: a BOM and the header first."""
    phones = phone_count(readers)
    header = columns(phones)
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER)
    yield BOM + writer.writerow(header)
    for reader in readers.iterator(chunk_size=chunk_size):
        row = reader_row(reader, phones=phones, documents=documents)
        yield writer.writerow(csv_row(row[c] for c in header))


def export_xlsx(readers: QuerySet[Reader], *, documents: bool = True) -> bytes:
    from openpyxl import Workbook

    phones = phone_count(readers)
    header = columns(phones)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_READERS)
    sheet.append(header)
    for reader in readers.iterator(chunk_size=1000):
        row = reader_row(reader, phones=phones, documents=documents)
        # Text is text, never a formula; phones are text too and keep their "+".
        sheet.append(xlsx_row(sheet, (row[column] for column in header)))
    _help_sheet(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# The template ---------------------------------------------------------------------------------


def template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=CSV_DELIMITER).writerow(columns())
    return (BOM + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_READERS)
    sheet.append(columns())
    _help_sheet(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _values(kind: str) -> str:
    return "; ".join(f"{code} — {label}" for code, label in allowed_values(kind))


def column_help() -> list[tuple[str, str, str, str]]:
    """(column, required, what it is, format and allowed values) for the help sheet."""
    yes, no = _("yes"), _("no")
    bool_values = _("yes / no (also да / нет, 1 / 0)")
    date_format = _("YYYY-MM-DD or DD.MM.YYYY")
    days = " ".join(WEEKDAYS_EN) + " / " + " ".join(WEEKDAYS_RU)
    rows = [
        ("card_number", _("Card number. Written by the export; on import a number already "
                          "on file marks the row as a duplicate, otherwise it is ignored: "
                          "new cards get new numbers."), ""),
        ("branch", _("Branch code"), _("e.g. BSH")),
        ("last_name", _("Last name"), ""),
        ("first_name", _("First name"), ""),
        ("patronymic", _("Patronymic"), ""),
        ("birth_date", _("Birth date"), date_format),
        ("category", _("Category; several separated by ; (the main one first)"),
         _values("category")),
        ("status", _("Status; empty: active with a consent date, paused without"),
         _values("status")),
        ("language", _("Language of service; empty: Russian"), _values("language")),
        ("phone1", _("Phone (more phones: phone2, phone3, ... up to phone9)"),
         _("any form: 8 701 123 45 67, +7 (701) 123-45-67")),
        ("phone1_kind", _("Kind of phone; empty: mobile"), _values("phone_kind")),
        ("phone1_sms", _("SMS may be sent to it; empty: yes"), bool_values),
        ("settlement", _("Settlement"), ""),
        ("street", _("Street"), ""),
        ("house", _("House"), ""),
        ("apartment", _("Apartment"), ""),
        ("entrance", _("Entrance"), ""),
        ("floor", _("Floor"), _("a whole number from -5 to 100")),
        ("door_code", _("Door code"), ""),
        ("elevator", _("There is an elevator"), bool_values),
        ("landmark", _("Landmark"), ""),
        ("lat", _("Latitude (with lon, or neither)"), _("e.g. 54.779")),
        ("lon", _("Longitude"), _("e.g. 69.101")),
        ("access_notes", _("Notes for volunteers"), ""),
        ("preferred_subjects", _("Favourite subjects"), _("separated by ;")),
        ("preferred_authors", _("Favourite authors"), _("separated by ;")),
        ("preferred_formats", _("Formats"), _("separated by ;: ") + _values("format")),
        ("preferred_languages", _("Languages of books"),
         _("separated by ;: ") + _values("language")),
        ("never_send", _("Titles never to send (title or ISBN)"), _("separated by ;")),
        ("availability", _("When at home"),
         _("e.g. Tu 10:00-13:00; Th 14:00-17:00 — days: %(days)s") % {"days": days}),
        ("caregiver_name", _("Caregiver"), ""),
        ("caregiver_relation", _("Caregiver is (daughter, social worker...)"), ""),
        ("caregiver_phone", _("Caregiver phone"), ""),
        ("document_type", _("Eligibility document"), _values("document_type")),
        ("document_number", _("Document number"), ""),
        ("document_valid_until", _("Document valid until"), date_format),
        ("consent_date", _("Date of consent to personal data processing"), date_format),
    ]
    return [(column, yes if column in REQUIRED_COLUMNS else no, what, values)
            for column, what, values in rows]


def _help_sheet(workbook) -> None:
    sheet = workbook.create_sheet(SHEET_HELP)
    sheet.append([_("column"), _("required"), _("what it is"), _("format and allowed values")])
    for row in column_help():
        sheet.append(xlsx_row(sheet, row))
