"""Date-times read from PostgreSQL at the speed of psycopg's compiled loader.

Django reads every `timestamptz` through a loader of its own written in Python
(`django.db.backends.postgresql.psycopg_any.BaseTzLoader`): psycopg's pure-Python parser, then
the time zone put on. psycopg's compiled loader (psycopg[binary]) parses the same text about
fourteen times faster, but cannot be subclassed, so Django cannot use it.

On a connection whose session time zone is UTC, which is what Django sets when `USE_TZ` is on
and the database's `TIME_ZONE` is left as it is, the compiled loader gives exactly what
Django's gives: an aware `datetime` in `datetime.timezone.utc`. `FastUtcLoader` hands each
value to it; `timezone` says which zone, as Django's `create_cursor` asks its loader before it
would put its own on the cursor. Any other case (another session zone, naive date-times, the
pure-Python psycopg) keeps Django's loader.
"""
from __future__ import annotations

import datetime

UTC = datetime.UTC


def _compiled_loader():
    """psycopg's compiled timestamptz loader, or None with the pure-Python psycopg."""
    try:
        import psycopg  # noqa: F401 - psycopg_binary refuses to load before psycopg
        from psycopg import pq

        if pq.__impl__ != "binary":
            return None
        from psycopg_binary._psycopg import TimestamptzLoader
    except ImportError:
        return None
    return TimestamptzLoader


def fast_loader_class():
    """The loader class to register, or None where Django's must stay."""
    compiled = _compiled_loader()
    if compiled is None:
        return None
    from psycopg.adapt import Loader

    class FastUtcLoader(Loader):
        timezone = UTC  # read by Django's create_cursor

        def __init__(self, oid, context=None) -> None:
            super().__init__(oid, context)
            self._load = compiled(oid, context).load

        def load(self, data):
            return self._load(data)

    return FastUtcLoader


_LOADER = None


def fast_dates_set(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection in UTC (Django's timezone for it too), read its
    date-times with psycopg's compiled loader."""
    global _LOADER
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    raw = connection.connection
    if raw.info.parameter_status("TimeZone") not in ("UTC", "Etc/UTC"):
        return
    if _LOADER is None:
        _LOADER = fast_loader_class() or False
    if _LOADER:
        raw.adapters.register_loader("timestamptz", _LOADER)
