"""`manage.py seed_demo`: the demo district, its staff and readers, for `make run` and demos."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.demo.base import DemoDataError, load_demo, registered_steps


class Command(BaseCommand):
    help = (
        "Load the demo district (Kyzylzhar district, North Kazakhstan): branches, staff and "
        "volunteer accounts, reader cards and family cards, and whatever later steps add. "
        "Safe to run again: what is already there is kept, nothing is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Load only into a database without any branch (used by `make run`).",
        )
        parser.add_argument(
            "--fixtures", metavar="DIR", default=None,
            help="Read the demo JSON from DIR instead of fixtures/demo/.",
        )

    def handle(self, *args, **options):
        from backend.branches.models import Branch

        if options["if_empty"] and Branch.objects.exists():
            self.stdout.write("The database already has branches; the demo district is not loaded.")
            return
        steps = registered_steps()
        self.stdout.write(f"Loading the demo district ({', '.join(s.name for s in steps)}):")
        started = time.monotonic()
        try:
            ctx = load_demo(steps, fixtures_dir=options["fixtures"], out=self.stdout.write)
        except DemoDataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        elapsed = time.monotonic() - started
        total = sum(ctx.created.values())
        if total:
            self.stdout.write(self.style.SUCCESS(
                f"Created {total} records in {elapsed:.1f} s."
            ))
        else:
            self.stdout.write(self.style.SUCCESS(
                "Nothing new: the demo district was already loaded."
            ))
        self._accounts(ctx)

    def _accounts(self, ctx) -> None:
        if not ctx.users:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {settings.DEMO_PASSWORD}):")
        for username, user in ctx.users.items():
            if user.is_superuser:
                role = "superuser (admin)"
            else:
                role = ", ".join(sorted(user.groups.values_list("name", flat=True))) or "-"
            branch = f" [{user.branch.code}]" if user.branch_id else ""
            phone = f" {user.phone}" if user.phone else ""
            self.stdout.write(
                f"  {username:<12} {role:<18} {user.get_full_name()}{branch}{phone}"
            )
        if ctx.found["users"]:
            self.stdout.write(
                "Accounts that were already there keep their own passwords."
            )
