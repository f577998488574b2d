"""The shape of the house: no source file grows past what one person can read at a sitting.

The import contract (apps import downward only, no cycles, `core` and `notifications` import
no domain app, the route solver loads no Django module) is `.importlinter`, run by `make lint`.
"""
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SOURCES = ("backend", "mobile_api", "volunteer_app", "loadtest")
MAX_LINES = 700


def source_files():
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".py", ".js", ".html", ".css"} or not path.is_file():
                continue
            if "migrations" in path.parts or "vendor" in path.parts:
                continue
            yield path


def test_sources_are_found():
    assert any(path.name == "models.py" for path in source_files())


def test_no_source_file_is_over_700_lines():
    long = {str(path.relative_to(ROOT)): n for path in source_files()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
