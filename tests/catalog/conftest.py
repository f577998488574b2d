import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Messages are checked in their English source text (the catalogues translate them)."""
    with translation.override("en"):
        yield
