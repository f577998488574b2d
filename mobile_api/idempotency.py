"""Idempotency keys: a POST sent twice (a retry on a weak connection, a queued action sent
again) has its effect once and answers the same both times.

The record is written in the same transaction as the effect: either both are there or
neither. The first thing the transaction does is insert the record; the unique constraint
(user, key) makes a concurrent duplicate wait for the first to commit and then answer what
the first answered, so the action never runs twice.

Business refusals (ApplicationError: 409 stop.already_completed, ...) are answers too: they
are recorded, with nothing of the action kept. Bad input (400 validation_error) and unknown
ids (404) are not recorded: nothing was decided, and the client may send it again fixed.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.utils.translation import gettext as _

from backend.core import atomic
from backend.core.exceptions import ApplicationError, error_body
from backend.core.prepared import PreparedWrite
from mobile_api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


def body_hash(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str,
                      ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str | None) -> str:
    """The key from a header or a sync action: present and of a sane shape."""
    key = (key or "").strip()
    if not key:
        raise ApplicationError("idempotency.key_missing",
                               _("Send an Idempotency-Key header with every POST."),
                               fields={"key": [_("This field is required.")]})
    if not KEY_PATTERN.match(key):
        raise ApplicationError(
            "idempotency.key_invalid",
            _("An idempotency key is 1 to 100 letters, digits, dots, colons, dashes or "
              "underscores (a UUID is a good choice)."),
            fields={"key": [_("Invalid key.")]})
    return key


def key_reused() -> ApplicationError:
    return ApplicationError(
        "idempotency.key_reused",
        _("This Idempotency-Key was already used for another request. Use a new key for "
          "a new action."),
        status_code=422,
    )


def insert_returns_rows(connection) -> bool:
    """Whether an INSERT can return its row: PostgreSQL, and SQLite from 3.35."""
    return connection.features.can_return_columns_from_insert


def _write_first(record: IdempotencyRecord) -> bool:
    """Insert `record` unless (user, key) has one already (then False). One statement where
    an INSERT can return its row (PostgreSQL, SQLite from 3.35): INSERT ... ON CONFLICT DO
    NOTHING RETURNING, which waits as the plain INSERT does for a concurrent one to commit.
    Elsewhere the INSERT in a savepoint of its own, its IntegrityError caught."""
    connection = connections[router.db_for_write(IdempotencyRecord)]
    if not insert_returns_rows(connection):
        try:
            with transaction.atomic(using=connection.alias):
                record.save(using=connection.alias)
        except IntegrityError:
            return False
        return True
    qn = connection.ops.quote_name
    fields = [f for f in IdempotencyRecord._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(record, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(IdempotencyRecord._meta.db_table)} "
            f"({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT DO NOTHING RETURNING {qn(IdempotencyRecord._meta.pk.column)}",
            values)
        row = cursor.fetchone()
    if row is None:
        return False
    record.pk = row[0]
    record._state.adding = False
    record._state.db = connection.alias
    return True


# The answer written to the record at the end of every action, its SQL built once per
# connection (backend.core.prepared).
_ANSWERED = PreparedWrite(
    lambda record_id: (IdempotencyRecord.objects.filter(pk=record_id), {}), "record_id",
    values=("status", "response"))


def run_once(*, user, key: str, method: str, path: str, body: Any,
             action: Callable[[], tuple[int, Any]]) -> Answer:
    """Run `action` once for (user, key); answer the first answer on every repeat.

    `action` returns (status, body) or raises ApplicationError (recorded as the answer);
    any other exception (404, validation) rolls everything back, the key included.
    """
    digest = body_hash({"method": method, "path": path, "body": body})
    with transaction.atomic():
        record = IdempotencyRecord(user=user, key=key, method=method, path=path[:200],
                                   body_hash=digest)
        if not _write_first(record):
            # Already answered, or being answered right now by a concurrent request: the
            # insert above waited for it to commit. Answer what it answered.
            record = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if record is None:  # the other request rolled back after all: nothing to replay
                raise ApplicationError(
                    "idempotency.in_progress",
                    _("The same request is being handled right now; try again."),
                    status_code=409)
            if record.body_hash != digest:
                raise key_reused()
            return Answer(record.status, record.response, replayed=True)
        try:
            # A refusal rolls back all the action did and keeps the record: the action's
            # savepoint, shared by the services it calls (backend.core.atomic).
            with atomic.one_unit():
                status, response = action()
        except ApplicationError as exc:
            status, response = exc.status_code, error_body(exc)
        _ANSWERED.update({"status": status, "response": response}, record_id=record.pk)
    return Answer(status, response)
