"""manage.py import_catalog FILE [--format csv|xlsx|marc|marcxml] [--branch CODE] [--dry-run]"""
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.catalog.imports import FORMATS, format_from_name, import_catalog
from backend.core.exceptions import ApplicationError
from backend.core.progress import phase_bars


class Command(BaseCommand):
    help = (
        "Import titles and copies from a CSV, XLSX, MARC21 (ISO 2709, .mrc) or MARCXML (.xml) file "
        "(see docs/catalog_import.md). All records or none; exits with 1 on any error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS,
                            help="csv, xlsx, marc or marcxml (default: from the file's extension).")
        parser.add_argument("--branch", metavar="CODE",
                            help="Branch code for copies whose record names no branch.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check every record and report; write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        fmt = options["format"] or format_from_name(path.name)
        if fmt is None:
            raise CommandError(
                f"Cannot tell the format of {path.name}: use --format csv|xlsx|marc|marcxml.")

        progress = phase_bars({"validate": "checking records", "write": "writing"}, unit="rec",
                              disabled=options["no_progress"])

        started = time.monotonic()
        try:
            report = import_catalog(
                content=path.read_bytes(), format=fmt, filename=path.name,
                branch=options["branch"], dry_run=options["dry_run"], progress=progress,
            )
        except ApplicationError as exc:
            progress.close()
            self.stderr.write(self.style.ERROR(f"{exc.code}: {exc.message}"))
            sys.exit(1)
        progress.close()
        elapsed = time.monotonic() - started

        label = report.position_label
        for error in report.errors:
            self.stdout.write(
                f"{label} {error.position}, {error.field or '-'}: {error.message} [{error.code}]"
            )
        bad = len({e.position for e in report.errors})
        if report.errors:
            self.stdout.write(self.style.ERROR(
                f"{report.total_records} {label}s read, {bad} with errors; "
                f"nothing was imported."
            ))
            sys.exit(1)
        if report.dry_run:
            summary = (f"dry run: {report.total_records} {label}s checked, "
                       f"{report.titles_to_create} titles and {report.items_to_create} copies "
                       f"would be created; nothing was written")
        else:
            summary = (f"{report.total_records} {label}s read, "
                       f"{report.titles_created} titles and {report.items_created} copies "
                       f"created")
        self.stdout.write(self.style.SUCCESS(f"{summary} ({elapsed:.1f} s)."))
