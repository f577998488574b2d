"""The rows of a reader list checked: each with the API's own serializer (the branch given
by its code), then the cards' own rules, then against the cards on file for duplicates."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter
from rest_framework import serializers

from backend.branches.models import Branch
from backend.core.tabular import Progress, RowError, Table, blank
from backend.readers.bulk import chunks, reader_problems
from backend.readers.import_cells import cell_text, row_input
from backend.readers.models import Reader
from backend.readers.selectors import DuplicateKey, DuplicateLookup, duplicate_keys
from backend.readers.serializers import ReaderInputSerializer
from backend.readers.services import reader_build

# Validation with the API's serializer -------------------------------------------------------


class BranchCodeField(serializers.Field):
    """A branch given by its code (`BSH`), any case. Looks up a table built once per file."""

    # DRF's fail() fills these in with str.format: {} placeholders, not %()s.
    default_error_messages = {
        "unknown": gettext_lazy('There is no branch with the code "{code}". Known codes: '
                                "{known}."),
    }

    def to_internal_value(self, data):
        branches: dict[str, Branch] = self.context["branches"]
        code = str(data).strip()
        branch = branches.get(code.casefold())
        if branch is None:
            known = ", ".join(sorted(b.code for b in branches.values())) or "-"
            self.fail("unknown", code=code, known=known)
        return branch

    def to_representation(self, value):
        return value.code


class ReaderImportSerializer(ReaderInputSerializer):
    """The API's reader input, with the branch given by its code instead of its id."""

    branch = BranchCodeField()


class RowValidator:
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
    if head == "categories":
        return "category"  # the others are in the category cell, after the main one
    if head == "non_field_errors":
        return ""
    return str(head)


@dataclass
class ValidRow:
    """A row that passed every check, with its unsaved card."""

    row: int
    flat: dict[str, Any]
    phone_columns: list[int]  # N of each phoneN column that holds a number, in order
    reader: Reader  # unsaved, checked
    card_number: str = ""


def validate_rows(
    table: Table, *, by=None, progress: Progress | None = None
) -> tuple[list[ValidRow], list[RowError]]:
    validator = RowValidator(branches={b.code.casefold(): b for b in Branch.objects.all()})
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    header = table.header
    total = len(table.rows)
    for done, (number, cells) in enumerate(table.rows, start=1):
        row_errors: dict[str, RowError] = {}
        named: dict[str, Any] = {}
        for index, value in enumerate(cells):
            name = header[index] if index < len(header) else ""
            if name:
                named[name] = value
            elif not blank(value):
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
                reader = reader_build(flat, by)
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
            valid.append(ValidRow(number, flat, phone_numbers, reader,
                                   cell_text(named.get("card_number"))))
        if progress and (done % 200 == 0 or done == total):
            progress("validate", done, total)
    return valid, errors


# Duplicates -----------------------------------------------------------------------------------


@dataclass
class Duplicate:
    row: int
    column: str
    existing_card: str | None = None
    same_as_row: int | None = None
    card_number: str | None = None  # the new card, when a flagged row was imported
    reason: str = "phone"  # what is the same besides the birth date: "phone" or "name"

    def message(self) -> str:
        by_name = self.reason == "name"
        if self.existing_card:
            if by_name:
                return _("Same person as card %(card)s (name and birth date).") % {
                    "card": self.existing_card}
            return _("Same person as card %(card)s (phone and birth date).") % {
                "card": self.existing_card}
        if by_name:
            return _("Same person as row %(row)s (name and birth date).") % {
                "row": self.same_as_row}
        return _("Same person as row %(row)s (phone and birth date).") % {
            "row": self.same_as_row}

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "existing_card": self.existing_card,
                "same_as_row": self.same_as_row, "card_number": self.card_number,
                "reason": self.reason, "message": self.message()}


def _row_keys(row: ValidRow) -> list[tuple[DuplicateKey, str]]:
    """The row's duplicate keys (selectors.duplicate_keys), each with the column to blame."""
    flat = row.flat
    phones = [str(p["number"]) for p in flat.get("phones", [])]
    keys = duplicate_keys(last_name=flat.get("last_name", ""),
                          first_name=flat.get("first_name", ""),
                          birth_date=flat.get("birth_date"), phones=phones)
    columns = {number: f"phone{row.phone_columns[position]}"
               for position, number in reversed(list(enumerate(phones)))}
    return [(key, columns[key[1]] if key[0] == "phone" else "last_name") for key in keys]


class DuplicateCheck:
    """Rows that are a reader already on file, or a reader of an earlier row.

    The same person: the rule of selectors.reader_duplicates (the birth date and a phone, or
    the birth date and the name, of an open card), which the card form and the API use too.
    Also a card number (from an export) that is already on file.

    The lookups are built once and can be run again cheaply: the import runs them before
    its write transaction and once more inside it, to be sure nothing changed in between.
    """

    def __init__(self, rows: list[ValidRow]) -> None:
        self.rows = rows
        self._keys = {row.row: _row_keys(row) for row in rows}
        self._lookup = DuplicateLookup(key for keys in self._keys.values() for key, _c in keys)
        wanted_cards = sorted({r.card_number for r in rows if r.card_number})
        self._card_queries = [
            Reader.objects.filter(card_number__in=chunk).values_list("card_number", flat=True)
            for chunk in chunks(wanted_cards)
        ]

    def run(self) -> list[Duplicate]:
        existing = self._lookup.run()
        known_cards: set[str] = set()
        for query in self._card_queries:
            known_cards.update(query.all())  # all(): a fresh run, not the cache
        seen: dict[DuplicateKey, int] = {}
        found: list[Duplicate] = []
        for row in self.rows:
            keys = self._keys[row.row]
            duplicate = None
            if row.card_number and row.card_number in known_cards:
                duplicate = Duplicate(row.row, "card_number", existing_card=row.card_number)
            for key, column in keys:
                if duplicate:
                    break
                if key in existing:
                    duplicate = Duplicate(row.row, column, reason=key[0],
                                          existing_card=existing[key][0].card_number)
                elif key in seen:
                    duplicate = Duplicate(row.row, column, reason=key[0],
                                          same_as_row=seen[key])
            for key, _column in keys:
                seen.setdefault(key, row.row)
            if duplicate:
                found.append(duplicate)
        return found


def find_duplicates(rows: list[ValidRow]) -> list[Duplicate]:
    return DuplicateCheck(rows).run()
