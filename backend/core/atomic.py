"""Atomic services, and the one caller that lets them share its savepoint.

Each service is atomic on its own (`service`): inside a caller's transaction it runs in a
savepoint, so a caller that catches its refusal (an admin action going on to the next row, a
test) finds the transaction as it was before the call.

A caller that rolls its whole block back on any error (a volunteer's action:
mobile_api.idempotency) runs it in `one_unit()`: one savepoint for the block, and the services
inside join it instead of each opening their own (a SAVEPOINT and a RELEASE a service, on
every call). Anything inside that catches an error and goes on must then have a savepoint of
its own, as `notifications.services.message_hook` has.
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
def one_unit() -> Iterator[None]:
    """One savepoint for the block; any error rolls back all of it, services included."""
    token = _joined.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _joined.reset(token)
