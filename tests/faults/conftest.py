"""Fixtures for the fault tests: the test database shared with subprocesses, message texts."""
import importlib

import pytest
from django.apps import apps

from backend.notifications.models import MessageTemplate
from tests.shared_db import shared_db  # noqa: F401 - a fixture


@pytest.fixture
def message_texts():
    """The default message texts come from a data migration that a flushed database lacks
    (a test with transaction=True before this one empties every table)."""
    if not MessageTemplate.objects.filter(code="order_confirmed").exists():
        migration = importlib.import_module(
            "backend.notifications.migrations.0003_default_templates")
        migration.add_defaults(apps, None)
