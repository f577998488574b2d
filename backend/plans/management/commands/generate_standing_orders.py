"""Make the orders standing plans give for the next days (the daily job, by hand)."""
import datetime

from django.core.management.base import BaseCommand, CommandError

from backend.core.exceptions import ApplicationError
from backend.plans.orders import standing_orders_generate


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today: {value!r} is not a date like 2026-12-10") from exc


class Command(BaseCommand):
    help = (
        "Create the orders of active standing plans for the dates from tomorrow through "
        "today + DAYS, skipping pauses; a visit on a public holiday moves to the next working "
        "day the household is at home. Running it again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7,
                            help="How many days ahead, from tomorrow (default 7).")
        parser.add_argument("--today", type=_date, default=None,
                            help="Take this date (YYYY-MM-DD) as today; default: the local date.")

    def handle(self, *args, days: int, today: datetime.date | None, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more")
        try:
            result = standing_orders_generate(days=days, today=today)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Standing plans, {result.start.isoformat()} to {result.end.isoformat()}: "
            f"{len(result.created)} created, {len(result.existed)} already existed, "
            f"{len(result.skipped)} skipped, {len(result.merged)} joined a visit already made."
        )
        for skip in result.skipped:
            self.stdout.write(f"  skipped plan {skip.plan_id} on {skip.date.isoformat()}: "
                              f"{skip.code} ({skip.message})")
        if result.created:
            self.stdout.write(self.style.SUCCESS("Done."))
