"""A route's version: one more for every change its volunteer's app must see (the app's
kept answers and its ETag follow it), and the route's state that an action answers with."""
from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.utils import timezone

from backend.routing.models import Route

STATE = ("id", "status", "version", "started_at", "finished_at")
"""What an action answers of its route (mobile_api.actions)."""


def update_returns_rows() -> bool:
    """Whether an UPDATE can return the rows it wrote: PostgreSQL, and SQLite from 3.35
    (Django 5.2 runs on SQLite from 3.31)."""
    return connection.features.can_return_columns_from_insert


def bump(route: Route) -> None:
    """One version more, counted in the database (a concurrent bump is never lost). Where the
    UPDATE can return rows it reads the row back into `route` (`as_written`; the route's lock
    keeps it so until the commit), so the action's answer needs no second read; elsewhere a
    plain UPDATE, and the answer reads the route again."""
    if not update_returns_rows():
        Route.objects.filter(pk=route.pk).update(version=F("version") + 1,
                                                 updated_at=timezone.now())
        return
    qn = connection.ops.quote_name
    now = Route._meta.get_field("updated_at").get_db_prep_value(timezone.now(), connection)
    (row,) = Route.objects.raw(
        f"UPDATE {qn(Route._meta.db_table)} SET {qn('version')} = {qn('version')} + 1, "
        f"{qn('updated_at')} = %s WHERE {qn('id')} = %s RETURNING "
        + ", ".join(qn(name) for name in STATE), [now, route.pk], using=connection.alias)
    for name in STATE:
        setattr(route, name, getattr(row, name))
    route.as_written = True
