"""The load test (`make bench-load`): Kniga 03 under gunicorn on PostgreSQL with a generated
city, driven by locust, headless, for a bounded time.

1. A database of its own (`kniga_load` unless --db says otherwise; the bench creates and
   drops it, and refuses any name not starting with "kniga_load"): migrated, then filled
   by `manage.py seed_city` (20,000 readers, 200 volunteers, 300,000 loans by default).
   The city is generated into `<db>_seed` and each run works on a copy of it
   (CREATE DATABASE ... TEMPLATE), so `--reuse-seed` can run again on the same city.
2. The service as in production: production settings, gunicorn with deploy/gunicorn.conf.py
   (workers and threads from --workers/--threads, else that file's defaults), connections
   kept open (DATABASE_CONN_MAX_AGE=60), and a Celery worker on a Redis of the bench's own
   (redis-server on a free port, nothing on disk) for planning and messages, at a lower
   CPU priority than the web workers (nice 10); that Redis is also the workers' shared cache,
   as in production. Without redis-server, or with --eager,
   tasks run in the web worker that asked for them.
3. Tokens: minted here with backend.accounts.tokens.tokens_issue, the function the sign-in
   endpoints answer with (the app's tokens for volunteers, the staff API's for the operators
   and the coordinator: each API refuses the other's). Signing in is not part
   of the load on purpose: the sign-in endpoints are throttled per address (30 a minute)
   and every simulated user comes from 127.0.0.1, so 211 sign-ins would be refused as
   designed; and a password check costs a PBKDF2 hash, which is the throttle's business,
   not the day's work being measured.
4. locust (loadtest/locustfile.py): the volunteers, the operators and the coordinator,
   for --duration seconds.
5. The figures: requests per second, p50/p95/p99 per endpoint and the errors, CPU per
   request by endpoint (backend.core.cpu_meter, on through CPU_METER_DIR) and, with
   --profile, py-spy's summary of where the web workers spent it; printed and
   written to bench-results/load.md and load.json (locust's CSV files and the server's
   log under bench-results/load/). The goals: no errors, and p95 under 100 ms for the
   volunteer's route and the phone lookups.

Exit status 1 when there were errors (or, with --strict, when a goal was missed).
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import re
import resource
import runpy
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_figures import CpuMeter, meter_delta, profile_summary, start_profile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GOAL_MS = 100
# The volunteer's route and the phone lookups must answer within GOAL_MS at p95.
GOAL_ENDPOINTS = ("/api/mobile/v1/me/routes/", "/api/mobile/v1/routes/{id}/",
                  "/api/v1/desk/lookup/?phone=", "/api/v1/readers/?q=<phone>")


def say(text: str = "") -> None:
    print(text, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=150,
                        help="Seconds of load, the ramp-up included (default 150); the figures "
                             "count from the moment every user has started.")
    parser.add_argument("--readers", type=int, default=20_000)
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--loans", type=int, default=300_000)
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--stops-per-route", type=int, default=6)
    parser.add_argument("--postgres", default=os.environ.get(
        "LOADTEST_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="The PostgreSQL server, without a database name.")
    parser.add_argument("--db", default="kniga_load", help="Database name (kniga_load...).")
    parser.add_argument("--port", type=int, default=8061)
    parser.add_argument("--workers", type=int, default=None,
                        help="Gunicorn workers (default: deploy/gunicorn.conf.py's).")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--spawn-rate", type=float, default=10,
                        help="Users started a second: the app is opened over a while.")
    parser.add_argument("--solve-seconds", type=float, default=5,
                        help="The coordinator's planning time limit per re-plan.")
    parser.add_argument("--volunteer-wait", default="10,30",
                        help="Seconds between a volunteer's actions, low,high (a real "
                             "volunteer takes minutes).")
    parser.add_argument("--operator-wait", default="5,15")
    parser.add_argument("--coordinator-wait", default="30,60")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--reuse-seed", action="store_true",
                        help="Use <db>_seed from an earlier --keep-seed run if it is today's.")
    parser.add_argument("--keep-seed", action="store_true",
                        help="Keep <db>_seed for a later --reuse-seed run.")
    parser.add_argument("--eager", action="store_true",
                        help="No Celery worker: planning and messages run in the web workers.")
    parser.add_argument("--profile", action="store_true",
                        help="Sample the web workers with py-spy while the figures are "
                             "counted; the functions that cost most go in the report (py-spy "
                             "takes some CPU of its own).")
    parser.add_argument("--strict", action="store_true",
                        help="Exit 1 when a goal is missed, not only on errors.")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"kniga_load[a-z0-9_]*", args.db):
        parser.error("--db must start with kniga_load (the bench drops it).")
    return args


# The database ------------------------------------------------------------------------------


def admin_sql(server: str, *statements: str) -> list:
    """Run statements on the server's maintenance database (outside any transaction)."""
    import psycopg

    rows = []
    try:
        conn = psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True)
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL at {server} does not answer ({exc}); the load test needs "
                         "one: --postgres or LOADTEST_POSTGRES.") from exc
    with conn:
        for sql in statements:
            cursor = conn.execute(sql)
            if cursor.description:
                rows.extend(cursor.fetchall())
    return rows


