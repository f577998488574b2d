"""`manage.py refresh_report_figures [--since YYYY-MM-DD]`: store the report's figures now.

The same work as the nightly job (`reports.refresh_figures`): every branch and the whole
district, the month, quarter and year that contain yesterday and the ones before them. With
--since, every month, quarter and year from the one containing that date: after history
was imported or a late return entered for a period the nightly job no longer counts."""
import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from backend.reports.services import report_figures_refresh


class Command(BaseCommand):
    help = ("Count and store the report figures of recent periods (what the nightly job "
            "does); --since DATE also recounts older periods.")

    def add_arguments(self, parser):
        parser.add_argument("--since", help="YYYY-MM-DD: recount every period from the one "
                                            "containing this date.")

    def handle(self, *args, **options):
        since = None
        if options["since"]:
            try:
                since = datetime.date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError("--since: a date as YYYY-MM-DD, e.g. 2024-01-01.") from exc
        begun = time.monotonic()
        rows = report_figures_refresh(since=since)
        self.stdout.write(f"Stored the figures of {len(rows)} periods in "
                          f"{time.monotonic() - begun:.1f} s.")
