"""Fixtures for the integration tests: the test database shared with subprocesses."""
from tests.shared_db import shared_db  # noqa: F401 - a fixture