def seed_is_today(server: str, name: str, seed_file: Path) -> bool:
    """Whether <db>_seed holds a city whose routes are for today (in the service's zone)."""
    from zoneinfo import ZoneInfo

    if not seed_file.exists():
        return False
    if not admin_sql(server, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        return False
    zone = ZoneInfo(os.environ.get("TIME_ZONE") or "Asia/Almaty")
    today = datetime.datetime.now(tz=zone).date().isoformat()
    return json.loads(seed_file.read_text(encoding="utf-8")).get("today") == today


def manage(env: dict, *args: str, log: Path | None = None) -> float:
    started = time.monotonic()
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    if log is None:
        subprocess.run(command, env=env, cwd=ROOT, check=True)
    else:
        with log.open("w", encoding="utf-8") as handle:
            result = subprocess.run(command, env=env, cwd=ROOT, stdout=handle,
                                    stderr=subprocess.STDOUT)
        if result.returncode:
            say(log.read_text(encoding="utf-8")[-3000:])
            raise SystemExit(f"manage.py {args[0]} failed (see {log}).")
    return time.monotonic() - started


# Tokens and what the simulated users need --------------------------------------------------


def build_fixture(path: Path, seed: dict, operators: int) -> dict:
    """Tokens for every user, and the callers the operators take orders for: active readers
    with no visit today or tomorrow and no open order."""
    import django

    django.setup()
    from django.db import connections
    from django.db.models import Count, Q

    from backend.accounts.tokens import AppRefreshToken, StaffRefreshToken, tokens_issue
    from backend.catalog.models import Title
    from backend.demo.city import TITLE_WORDS
    from backend.orders.models import OPEN_STATUSES
    from backend.readers.models import Reader, ReaderPhone
    from backend.volunteers.models import Volunteer

    def token(user, token_class=StaffRefreshToken) -> str:
        return tokens_issue(user=user, token_class=token_class)["access"]

    volunteers = [{"id": v.pk, "token": token(v.user, AppRefreshToken)} for v in
                  Volunteer.objects.filter(active=True, user__username__startswith="city-")
                  .select_related("user").order_by("id")]
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    staff = [{"token": token(u)} for u in
             users.filter(username__startswith="city-operator-").order_by("id")[:operators]]
    coordinator = users.filter(username__startswith="city-coordinator-").order_by("id").first()
    busy = Reader.objects.filter(Q(stops__isnull=False) | Q(orders__status__in=OPEN_STATUSES))
    callers = []
    readers = list(Reader.objects.filter(status="active")
                   .exclude(pk__in=busy.values("pk")).annotate(n=Count("phones"))
                   .filter(n__gt=0).order_by("?")[:3000])
    phones = {}
    for phone in ReaderPhone.objects.filter(reader__in=readers, kind="mobile").order_by(
            "reader_id", "position"):
        phones.setdefault(phone.reader_id, str(phone.number))
    for reader in readers:
        if reader.pk in phones:
            callers.append({"reader": reader.pk, "phone": phones[reader.pk],
                            "branch": reader.branch_id, "language": reader.language})
    # Words the operators search the catalog by: the generated titles are made of them.
    words = {language: sorted({w.lower() for group in TITLE_WORDS[language] for w in group})
             for language in ("kk", "ru")}
    assert Title.objects.exists()
    fixture = {
        "volunteers": volunteers,
        "operators": staff,
        "coordinator": {"token": token(coordinator), "branch": coordinator.branch_id,
                        "date": seed["next_day"]},
        "callers": callers,
        "title_words": words,
        "order_date": seed["next_day"],
    }
    path.write_text(json.dumps(fixture), encoding="utf-8")
    connections.close_all()
    return fixture


# The server and the load -------------------------------------------------------------------


def start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://{env['GUNICORN_BIND']}/health/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up (see {log}).")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer {url} within 60 s (see {log}).")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--loglevel", "warning"],
        stdout=(folder / "redis.log").open("w"), stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis.from_url(url, socket_connect_timeout=1).ping():
                return process, url
        except (redis.exceptions.RedisError, OSError):
            time.sleep(0.2)
    stop(process)
    raise SystemExit("redis-server did not start (see bench-results/load/redis.log).")


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    command = [str(BIN / "celery"), "-A", "backend.config", "worker", "--pool", "solo",
               "--concurrency", "1", "--without-gossip", "--without-mingle",
               "--without-heartbeat", "--loglevel", "INFO"]
    if shutil.which("nice"):
        command = ["nice", "-n", "10", *command]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the Celery worker stopped at start-up (see {log}).")
        if " ready." in log.read_text(encoding="utf-8", errors="replace"):
            return process
        time.sleep(0.3)
    stop(process)
    raise SystemExit(f"the Celery worker was not ready within 60 s (see {log}).")


def warm_up(base: str, fixture: dict) -> None:
    """A few reads before the clock starts, so each worker has imported what it uses."""
    def get(path: str, token: str) -> None:
        request = urllib.request.Request(base + path, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
        except OSError:
            pass  # the load test will say what is wrong

    for volunteer in fixture["volunteers"][:10]:
        get("/api/mobile/v1/me/routes/", volunteer["token"])
    for caller in fixture["callers"][-10:]:
        get(f"/api/v1/desk/lookup/?phone={caller['phone'].replace('+', '%2B')}",
            fixture["operators"][0]["token"])


def run_locust(env: dict, args: argparse.Namespace, base: str, users: int,
               folder: Path) -> int:
    command = [str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"),
               "--headless", "--users", str(users), "--spawn-rate", str(args.spawn_rate),
               "--run-time", f"{args.duration}s", "--host", base, "--csv",
               str(folder / "locust"), "--reset-stats", "--only-summary", "--stop-timeout", "20",
               "--loglevel", "WARNING"]
    with (folder / "locust.log").open("w", encoding="utf-8") as handle:
        return subprocess.run(command, env=env, cwd=ROOT, stdout=handle,
                              stderr=subprocess.STDOUT).returncode


# The figures -------------------------------------------------------------------------------


def read_stats(folder: Path) -> dict:
    def number(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return 0.0

    endpoints, total = [], None
    with (folder / "locust_stats.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Request Count"] == "0":
                continue  # made only while the users were starting (before the reset)
            entry = {
                "method": row["Type"], "name": row["Name"],
                "requests": int(row["Request Count"]), "errors": int(row["Failure Count"]),
                "rps": round(number(row["Requests/s"]), 1),
                "p50_ms": number(row["50%"]), "p95_ms": number(row["95%"]),
                "p99_ms": number(row["99%"]),
                "mean_ms": round(number(row["Average Response Time"]), 1),
                "max_ms": round(number(row["Max Response Time"])),
            }
            if row["Name"] == "Aggregated":
                total = entry
            else:
                endpoints.append(entry)
    failures = []
    failures_file = folder / "locust_failures.csv"
    if failures_file.exists():
        with failures_file.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                failures.append({"method": row["Method"], "name": row["Name"],
                                 "error": row["Error"], "count": int(row["Occurrences"])})
    return {"endpoints": endpoints, "total": total, "failures": failures}


def server_errors(log: Path) -> int:
    text = log.read_text(encoding="utf-8", errors="replace")
    return text.count("Traceback (most recent call last)") + text.count("[CRITICAL] WORKER TIMEOUT")


def goals(stats: dict, errors_in_log: int) -> dict:
    checks = {"no errors": stats["total"]["errors"] == 0 and errors_in_log == 0}
    for entry in stats["endpoints"]:
        if entry["name"] in GOAL_ENDPOINTS:
            checks[f"p95 < {GOAL_MS} ms: {entry['method']} {entry['name']}"] = \
                entry["p95_ms"] < GOAL_MS
    return checks


def markdown(result: dict) -> str:
    run, seed = result["run"], result["seed"]
    rows = seed["rows"]
    lines = [
        "# Load test",
        "",
        f"{run['date']}, {run['duration_s']} s of load, the last {run['measured_s']} s (every "
        f"user started) measured, on {run['cpus']} cores shared by the "
        f"server, PostgreSQL and locust; gunicorn {run['workers']} workers × {run['threads']} "
        f"thread(s), production settings, CONN_MAX_AGE=60; planning and messages: "
        f"{run['tasks']}; cache: {run.get('cache', 'per worker (local memory)')}.",
        "",
        f"City: {rows.get('readers.Reader', 0):,} readers, "
        f"{rows.get('volunteers.Volunteer', 0):,} volunteers, "
        f"{rows.get('circulation.Loan', 0):,} loans, {rows.get('orders.Order', 0):,} orders, "
        f"{rows.get('catalog.Title', 0):,} titles and {rows.get('catalog.Item', 0):,} copies, "
        f"{rows.get('routing.Stop', 0):,} stops today; {sum(rows.values()):,} rows generated "
        f"in {seed['seconds']} s.",
        "",
        f"Users: {run['users']['volunteers']} volunteers (wait {run['waits']['volunteer']} s), "
        f"{run['users']['operators']} operators (wait {run['waits']['operator']} s), "
        f"1 coordinator re-planning {run['solve_seconds']:g} s (wait "
        f"{run['waits']['coordinator']} s).",
        "",
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in sorted(result["endpoints"], key=lambda e: (e["name"], e["method"])):
        lines.append(f"| {e['method']} {e['name']} | {e['requests']:,} | {e['rps']} | "
                     f"{e['p50_ms']:g} | {e['p95_ms']:g} | {e['p99_ms']:g} | {e['errors']} |")
    t = result["total"]
    lines.append(f"| **all** | {t['requests']:,} | {t['rps']} | {t['p50_ms']:g} | "
                 f"{t['p95_ms']:g} | {t['p99_ms']:g} | {t['errors']} |")
    cpu, requests = result["cpu_seconds"], max(1, t["requests"])
    lines += ["", f"CPU seconds during the load: web workers {cpu['app']}, Celery worker "
              f"{cpu['worker']}, PostgreSQL {cpu['database']}, locust {cpu['locust']}, other "
              f"processes on the machine {cpu['others']}, of {run['measured_s'] * run['cpus']} "
              f"the machine had; {(cpu['app'] + cpu['database']) / requests * 1000:.0f} ms of "
              f"web and database CPU a request on average.",
              ]
    if result.get("cpu_by_endpoint"):
        lines += ["", "CPU per request by endpoint (backend.core.cpu_meter: the serving "
                  "thread's CPU; PostgreSQL's CPU shared out by each endpoint's time waiting "
                  "for its queries):", "",
                  "| endpoint | requests | web CPU ms/req | queries/req | DB wait ms/req | "
                  "DB CPU ms/req | web + DB ms/req |", "|---|---:|---:|---:|---:|---:|---:|"]
        for r in result["cpu_by_endpoint"]:
            lines.append(f"| {r['endpoint']} | {r['requests']:,} | {r['web_ms']:g} | "
                         f"{r['queries_per_request']:g} | {r['db_wait_ms']:g} | "
                         f"{r['db_cpu_ms']:g} | {r['total_ms']:g} |")
        metered = sum(r["cpu_s"] for r in result["cpu_by_endpoint"])
        lines += ["", f"The meter saw {metered:.1f} s of the web workers' {cpu['app']} s of CPU "
                  "(the rest: gunicorn around Django, garbage collection, start-up of "
                  "recycled workers)."]
    if result.get("profile"):
        prof = result["profile"]
        lines += ["", f"py-spy profile of the web workers ({prof['samples']:,} samples, "
                  "self time):", ""]
        lines += [f"- {name}: {share:g}%" for name, share in prof["groups"]]
        lines += ["", "Functions:", ""]
        lines += [f"- {share:g}% {name}" for name, share in prof["functions"]]
    lines += ["", f"Server tracebacks and worker timeouts in the log: {result['server_errors']}.",
              "", "Goals:"]
    lines += [f"- {'met' if ok else 'NOT MET'}: {name}" for name, ok in result["goals"].items()]
    if result["failures"]:
        lines += ["", "Errors:"]
        lines += [f"- {f['count']} × {f['method']} {f['name']}: {f['error']}"
                  for f in result["failures"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    folder = args.out / "load"
    folder.mkdir(parents=True, exist_ok=True)
    server = args.postgres.rstrip("/")
    seed_db, run_db = f"{args.db}_seed", args.db
    key = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.config.settings.production",
        "DJANGO_SECRET_KEY": key, "JWT_SIGNING_KEY": key,
        "JWT_ACCESS_MINUTES": str(args.duration // 60 + 60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1, no proxy in front
        "DATABASE_CONN_MAX_AGE": "60",
        "MESSAGE_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    meter_dir = folder / "cpu"
    shutil.rmtree(meter_dir, ignore_errors=True)
    seed_file = folder / "seed.json"
    if args.reuse_seed and seed_is_today(server, seed_db, seed_file):
        say(f"Reusing today's city in {seed_db}.")
    else:
        say(f"Generating the city in {seed_db} (a couple of minutes)...")
        admin_sql(server, f'DROP DATABASE IF EXISTS "{seed_db}" WITH (FORCE)',
                  f'CREATE DATABASE "{seed_db}"')
        seed_env = {**env, "DATABASE_URL": f"{server}/{seed_db}"}
        migrated = manage(seed_env, "migrate", "--noinput", "-v0", log=folder / "migrate.log")
        manage(seed_env, "seed_city", "--readers", str(args.readers), "--volunteers",
               str(args.volunteers), "--loans", str(args.loans), "--operators",
               str(args.operators), "--stops-per-route", str(args.stops_per_route),
               "--json", str(seed_file), log=folder / "seed.log")
        made = [line for line in (folder / "seed.log").read_text(encoding="utf-8").splitlines()
                if " rows in " in line]
        say(f"  migrated in {migrated:.0f} s; {made[0] if made else 'see ' + str(seed_file)}")
    seed = json.loads(seed_file.read_text(encoding="utf-8"))
    admin_sql(server, f'DROP DATABASE IF EXISTS "{run_db}" WITH (FORCE)',
              f'CREATE DATABASE "{run_db}" TEMPLATE "{seed_db}"')
    env["DATABASE_URL"] = f"{server}/{run_db}"
    env["GUNICORN_BIND"] = f"127.0.0.1:{args.port}"
    env["CPU_METER_DIR"] = str(meter_dir)  # CPU and queries per request (backend.core.cpu_meter)
    env.pop("GUNICORN_ACCESS_LOG", None)
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    os.environ.update(env)  # for build_fixture's Django: the same settings as the server
    with tempfile.TemporaryDirectory(prefix="kniga-load-") as scratch:
        fixture_file = Path(scratch) / "fixture.json"
        fixture = build_fixture(fixture_file, seed, args.operators)
        users = len(fixture["volunteers"]) + len(fixture["operators"]) + 1
        log = folder / "gunicorn.log"
        base = f"http://{env['GUNICORN_BIND']}"
        helpers: list[subprocess.Popen] = []
        eager = args.eager or not shutil.which("redis-server")
        try:
            if eager:
                env.update(CELERY_TASK_ALWAYS_EAGER="true", CELERY_BROKER_URL="memory://")
                say("Tasks run in the web workers (no Celery worker).")
            else:
                redis_process, broker = start_redis(folder)
                helpers.append(redis_process)
                env.update(CELERY_TASK_ALWAYS_EAGER="false", CELERY_BROKER_URL=broker)
                # The cache shared by the workers, as in production (deploy/kniga03.env.example):
                # throttles and the kept route answers (mobile_api.route_cache).
                env.update(CACHE_BACKEND="backend.core.cache.RedisCache",
                           CACHE_LOCATION=broker.rsplit("/", 1)[0] + "/1")
                helpers.append(start_worker(env, folder / "celery.log"))
            server_process = start_gunicorn(env, log)
        except BaseException:
            for helper in reversed(helpers):
                stop(helper)
            raise
        helpers.insert(0, server_process)
        try:
            warm_up(base, fixture)
            say(f"Load: {users} users for {args.duration} s against {base} ...")
            locust_env = {**env, "KNIGA_LOAD_FIXTURE": str(fixture_file),
                          "KNIGA_LOAD_VOLUNTEER_WAIT": args.volunteer_wait,
                          "KNIGA_LOAD_OPERATOR_WAIT": args.operator_wait,
                          "KNIGA_LOAD_COORDINATOR_WAIT": args.coordinator_wait,
                          "KNIGA_LOAD_SOLVE_SECONDS": str(args.solve_seconds)}
            # The figures count from the moment every user has started (--reset-stats);
            # so does the CPU meter.
            ramp = min(users / args.spawn_rate, args.duration / 2)
            meter = CpuMeter(server_process.pid, run_db,
                             helpers[-1].pid if not eager else None)
            import threading

            from backend.core.cpu_meter import read_totals

            snapshot: dict = {}
            spy: list[subprocess.Popen] = []

            def steady() -> None:  # every user has started: the figures count from here
                snapshot.update(read_totals(meter_dir))
                meter.start()
                if args.profile:
                    spy.append(start_profile(server_process.pid, args.duration - ramp,
                                             folder / "profile.txt"))

            timer = threading.Timer(ramp, steady)
            timer.start()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            run_locust(locust_env, args, base, users, folder)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            timer.cancel()
            timer.join()
            cpu = meter.stop()
            # locust's own CPU is known for the whole run only: its share of the steady part.
            cpu["locust"] = round((after.ru_utime + after.ru_stime - before.ru_utime
                                   - before.ru_stime) * (1 - ramp / args.duration), 1)
            cpu["others"] = round(max(0.0, cpu["machine_busy"] - cpu["app"] - cpu["worker"]
                                      - cpu["database"] - cpu["locust"]), 1)
            for process in spy:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    stop(process)
        finally:
            # The web server first, then the worker, then the broker it is connected to.
            for helper in [helpers[0], *reversed(helpers[1:])]:
                stop(helper)
    # The workers wrote their last figures as they exited.
    cpu_by_endpoint = meter_delta(snapshot, read_totals(meter_dir), cpu["database"])
    profile = (profile_summary(folder / "profile.txt")
               if args.profile and (folder / "profile.txt").exists() else None)
    stats = read_stats(folder)
    if stats["total"] is None:
        say((folder / "locust.log").read_text(encoding="utf-8")[-3000:])
        raise SystemExit("locust wrote no statistics (see bench-results/load/locust.log).")
    errors_in_log = server_errors(log)
    # What gunicorn ran with: its configuration file read with the same environment.
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    result = {
        "run": {"date": datetime.date.today().isoformat(), "duration_s": args.duration,
                "measured_s": round(args.duration - ramp),
                "cpus": os.cpu_count(), "workers": conf["workers"], "threads": conf["threads"],
                "users": {"volunteers": len(fixture["volunteers"]),
                          "operators": len(fixture["operators"]), "coordinators": 1},
                "waits": {"volunteer": args.volunteer_wait, "operator": args.operator_wait,
                          "coordinator": args.coordinator_wait},
                "solve_seconds": args.solve_seconds,
                "tasks": "in the web workers" if eager else "Celery worker (nice 10) on Redis",
                "cache": "per worker (local memory)" if eager else "Redis, shared"},
        "seed": seed,
        **stats,
        "server_errors": errors_in_log,
        "cpu_seconds": cpu,
        "cpu_by_endpoint": cpu_by_endpoint,
        "profile": profile,
        "goals": goals(stats, errors_in_log),
    }
    (args.out / "load.json").write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
    text = markdown(result)
    (args.out / "load.md").write_text(text, encoding="utf-8")
    say()
    say(text)
    drops = [f'DROP DATABASE IF EXISTS "{run_db}" WITH (FORCE)']
    if not args.keep_seed:
        drops.append(f'DROP DATABASE IF EXISTS "{seed_db}" WITH (FORCE)')
    admin_sql(server, *drops)
    failed = not result["goals"]["no errors"]
    missed = not all(result["goals"].values())
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
