"""Fixtures for the routing tests."""

import pytest
from django.core.cache import cache

from tests.routing.fake_osrm import FakeOsrm


@pytest.fixture
def fake_osrm(settings):
    """A fake OSRM table server on 127.0.0.1; the travel gateway is pointed at it.

    Short timeout and backoff keep the failure tests fast; the cache starts empty.
    """
    fake = FakeOsrm().start()
    settings.OSRM_URL = fake.url
    settings.OSRM_TIMEOUT = 2
    settings.OSRM_RETRY_BACKOFF = 0.01
    settings.OSRM_FALLBACK = "straight_line"
    cache.clear()
    try:
        yield fake
    finally:
        fake.stop()
        cache.clear()


@pytest.fixture
def day():
    """A weekday a week or more ahead, so orders for it are in the future."""
    from tests.routing.test_planning import next_weekday

    return next_weekday()


@pytest.fixture
def depot(db):
    from tests.factories import BranchFactory

    return BranchFactory(code="DEP", lat=54.0, lon=69.0)
