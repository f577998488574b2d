"""The load test's CPU figures: what the web workers, the Celery worker and PostgreSQL spent
(sampled from outside), CPU per request by endpoint (from backend.core.cpu_meter's totals)
and a py-spy profile of the web workers, summarised by library and function."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


class CpuMeter:
    """CPU seconds spent between start() and stop() by the web workers (gunicorn's
    processes), the Celery worker, the PostgreSQL backends of the run's database, and the
    whole machine. Processes are sampled every half second, so workers and connections that
    come and go are counted too."""

    def __init__(self, gunicorn_pid: int, database: str, worker_pid: int | None) -> None:
        import threading

        self.roots = {"app": gunicorn_pid, "worker": worker_pid}
        self.database = database
        self.seen: dict[tuple[str, int], list[float]] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self):
        import psutil

        for group, pid in self.roots.items():
            if pid is None:
                continue
            try:
                top = psutil.Process(pid)
                yield from ((group, p) for p in [top, *top.children(recursive=True)])
            except psutil.Error:
                continue
        for process in psutil.process_iter(["cmdline"]):
            line = " ".join(process.info["cmdline"] or [])
            if line.startswith("postgres:") and f" {self.database} " in line:
                yield "database", process

    def _sample(self, first: bool = False) -> None:
        import psutil

        for group, process in self._processes():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total = times.user + times.system
            key = (group, process.pid)
            if key not in self.seen:
                self.seen[key] = [total if first else 0.0, total]
            self.seen[key][1] = total

    def _run(self) -> None:
        while not self.done.wait(0.5):
            self._sample()

    def start(self) -> None:
        import psutil

        self.machine = psutil.cpu_times()
        self._sample(first=True)
        self.thread.start()

    def stop(self) -> dict[str, float]:
        import psutil

        if not self.thread.is_alive():  # the run ended before the meter started
            self.start()
        self._sample()
        self.done.set()
        self.thread.join()
        now = psutil.cpu_times()
        idle = (now.idle + getattr(now, "iowait", 0)) - (
            self.machine.idle + getattr(self.machine, "iowait", 0))
        total = sum(now) - sum(self.machine)
        spent = {"app": 0.0, "worker": 0.0, "database": 0.0}
        for (group, _pid), (first, last) in self.seen.items():
            spent[group] += last - first
        spent["machine_busy"] = total - idle
        return {k: round(v, 1) for k, v in spent.items()}


def meter_delta(before: dict, after: dict, database_cpu_s: float) -> list[dict]:
    """CPU per request by endpoint between two snapshots of backend.core.cpu_meter's totals.
    The web figures are the serving thread's own CPU; PostgreSQL's CPU (measured for its
    processes as a whole) is shared out by the time each endpoint waited for its queries."""
    rows = []
    for key, end in after.items():
        start = before.get(key, {})
        delta = {field: end[field] - start.get(field, 0) for field in end}
        if delta["requests"] > 0:
            rows.append({"endpoint": key, **delta})
    waited = sum(r["db_s"] for r in rows) or 1.0
    for row in rows:
        n = row["requests"]
        row["web_ms"] = round(row["cpu_s"] / n * 1000, 1)
        row["queries_per_request"] = round(row["queries"] / n, 1)
        row["db_wait_ms"] = round(row["db_s"] / n * 1000, 1)
        row["db_cpu_ms"] = round(database_cpu_s * row["db_s"] / waited / n * 1000, 1)
        row["total_ms"] = round(row["web_ms"] + row["db_cpu_ms"], 1)
    return sorted(rows, key=lambda r: -r["requests"])


PROFILE_GROUPS = (("/django/db/", "Django ORM"), ("/rest_framework/", "DRF (serializers, views)"),
                  ("/psycopg", "psycopg"), ("/django/", "Django (other)"),
                  ("/jwt/", "JWT"), ("/rest_framework_simplejwt/", "JWT"),
                  ("/gunicorn/", "gunicorn"), ("/backend/", "Kniga 03"),
                  ("/mobile_api/", "Kniga 03"), ("/json/", "json"))


def profile_summary(raw: Path, top: int = 15) -> dict:
    """py-spy's collapsed stacks: where the samples' innermost frames were (self time), by
    function and by library."""
    functions: dict[str, int] = {}
    groups: dict[str, int] = {}
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        functions[leaf] = functions.get(leaf, 0) + int(count)
        group = next((name for part, name in PROFILE_GROUPS if part in leaf), "other")
        groups[group] = groups.get(group, 0) + int(count)
        total += int(count)
    total = total or 1
    return {
        "samples": total,
        "groups": [(name, round(100 * n / total, 1))
                   for name, n in sorted(groups.items(), key=lambda kv: -kv[1])],
        "functions": [(name, round(100 * n / total, 1))
                      for name, n in sorted(functions.items(), key=lambda kv: -kv[1])[:top]],
    }


def start_profile(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """py-spy sampling gunicorn and its workers, as collapsed stacks (one line a stack)."""
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--subprocesses", "--gil", "--nonblocking",
         "--full-filenames",
         "--rate", "50", "--duration", str(max(1, int(seconds) - 2)), "--format", "raw", "--output",
         str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
