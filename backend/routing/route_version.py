"""A route's version: one more for every change its volunteer's app must see (the app's
kept answers and its ETag follow it), and the route's state that an action answers with."""
from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.utils import timezone

from backend.core.prepared import PreparedWrite
from backend.routing.models import Route

STATE = ("id", "status", "version", "started_at", "finished_at")
"""What an action answers of its route (mobile_api.actions)."""


def update_returns_rows() -> bool:
    """Whether an UPDATE can return the rows it wrote: PostgreSQL, and SQLite from 3.35
    (Django 5.2 runs on SQLite from 3.31)."""
    return connection.features.can_return_columns_from_insert


def _bump(route_id: int):
    return Route.objects.filter(pk=route_id), {"version": F("version") + 1}


# Its UPDATE built once per connection (backend.core.prepared): returning the route's state
# where the database can, plain elsewhere.
_BUMP_RETURNING = PreparedWrite(_bump, "route_id", values=("updated_at",), returning=STATE)
_BUMP = PreparedWrite(_bump, "route_id", values=("updated_at",))


def bump(route: Route) -> None:
    """One version more, counted in the database (a concurrent bump is never lost). Where the
    UPDATE can return rows it reads the row back into `route` (`as_written`; the route's lock
    keeps it so until the commit), so the action's answer needs no second read; elsewhere a
    plain UPDATE, and the answer reads the route again."""
    if not update_returns_rows():
        _BUMP.update({"updated_at": timezone.now()}, route_id=route.pk)
        return
    (row,) = _BUMP_RETURNING.update({"updated_at": timezone.now()}, route_id=route.pk)
    for name, value in zip(STATE, row, strict=True):
        setattr(route, name, value)
    route.as_written = True
