"""Atomic services, and the one caller that lets them share its transaction.

Each service is atomic on its own (`service`): inside a caller's transaction it runs in a
savepoint, so a caller that catches its refusal (an admin action going on to the next row, a
test) finds the transaction as it was before the call.

A caller that rolls its whole block back on any error (a volunteer's action:
mobile_api.idempotency) runs it in `one_unit()`, and the services inside join it instead of
each opening their own savepoint (a SAVEPOINT and a RELEASE a service, on every call). The
block itself is one savepoint, or, with `one_unit(savepoint=False)`, none: then an error
inside marks the caller's whole transaction for rollback, which only the caller that opened
that transaction (the outermost one) may allow; it rolls it all back and goes on in a new
one. Anything inside that catches an error and goes on must have a savepoint of its own, as
`notifications.services.message_hook` has.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db import transaction

T = TypeVar("T")

_joined: ContextVar[bool] = ContextVar("atomic_one_unit", default=False)


def service(function: Callable[..., T]) -> Callable[..., T]:
    """`transaction.atomic` for a service: its own savepoint, unless inside `one_unit()`."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with transaction.atomic(savepoint=not _joined.get()):
            return function(*args, **kwargs)

    return run


@contextmanager
def one_unit(*, savepoint: bool = True) -> Iterator[None]:
    """The block and the services it calls as one: any error rolls back all of it. With
    `savepoint=False` no savepoint is opened: an error leaves the enclosing transaction marked
    for rollback (for a caller that owns the outermost transaction and rolls it all back)."""
    token = _joined.set(True)
    try:
        with transaction.atomic(savepoint=savepoint):
            yield
    finally:
        _joined.reset(token)
