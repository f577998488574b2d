"""How long a whole day takes to plan through the product's own path (stops from orders,
travel times, solver, writing the routes), on a synthetic day that is rolled back after."""
import datetime
import json
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from backend.routing import services
from backend.routing.models import Stop
from backend.routing.synthetic import make_day


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Plan synthetic days (e.g. a district: 60 stops, 6 volunteers; a city: 1000, 60)."

    def add_arguments(self, parser):
        parser.add_argument("--stops", type=int, nargs="+", default=[60, 1000])
        parser.add_argument("--volunteers", type=int, nargs="+", default=[6, 60])
        parser.add_argument("--time-limit", type=float, nargs="+", default=[3.0, 90.0],
                            help="Solver seconds for each day (the rest is overhead).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", default=None, help="Write the figures to this file.")

    def handle(self, *args, **options):
        results = []
        day = datetime.date.today() + datetime.timedelta(days=30)
        for stops, volunteers, limit in zip(options["stops"], options["volunteers"],
                                            options["time_limit"], strict=True):
            try:
                with transaction.atomic():
                    branch = make_day(stops=stops, volunteers=volunteers, day=day,
                                      seed=options["seed"])
                    plan = services.plan_get_or_create(branch=branch, date=day)
                    started = time.monotonic()
                    figures = services.plan_solve(plan=plan, time_limit=limit)
                    seconds = time.monotonic() - started
                    reasons = {}
                    for reason in Stop.objects.filter(plan=plan, route=None).values_list(
                            "unserved_reason", flat=True):
                        reasons[reason or "none"] = reasons.get(reason or "none", 0) + 1
                    row = {"stops": stops, "volunteers": volunteers, "time_limit": limit,
                           "seconds": round(seconds, 1), "served": figures["served"],
                           "unserved": figures["unserved"], "unserved_reasons": reasons,
                           "volunteers_used": figures["volunteers"],
                           "travel_minutes": figures["travel_minutes"],
                           "feasible": figures["feasible"]}
                    results.append(row)
                    self.stdout.write(
                        f"{stops:>5} stops {volunteers:>3} volunteers: {seconds:6.1f} s "
                        f"(solver limit {limit:g} s), served {row['served']}, unserved "
                        f"{row['unserved']} {reasons or ''}, volunteers used "
                        f"{row['volunteers_used']}, travel {row['travel_minutes']} min, "
                        f"feasible {row['feasible']}")
                    raise Rollback
            except Rollback:
                pass
        if options["json"]:
            with open(options["json"], "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2)
