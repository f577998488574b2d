"""A token per stop that changes whenever what its door shows from outside the stop's own row
changes: the reader and the family card, their phones, the copies of its orders, the loans due
back (`routing.doors`). routing.receivers drops the token of every stop of a changed household
or order when the change commits; the next reader makes a new one.

Kept in the shared cache (the deployment shares it between processes, docs/deploy.md): a token
that is lost or evicted only means a new one, so a kept door is rebuilt, never shown stale.
What a reader keeps under a token must be read after the token (`door_stamps` first, then the
doors): a change committed in between drops that very token.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.cache import cache

PREFIX = "routing:door:"
TIMEOUT = 24 * 3600  # longer than anything kept under a token


def _key(stop_id: int) -> str:
    return f"{PREFIX}{stop_id}"


def door_stamps(stop_ids: Iterable[int]) -> dict[int, str]:
    """{stop id: its token}, new tokens made for the stops that have none."""
    keys = {stop_id: _key(stop_id) for stop_id in stop_ids}
    found = cache.get_many(list(keys.values())) if keys else {}
    stamps, made = {}, {}
    for stop_id, key in keys.items():
        token = found.get(key)
        if token is None:
            token = made[key] = secrets.token_hex(8)
        stamps[stop_id] = token
    if made:
        cache.set_many(made, TIMEOUT)
    return stamps


def doors_changed(stop_ids: Iterable[int]) -> None:
    """What these stops show from outside their rows has changed: their tokens go."""
    keys = [_key(stop_id) for stop_id in set(stop_ids)]
    if keys:
        cache.delete_many(keys)
