"""manage.py anonymize_readers [--years N] [--dry-run]"""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.readers import anonymize


class Command(BaseCommand):
    help = (
        "Erase the personal data of reader cards and family cards closed more than N years "
        "ago (READER_RETENTION_YEARS by default), keeping what the statistics need. "
        "Safe to run again: anonymized cards are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=None,
                            help="Closed more than this many years ago "
                                 "(default: READER_RETENTION_YEARS).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count the cards that would be anonymized; change nothing.")

    def handle(self, *args, **options):
        years = options["years"]
        if years is None:
            years = settings.READER_RETENTION_YEARS
        if years < 1:
            raise CommandError("--years must be at least 1.")
        readers = anonymize.readers_to_anonymize(years=years)
        families = anonymize.families_to_anonymize(years=years)
        if options["dry_run"]:
            self.stdout.write(f"Would anonymize {readers.count()} reader card(s) and "
                              f"{families.count()} family card(s) closed more than "
                              f"{years} year(s) ago.")
            return
        done = anonymize.anonymize_closed(years=years)
        self.stdout.write(self.style.SUCCESS(
            f"Anonymized {done['readers']} reader card(s) and {done['family_cards']} family "
            f"card(s) closed more than {years} year(s) ago."))
