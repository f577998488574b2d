"""A real broker and a real Celery worker for the tests that need them.

* ``RedisServer`` runs ``redis-server`` on a free port of 127.0.0.1 (no disk), so a test can
  take the broker away and bring it back;
* ``CeleryWorker`` runs ``celery -A backend.config worker`` in a subprocess against a broker
  and a database, and always stops it (SIGTERM, then SIGKILL of its process group);
* ``celery_on(url)`` points this process's Celery app at a broker, tasks no longer eager.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], *, timeout: float, what: str,
              interval: float = 0.05) -> object:
    """Poll `check` until it answers something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1,
                                         socket_timeout=1).ping())
    except (redis.exceptions.RedisError, OSError):
        return False


def _stop(process: subprocess.Popen, *, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL for the whole process group; never leaves it running."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children a worker may have left behind
    if process.poll() is None:
        process.wait(timeout=5)


class RedisServer:
    """``redis-server`` on 127.0.0.1:port, nothing saved to disk."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: redis_answers(self.url()) or self.process.poll() is not None,
                 timeout=10, what=f"redis-server on port {self.port}")
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server on port {self.port} did not start")
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, grace=5)
            self.process = None


class CeleryWorker:
    """``celery -A backend.config worker`` (solo pool, one task at a time) in a subprocess.

    `env` is the worker's whole environment (database, broker, Twilio); `queue` the one queue
    it consumes. Its log is kept in `log_path` and shown when a test fails on it.
    """

    LIFETIME = 600  # seconds at most, whatever happens to the test

    def __init__(self, *, env: dict[str, str], queue: str, log_path: Path) -> None:
        self.env = env
        self.queue = queue
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, *, timeout: float = 60) -> CeleryWorker:
        command = [CELERY, "-A", "backend.config", "worker", "--pool", "solo", "--concurrency",
                   "1", "--queues", self.queue, "--hostname", f"{self.queue}@%h",
                   "--without-gossip", "--without-mingle", "--without-heartbeat",
                   "--loglevel", "INFO"]
        if shutil.which("timeout"):
            # Should this test process itself be killed, the worker still goes in the end.
            command = ["timeout", "--kill-after=10", str(self.LIFETIME), *command]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for(lambda: " ready." in self.log() or self.process.poll() is not None,
                     timeout=timeout, what="the Celery worker to be ready", interval=0.1)
        except AssertionError:
            self.stop()
            raise AssertionError("the worker did not start:\n" + self.log()[-3000:]) from None
        if self.process.poll() is not None:
            raise AssertionError("the worker exited:\n" + self.log()[-3000:])
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None


@contextmanager
def running(thing):
    """`with running(RedisServer()) as redis:` starts it and always stops it."""
    try:
        yield thing.start()
    finally:
        thing.stop()


def _reset_connections(app) -> None:
    import kombu.pools

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools per broker in a registry of its own; one closed above would
    # otherwise be handed out again when tasks run eagerly after this test.
    kombu.pools.reset()


@contextmanager
def celery_on(broker_url: str) -> Iterator:
    """This process's Celery app sends to `broker_url` instead of running tasks eagerly."""
    from backend.config.celery import app

    saved = {"broker_url": app.conf.broker_url,
             "task_always_eager": app.conf.task_always_eager}
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = False
    _reset_connections(app)
    try:
        yield app
    finally:
        _reset_connections(app)
        app.conf.update(saved)
