"""manage.py geocode_readers [--again] [--per-second N] [--no-progress]"""
from itertools import chain

from django.core.management.base import BaseCommand, CommandError

from backend.core.progress import phase_bars
from backend.readers.geocoder import GeocoderMisconfigured, geocoder_enabled
from backend.readers.geocoding import readers_geocode
from backend.readers.selectors import family_cards_to_geocode, readers_to_geocode


class Command(BaseCommand):
    help = (
        "Find the coordinates of reader and family cards that have an address but none (after "
        "an import, or while the geocoder was down) through GEOCODER_URL. Places set by hand "
        "are never replaced. Keeps to GEOCODER_REQUESTS_PER_SECOND (Nominatim asks for 1)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--again", action="store_true",
                            help="Also ask again for cards not found or found several times.")
        parser.add_argument("--per-second", type=float, default=None,
                            help="Requests a second (default: GEOCODER_REQUESTS_PER_SECOND).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        if not geocoder_enabled():
            raise CommandError("GEOCODER_URL is not set: geocoding is off.")
        if options["per_second"] is not None and options["per_second"] <= 0:
            raise CommandError("--per-second must be more than 0.")
        readers = readers_to_geocode(again=options["again"])
        families = family_cards_to_geocode(again=options["again"])
        total = readers.count() + families.count()
        progress = phase_bars({"geocode": "geocoding addresses"}, unit="card",
                              disabled=options["no_progress"])
        try:
            counts = readers_geocode(readers=chain(readers.iterator(), families.iterator()),
                                     total=total,
                                     per_second=options["per_second"], progress=progress)
        except GeocoderMisconfigured as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.close()
        summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "none"
        self.stdout.write(self.style.SUCCESS(f"Looked up {total} card(s) ({summary})."))
