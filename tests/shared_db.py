"""The test's database as one that another process (a worker, a command) can open too.

Tests that start a subprocess need it to see the rows they write and to see what it wrote.
They run with ``django_db(transaction=True)``, so every write is committed at once, and:

* on PostgreSQL the subprocess connects to the test database itself;
* on SQLite the test database lives in memory, where no other process can reach it, so it is
  copied (schema and the migrations' rows) to a file and the test's own connection is pointed
  at that file for the length of the test; the in-memory database is put back afterwards.

``shared_db.url`` is the ``DATABASE_URL`` to give the subprocess, ``shared_db.path`` the
SQLite file (None on PostgreSQL).
"""
from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class SharedDb:
    url: str
    vendor: str
    path: Path | None = None

    def env(self, **extra: str) -> dict[str, str]:
        """An environment for a subprocess running this project against this database."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "TWILIO_"))}
        env.update(DATABASE_URL=self.url, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
                   DJANGO_SETTINGS_MODULE="backend.config.settings.test")
        env.update(extra)
        return env


def postgres_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


@pytest.fixture
def shared_db(transactional_db, tmp_path):
    memory = connections[DEFAULT_DB_ALIAS]
    if memory.vendor == "postgresql":
        yield SharedDb(url=postgres_url(memory.settings_dict), vendor="postgresql")
        return
    memory.ensure_connection()
    path = tmp_path / "shared.sqlite3"
    with closing(sqlite3.connect(path)) as target:
        memory.connection.backup(target)
    on_file = memory.__class__({**memory.settings_dict, "NAME": str(path)}, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = on_file
    try:
        yield SharedDb(url=f"sqlite:///{path}", vendor="sqlite", path=path)
    finally:
        on_file.close()
        connections[DEFAULT_DB_ALIAS] = memory
