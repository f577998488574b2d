"""Shared fixtures. The database comes from DATABASE_URL (SQLite by default)."""
import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import BranchFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "requires_postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request through the locale
    middleware leaves its language active in the thread, which would leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def branch(db):
    return BranchFactory()


@pytest.fixture
def make_user(db):
    def make(role: str | None = None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def api(db):
    """An API client; `api.as_role("librarian")` signs in a fresh user of that role."""
    client = APIClient()

    def as_user(user):
        # Each signed-in user gets a client of their own, so two roles can act in one test.
        own = APIClient()
        own.force_authenticate(user)
        own.user = user
        return own

    def as_role(role: str | None, **kwargs):
        return as_user(UserFactory(role=role, **kwargs))

    client.as_role = as_role
    client.as_user = as_user
    return client


@pytest.fixture(params=["insert-returning", "insert-savepoint"])
def way(request, monkeypatch) -> str:
    """A row written unless taken (backend.core.inserts), each test both ways: the one
    statement where the database has it, and the savepoint (as SQLite before 3.35 would)
    everywhere."""
    from backend.core import inserts

    if request.param == "insert-returning":
        if not inserts.insert_returns_rows(connection):
            pytest.skip("this database has no INSERT ... ON CONFLICT ... RETURNING")
    else:
        monkeypatch.setattr(inserts, "insert_returns_rows", lambda connection: False)
    return request.param
