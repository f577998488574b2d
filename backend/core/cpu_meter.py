"""CPU per request, by endpoint: what the load test (`make bench-load`) reports.

Off unless the setting CPU_METER_DIR (environment variable of the same name) names a folder:
then Django drops the middleware at start-up (MiddlewareNotUsed) and a request costs nothing
more. When on, each request is measured on the thread that serves it:

- `cpu_s`: the thread's CPU time (user + system) from the first middleware to the answer,
  so the ORM, the serializers and the renderers are in it, the database server is not;
- `queries` and `db_s`: the queries it ran and the wall time spent waiting for them (the
  database's own CPU is counted by the load test per process and shared out by this time).

The figures add up by "METHOD route pattern" (the resolved URL, so every reader's card is one
line) in the worker's memory and are written, at most once a second and when the worker
exits, to CPU_METER_DIR/cpu-<pid>.json as running totals. Readers subtract two snapshots.
"""
from __future__ import annotations

import atexit
import json
import os
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection
from django.http import HttpRequest, HttpResponse

FLUSH_SECONDS = 1.0


class _Totals:
    """Running totals of one process, written to its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.rows: dict[str, list[float]] = {}
        self.written = 0.0
        folder.mkdir(parents=True, exist_ok=True)
        atexit.register(self.write)

    def add(self, key: str, cpu_s: float, queries: int, db_s: float) -> None:
        with self.lock:
            row = self.rows.setdefault(key, [0, 0.0, 0, 0.0])
            row[0] += 1
            row[1] += cpu_s
            row[2] += queries
            row[3] += db_s
            due = time.monotonic() - self.written >= FLUSH_SECONDS
        if due:
            self.write()

    def write(self) -> None:
        with self.lock:
            self.written = time.monotonic()
            body = {key: {"requests": r[0], "cpu_s": r[1], "queries": r[2], "db_s": r[3]}
                    for key, r in self.rows.items()}
        path = self.folder / f"cpu-{os.getpid()}.json"
        scratch = path.with_suffix(f".{threading.get_ident()}.tmp")
        scratch.write_text(json.dumps(body), encoding="utf-8")
        os.replace(scratch, path)  # a reader never sees half a file


class _QueryClock:
    """connection.execute_wrapper: counts the queries and the time spent in them."""

    __slots__ = ("queries", "seconds")

    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def endpoint_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    route = "/" + match.route if match is not None and match.route else "(no route)"
    return f"{request.method} {route}"


class CpuMeterMiddleware:
    """Outermost middleware while CPU_METER_DIR is set; absent otherwise."""

    totals: _Totals | None = None

    def __init__(self, get_response) -> None:
        folder = getattr(settings, "CPU_METER_DIR", "")
        if not folder:
            raise MiddlewareNotUsed
        if CpuMeterMiddleware.totals is None or CpuMeterMiddleware.totals.folder != Path(folder):
            CpuMeterMiddleware.totals = _Totals(Path(folder))
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clock = _QueryClock()
        started = time.thread_time()
        with connection.execute_wrapper(clock):
            response = self.get_response(request)
        spent = time.thread_time() - started
        self.totals.add(endpoint_name(request), spent, clock.queries, clock.seconds)
        return response


def read_totals(folder: Path) -> dict[str, dict[str, float]]:
    """The running totals of every process that wrote to `folder`, added up by endpoint."""
    summed: dict[str, dict[str, float]] = {}
    for path in sorted(Path(folder).glob("cpu-*.json")):
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key, row in rows.items():
            into = summed.setdefault(key, {"requests": 0, "cpu_s": 0.0, "queries": 0,
                                           "db_s": 0.0})
            for field, value in row.items():
                into[field] += value
    return summed
