"""The demo district's catalog: fixtures/catalog/demo_catalog.csv, loaded by the importer.

`load_demo_catalog()` needs the demo branches (BSH, SOK, YAK) to exist: the file names
each copy's branch and its shelf mark, written as a library writes them ("84(5Каз) Ә-12",
by fixtures/catalog/build_demo_catalog.py), so the pick list walks the shelves. It goes
through `import_catalog`, so the demo is loaded exactly as a librarian's file would be,
and it is all or nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from backend.demo.base import DemoDataError, demo_step

DEMO_CSV = Path(settings.BASE_DIR) / "fixtures" / "catalog" / "demo_catalog.csv"


class DemoCatalogError(DemoDataError):
    """The demo file does not load; the message names the rows."""


def _writer(stdout: Any):
    if stdout is None:
        return lambda line: None
    if callable(stdout):
        return stdout
    return lambda line: stdout.write(line if line.endswith("\n") else line + "\n")


def load_demo_catalog(stdout: Any = None, *, path: Path | None = None):
    """Load the demo catalog unless the catalog already has titles (then do nothing).

    `stdout`: a stream (a command's self.stdout) or a callable taking one line.
    Returns the import report, or None when it was skipped.
    """
    from backend.catalog.imports import import_catalog
    from backend.catalog.models import Title

    out = _writer(stdout)
    if Title.objects.exists():
        out("  catalog: titles are already there; the demo catalog is not loaded.")
        return None
    path = path or DEMO_CSV
    report = import_catalog(content=path.read_bytes(), format="csv", filename=path.name)
    if not report.ok:
        lines = [f"row {e.position}, {e.field}: {e.message}" for e in report.errors[:20]]
        raise DemoCatalogError(f"{path.name}: " + "; ".join(lines))
    out(f"  catalog: {report.titles_created} titles, {report.items_created} copies created")
    return report


@demo_step("catalog", order=500)
def catalog_step(ctx) -> None:
    load_demo_catalog(ctx.out)
