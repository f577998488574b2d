"""A PostgreSQL connection as the settings make it: parameters bound by the server, so a
statement's text does not change with its values, and a statement the connection has run
often is prepared (parsed and planned once); the search's typo threshold is set on it."""
import pytest
from django.db import connection

from backend.branches.models import Branch
from backend.core.search import TRIGRAM_THRESHOLD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's connection settings")


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if fragment in row[0]]


def test_a_read_run_often_is_prepared_whatever_its_values():
    """The same read with a different value each time: one statement, prepared once the
    connection has run it `prepare_threshold` times, its value a parameter ($1)."""
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    assert threshold and threshold > 0
    for number in range(threshold + 2):
        list(Branch.objects.filter(code=f"NO-{number}").values_list("pk", flat=True))
    found = [sql for sql in _prepared('"branches_branch"') if '"code" = $1' in sql]
    assert len(found) == 1


def test_a_read_run_once_is_not_prepared():
    list(Branch.objects.filter(name="только раз").values_list("pk", flat=True))
    assert not [sql for sql in _prepared('"branches_branch"') if '"name" = $1' in sql]


def test_the_typo_threshold_is_set_on_the_connection():
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert float(cursor.fetchone()[0]) == pytest.approx(TRIGRAM_THRESHOLD)
