"""Gunicorn for Kniga 03: `gunicorn -c deploy/gunicorn.conf.py` from any folder.

Set DJANGO_SETTINGS_MODULE=backend.config.settings.production and the settings' variables
in the environment (see .env.example); the server's own knobs are the GUNICORN_* variables
below. The load test (`make bench-load`, loadtest/) runs with this file, so its figures are
those of this configuration.

Each worker thread keeps its own PostgreSQL connection open between requests
(DATABASE_CONN_MAX_AGE, 60 s in production), so workers × threads connections in all. Keep
that under PostgreSQL's max_connections, with room for Celery and manage.py.
"""
import multiprocessing
import os
from pathlib import Path


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


chdir = str(Path(__file__).resolve().parents[1])
wsgi_app = "backend.config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Requests spend most of their time in Python (the ORM, serializers): one process a core
# and one more. More processes only take turns on the same cores, and PostgreSQL needs its
# share when it runs on the same machine; the load test's tails were shortest so (2 cores:
# p95 of the volunteer's route ~100 ms with 3 workers, ~110-130 ms with 5). Two threads
# each, so that a long request (an import, a report, planning without Celery) holds one
# thread and not a whole process.
workers = _number("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
threads = _number("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"
# Planning runs in the request when there is no Celery worker (CELERY_TASK_ALWAYS_EAGER):
# leave it ROUTING_TIME_LIMIT and some.
timeout = _number("GUNICORN_TIMEOUT", 120)
graceful_timeout = _number("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle connections are kept (threads only) for longer than a proxy keeps its idle upstream
# connections (nginx: keepalive_timeout 60 s), so the proxy, not gunicorn, closes them: a
# request sent on a connection gunicorn is closing at that moment fails, and a POST is not
# retried.
keepalive = _number("GUNICORN_KEEPALIVE", 65)
# A fresh process now and then keeps slow leaks in libraries from adding up.
max_requests = _number("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10

# Behind a proxy on the same machine: trust its X-Forwarded-* headers (production settings
# read X-Forwarded-Proto to know the request came over HTTPS).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # "-" for standard output
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "kniga03"
