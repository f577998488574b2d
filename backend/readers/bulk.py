"""Many reader cards at once: checks without a query per card, and INSERTs prepared ahead.

`services.readers_create_bulk` (and the reader import) check each unsaved card with
`reader_problems`, reserve the cards' ids with `reserve_ids` and turn the cards, their phones
and their history into INSERTs with `insert_statements` before the write transaction, which
then only runs them (`PreparedWrites.run`).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models.sql import InsertQuery
from django.utils.translation import gettext as _

from backend.core.tabular import Progress
from backend.readers.models import Reader, ReaderStatus


def chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# These are checked by the serializer or by the import itself (branch, card number).
_CLEAN_EXCLUDE = ["id", "card_number", "search_text", "search_key", "branch", "created_by",
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


def reserve_ids(model, count: int) -> list[int]:
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


def insert_statements(model, objs: list, *, with_pk: bool) -> list[tuple[str, tuple]]:
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
    for chunk in chunks(objs, size):
        query = InsertQuery(model)
        query.insert_values(fields, chunk)
        statements.extend(query.get_compiler(connection=connection).as_sql())
    return statements


@dataclass
class PreparedWrites:
    """Cards and the INSERTs that write them (and their phones and history), ready to run."""

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
