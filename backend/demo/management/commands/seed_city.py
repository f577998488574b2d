"""`manage.py seed_city`: a generated city (Astana) for load tests (backend/demo/city/)."""
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from backend.demo.city import CityExistsError, CityScale, generate_city


class Command(BaseCommand):
    help = (
        "Generate a city-sized database for load tests: branches, staff, volunteers, reader "
        "and family cards, a catalog, years of loans, today's published routes and the next "
        "working day's ready orders. Use a database of its own: it is big, and it is made "
        "once (a second run refuses)."
    )

    def add_arguments(self, parser):
        defaults = CityScale()
        parser.add_argument("--readers", type=int, default=defaults.readers)
        parser.add_argument("--volunteers", type=int, default=defaults.volunteers)
        parser.add_argument("--loans", type=int, default=defaults.loans)
        parser.add_argument("--operators", type=int, default=defaults.operators)
        parser.add_argument("--stops-per-route", type=int, default=defaults.stops_per_route)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--json", default=None, metavar="FILE",
                            help="Also write the row counts and the time taken to FILE.")

    def handle(self, *args, **options):
        scale = CityScale(readers=options["readers"], volunteers=options["volunteers"],
                          loans=options["loans"], operators=options["operators"],
                          stops_per_route=options["stops_per_route"], seed=options["seed"])
        if min(scale.readers, scale.volunteers, scale.stops_per_route) < 1 or scale.loans < 0:
            raise CommandError("Readers, volunteers and stops per route must be at least 1.")
        if scale.volunteers * scale.stops_per_route > scale.readers * 0.4:
            raise CommandError("Too few readers for today's routes: give at least "
                               f"{scale.volunteers * scale.stops_per_route * 5 // 2} readers.")
        self.stdout.write(f"Generating the city on {connection.vendor} "
                          f"({scale.readers} readers, {scale.volunteers} volunteers, "
                          f"{scale.loans} loans):")
        try:
            report = generate_city(scale, out=self.stdout.write)
        except CityExistsError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(report.counts.values())
        self.stdout.write(self.style.SUCCESS(
            f"{rows} rows in {report.seconds:.1f} s; routes for {report.today}, ready orders "
            f"for {report.next_day}."))
        for label, count in sorted(report.counts.items()):
            self.stdout.write(f"  {label:<32} {count:>8}")
        if options["json"]:
            with open(options["json"], "w", encoding="utf-8") as handle:
                json.dump(report.as_dict(), handle, indent=2)
