"""Idempotency keys: a POST sent twice (a retry on a weak connection, a queued action sent
again) has its effect once and answers the same both times.

The record is written in the same transaction as the effect: either both are there or
neither. The first thing the transaction does is insert the record; the unique constraint
(user, key) makes a concurrent duplicate wait for the first to commit and then answer what
the first answered, so the action never runs twice.

Business refusals (ApplicationError: 409 stop.already_completed, ...) are answers too: they
are recorded, with nothing of the action kept. Bad input (400 validation_error) and unknown
ids (404) are not recorded: nothing was decided, and the client may send it again fixed.

How a refusal keeps nothing of the action depends on whose transaction it is:
* Ours (the request's, the usual case): the action runs in it with no savepoint, its services
  joined (backend.core.atomic.one_unit). A refusal rolls the whole transaction back, the
  key's claim included, and a new one writes the record with the refusal as its answer; if
  another request claimed the key in between, the answer is the one a repeat gets. The
  action that succeeds, the usual case, costs no SAVEPOINT and RELEASE.
* A caller's (inside an atomic block: a test's transaction, a caller that groups writes):
  that transaction is not ours to roll back, so the action runs in a savepoint of its own; a
  refusal rolls back to it and the claimed record, still there, takes the refusal.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.core import atomic
from backend.core.exceptions import ApplicationError, error_body
from backend.core.inserts import insert_unless_taken
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


def _write_first(record: IdempotencyRecord) -> bool:
    """Insert `record` unless (user, key) has one already (then False): one INSERT ... ON
    CONFLICT (user, key) DO NOTHING RETURNING where the database can, which waits as the
    plain INSERT does for a concurrent one to commit (backend.core.inserts)."""
    return insert_unless_taken(record, conflict_fields=("user", "key"))


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

    def new_record(**answer: Any) -> IdempotencyRecord:
        return IdempotencyRecord(user=user, key=key, method=method, path=path[:200],
                                 body_hash=digest, **answer)

    if transaction.get_connection().in_atomic_block:
        return _run_in_savepoint(new_record(), digest, action)
    return _run_outermost(new_record, digest, action)


def _replay(record: IdempotencyRecord, digest: str) -> Answer:
    """The answer for a key someone already claimed: the insert of `record` found it and
    waited for its transaction to end. Its answer, if that request committed and sent the
    same body."""
    first = IdempotencyRecord.objects.filter(user=record.user_id, key=record.key).first()
    if first is None:  # the other request rolled back after all: nothing to replay
        raise ApplicationError(
            "idempotency.in_progress",
            _("The same request is being handled right now; try again."),
            status_code=409)
    if first.body_hash != digest:
        raise key_reused()
    return Answer(first.status, first.response, replayed=True)


def _run_outermost(new_record: Callable[..., IdempotencyRecord], digest: str,
                   action: Callable[[], tuple[int, Any]]) -> Answer:
    """The transaction is ours: the action runs in it without a savepoint. A refusal rolls
    all of it back, the claim included, and the refusal is recorded in a new transaction."""
    refusal: ApplicationError | None = None
    with transaction.atomic():
        record = new_record()
        if not _write_first(record):
            return _replay(record, digest)
        try:
            with atomic.one_unit(savepoint=False):
                status, response = action()
        except ApplicationError as exc:
            # Nothing to roll back to but the transaction's start: it is marked for rollback
            # (one_unit without a savepoint) and rolls back as the block ends.
            transaction.set_rollback(True)
            refusal = exc
        else:
            _ANSWERED.update({"status": status, "response": response}, record_id=record.pk)
    if refusal is None:
        return Answer(status, response)
    status, response = refusal.status_code, error_body(refusal)
    with transaction.atomic():
        record = new_record(status=status, response=response)
        if not _write_first(record):
            # Another request with this key claimed it while ours rolled back.
            return _replay(record, digest)
    return Answer(status, response)


def _run_in_savepoint(record: IdempotencyRecord, digest: str,
                      action: Callable[[], tuple[int, Any]]) -> Answer:
    """Inside a caller's transaction: a refusal rolls back only the action's savepoint and
    the claimed record takes the refusal as its answer."""
    with transaction.atomic():
        if not _write_first(record):
            return _replay(record, digest)
        try:
            # The action's savepoint, shared by the services it calls (backend.core.atomic).
            with atomic.one_unit():
                status, response = action()
        except ApplicationError as exc:
            status, response = exc.status_code, error_body(exc)
        _ANSWERED.update({"status": status, "response": response}, record_id=record.pk)
    return Answer(status, response)
