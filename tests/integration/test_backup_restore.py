"""A backup is as good as its restore: the scripts the backup unit runs, tested end to end.

A small district is written to the test database; `deploy/backup.sh` (what
kniga03-backup.service runs) dumps it with `pg_dump -Fc`; `deploy/restore.sh` restores the
dump into a new database with `pg_restore`; the main tables have the same rows there, the
application finds its migrations complete, and the new database is dropped.
"""
import os
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from backend.notifications.models import Message
from backend.routing import services
from tests.factories import BranchFactory, FamilyCardFactory, ReaderPhoneFactory
from tests.routing.test_planning import next_weekday, reader_at, ready_order, volunteer
from tests.shared_db import ROOT, manage, postgres_url

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

DEPLOY = ROOT / "deploy"


def run(command, env, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True,
                          timeout=300, **kwargs)


def counts(output: str) -> dict[str, int]:
    return {table: int(rows) for table, rows in
            (line.split() for line in output.strip().splitlines())}


def a_small_district() -> None:
    depot, day = BranchFactory(code="BAK", lat=54.0, lon=69.0), next_weekday()
    volunteer(depot)
    family = FamilyCardFactory(branch=depot)
    for i in range(1, 6):
        reader = reader_at(depot, 69.0 + 0.01 * i, family_card=family if i < 3 else None)
        ReaderPhoneFactory(reader=reader)
        order = ready_order(reader, day)
        Message.objects.create(event_key=f"backup-test:{i}", template="order_confirmed",
                               to=f"+7701000000{i}", text="Книга 03: заявка принята.",
                               reader=reader, order=order, not_before=order.created_at)
    services.plan_solve(plan=services.plan_get_or_create(branch=depot, date=day),
                        time_limit=0.3)


@pytest.fixture
def new_database():
    """The URL of a new, empty database on the same server; dropped afterwards."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    params = {k: v for k, v in connection.get_connection_params().items()
              if k in ("user", "password", "host", "port") and v}
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url({**settings_dict, "NAME": name})
    finally:
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_nightly_backup_restores_into_a_new_database_with_every_row(shared_db, new_database,
                                                                    tmp_path):
    a_small_district()
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "kniga03-20250101T023000Z.dump"
    old.write_bytes(b"an old dump")
    three_weeks_ago = time.time() - 20 * 86400
    os.utime(old, (three_weeks_ago, three_weeks_ago))
    env = shared_db.env(BACKUP_DIR=str(backups), BACKUP_KEEP_DAYS="14")

    backup = run([DEPLOY / "backup.sh"], env)

    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.parent == backups and dump.name.startswith("kniga03-") and dump.exists()
    assert dump.stat().st_mode & 0o077 == 0  # personal data: the owner alone reads it
    assert not old.exists()  # older than BACKUP_KEEP_DAYS
    assert not list(backups.glob("*.partial"))
    live = run([DEPLOY / "restore.sh", "--counts"], env)
    assert live.returncode == 0, live.stderr
    before = counts(live.stdout)
    assert before["readers_reader"] == 5 and before["routing_stop"] >= 4
    assert before["notifications_message"] == 5 and before["django_migrations"] > 0

    restored_env = shared_db.env(DATABASE_URL=new_database)
    restored = run([DEPLOY / "restore.sh", dump], restored_env)

    assert restored.returncode == 0, restored.stderr
    assert counts(restored.stdout) == before
    migrations = run(manage("migrate", "--check"), restored_env)
    assert migrations.returncode == 0, migrations.stdout + migrations.stderr
    again = run([DEPLOY / "restore.sh", dump], restored_env)
    assert again.returncode == 3 and "refusing" in again.stderr
