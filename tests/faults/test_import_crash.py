"""A crashed import leaves nothing behind.

`manage.py import_readers` and `manage.py import_catalog` run in a subprocess against the
test database (shared with it: tests/shared_db.py) and are killed with SIGKILL in the middle
of their one transaction, after the reader cards (the titles) are written and before their
phones (the copies) are:

* on PostgreSQL the test holds a lock on the second table, so the import waits there; the
  test sees from `pg_stat_activity` that it has written (it has a transaction id) and waits
  on the lock, then kills it;
* on SQLite a trigger in the test's copy of the database makes the first insert into the
  second table take seconds (a slow disk); the test kills the import once it has reported
  writing and its write-ahead log (or rollback journal) is on disk.

Then no reader (title, copy) from the file exists, the database is intact, and the same
import run again imports everything. An exception in the middle of the write, in process,
leaves nothing either (the catalog's race with a taken barcode is in
tests/catalog/test_import.py).
"""
import signal
import sqlite3
import subprocess
import time
import uuid
from contextlib import closing, contextmanager

import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from backend.catalog.models import Item, Title
from backend.readers.management.commands.bench_import import bench_rows, rows_csv
from backend.readers.models import CardChange, Reader, ReaderPhone
from tests.broker import wait_for
from tests.catalog.helpers import make_record, marc_file
from tests.factories import BranchFactory
from tests.shared_db import manage

# The subprocess must see the rows this test commits; the in-process tests need no more than
# the import's own transaction.
in_a_shared_database = pytest.mark.django_db(transaction=True)

SLOW_INSERT = """
CREATE TRIGGER fault_slow_disk BEFORE INSERT ON "{table}"
BEGIN
    SELECT count(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n
                                                  LIMIT 500000000) SELECT x FROM n);
END
"""


def readers_file(tmp_path, code: str, count: int = 60):
    path = tmp_path / "readers.csv"
    path.write_bytes(rows_csv(bench_rows(count, code)))
    return path


def catalog_file(tmp_path, code: str, count: int = 40):
    path = tmp_path / "catalog.mrc"
    path.write_bytes(marc_file([make_record(n, barcodes=(f"CR{n:05d}",), branch=code)
                                for n in range(1, count + 1)]))
    return path


def conninfo() -> dict:
    params = connection.get_connection_params()
    return {k: v for k, v in params.items()
            if k in ("dbname", "user", "password", "host", "port") and v}


@contextmanager
def stalled_before_writing(shared_db, table: str):
    """Make the first insert into `table` wait; answers `stuck(process, name, stderr)`: true
    once the import has written and is held there."""
    if shared_db.vendor == "postgresql":
        holder = psycopg.connect(**conninfo())
        holder.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')  # readers may still read

        def stuck(process, name, stderr_path):
            with psycopg.connect(**conninfo(), autocommit=True) as other:
                row = other.execute(
                    "SELECT backend_xid IS NOT NULL, wait_event_type FROM pg_stat_activity "
                    "WHERE application_name = %s", [name]).fetchone()
            return row is not None and row == (True, "Lock")

        try:
            yield stuck
        finally:
            holder.rollback()  # the killed import's server process then finds its client gone
            holder.close()
        return
    with closing(sqlite3.connect(shared_db.path)) as db:
        db.executescript(SLOW_INSERT.format(table=table))
    # The database is in WAL mode (settings): the transaction's pages go to "-wal", with no
    # commit record until it commits. A rollback journal ("-journal") if someone turns it off.
    companions = [shared_db.path.with_name(shared_db.path.name + suffix)
                  for suffix in ("-wal", "-journal")]

    def stuck(process, name, stderr_path):
        return ("writing" in stderr_path.read_text(errors="replace")
                and any(path.exists() for path in companions))

    yield stuck


def kill_mid_transaction(shared_db, tmp_path, command: list[str], table: str) -> None:
    name = f"kniga03-crash-{uuid.uuid4().hex[:8]}"
    stderr_path = tmp_path / f"{name}.err"
    with stalled_before_writing(shared_db, table) as stuck, open(stderr_path, "wb") as err:
        process = subprocess.Popen(command, env=shared_db.env(PGAPPNAME=name),
                                   stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_for(lambda: stuck(process, name, stderr_path) or process.poll() is not None,
                     timeout=120, what="the import to be half-way through writing")
            assert process.poll() is None, (
                "the import ended before it could be killed:\n" + stderr_path.read_text())
            process.send_signal(signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    if shared_db.vendor == "postgresql":
        def gone():
            with psycopg.connect(**conninfo(), autocommit=True) as other:
                return other.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = %s", [name]).fetchone()[0] == 0
        wait_for(gone, timeout=30, what="the killed import's server process to end")


def assert_database_intact(shared_db) -> None:
    if shared_db.vendor == "sqlite":
        with closing(sqlite3.connect(shared_db.path)) as db:  # rolls the hot journal back
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            db.execute("DROP TRIGGER IF EXISTS fault_slow_disk")
            db.commit()


@in_a_shared_database
def test_reader_import_killed_mid_way_leaves_no_reader(shared_db, tmp_path):
    branch = BranchFactory(code="CRSH")
    path = readers_file(tmp_path, branch.code)

    kill_mid_transaction(shared_db, tmp_path, manage("import_readers", str(path)),
                         "readers_readerphone")

    assert_database_intact(shared_db)
    assert Reader.objects.count() == 0
    assert ReaderPhone.objects.count() == 0
    assert CardChange.objects.count() == 0

    started = time.monotonic()
    again = subprocess.run(manage("import_readers", str(path), "--no-progress"),
                           env=shared_db.env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert time.monotonic() - started < 60
    assert Reader.objects.filter(branch=branch).count() == 60
    assert ReaderPhone.objects.count() >= 60


@in_a_shared_database
def test_catalog_import_killed_mid_way_leaves_no_title_or_copy(shared_db, tmp_path):
    BranchFactory(code="CRB")
    path = catalog_file(tmp_path, "CRB")

    kill_mid_transaction(shared_db, tmp_path, manage("import_catalog", str(path)),
                         "catalog_item")

    assert_database_intact(shared_db)
    assert Title.objects.count() == 0
    assert Item.objects.count() == 0


@contextmanager
def failing_on_first_write_to(table: str):
    """The database fails (a disk error) on the first write to `table`."""
    def fail(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and f'"{table}"' in sql[:200]:
            raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


@pytest.mark.django_db
def test_reader_import_failing_mid_way_in_process_leaves_nothing(tmp_path):
    branch = BranchFactory(code="CRSH")
    path = readers_file(tmp_path, branch.code)

    with failing_on_first_write_to("readers_readerphone"), \
            pytest.raises(OperationalError, match="disk I/O error"):
        call_command("import_readers", str(path), "--no-progress")

    assert Reader.objects.count() == 0
    assert ReaderPhone.objects.count() == 0
    assert CardChange.objects.count() == 0


@pytest.mark.django_db
def test_catalog_import_failing_mid_way_in_process_leaves_nothing(tmp_path):
    BranchFactory(code="CRB")
    path = catalog_file(tmp_path, "CRB")

    with failing_on_first_write_to("catalog_item"), \
            pytest.raises(OperationalError, match="disk I/O error"):
        call_command("import_catalog", str(path), "--no-progress")

    assert Title.objects.count() == 0
    assert Item.objects.count() == 0
