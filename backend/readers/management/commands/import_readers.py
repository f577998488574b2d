"""manage.py import_readers FILE [--dry-run] [--duplicates skip|flag|error] [--user NAME]"""
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backend.core.exceptions import ApplicationError
from backend.core.progress import phase_bars
from backend.readers.imports import DuplicateMode, import_readers


class Command(BaseCommand):
    help = (
        "Import reader cards from an .xlsx or .csv file (see docs/reader_import.md). "
        "All rows or none; exits with 1 when any row has an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true",
                            help="Check every row and report; write nothing.")
        parser.add_argument("--duplicates", choices=DuplicateMode.ALL, default="skip",
                            help="What to do with a reader already on file (same phone and "
                                 "birth date): skip (default), flag (import and report), error.")
        parser.add_argument("--user", help="Username recorded as the author of the cards.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No such user: {options['user']}") from exc

        progress = phase_bars({"validate": "checking rows", "write": "writing cards"}, unit="row",
                              disabled=options["no_progress"])

        try:
            report = import_readers(
                content=path.read_bytes(), filename=path.name, by=user,
                dry_run=options["dry_run"], duplicates=options["duplicates"],
                progress=progress,
            )
        except ApplicationError as exc:
            self.stderr.write(self.style.ERROR(f"{exc.code}: {exc.message}"))
            sys.exit(1)
        finally:
            progress.close()

        for error in report.errors:
            self.stdout.write(
                f"row {error.row}, column {error.column or '-'}: {error.message} [{error.code}]"
            )
        for duplicate in report.duplicates:
            if report.duplicates_mode == DuplicateMode.ERROR:
                continue
            action = "skipped" if report.duplicates_mode == DuplicateMode.SKIP else "flagged"
            self.stdout.write(f"row {duplicate.row}, column {duplicate.column}: {action}: "
                              f"{duplicate.message()}")
        mode = "dry run: " if report.dry_run else ""
        summary = (
            f"{mode}{report.total_rows} rows, {report.created} created"
            f"{f' ({report.to_create} would be created)' if report.dry_run else ''}, "
            f"{report.skipped} duplicates skipped, {report.flagged} flagged, "
            f"{len({e.row for e in report.errors})} rows with errors"
        )
        if report.errors:
            self.stdout.write(self.style.ERROR(summary + "; nothing was imported."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))
