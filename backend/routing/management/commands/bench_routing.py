"""The routing benchmark: Solomon-format instances through the planner's own solver."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.routing.solver import bench


class Command(BaseCommand):
    help = ("Solve every Solomon-format instance in a folder through the same solver entry "
            "point that plans real days; print vehicles, distance and the gap to the "
            "best known, and the same for vroom and OR-Tools run in the same process.")

    def add_arguments(self, parser):
        parser.add_argument("--instances", required=True, type=Path,
                            help="Folder of Solomon-format files (and BKS.csv).")
        parser.add_argument("--time-limit", type=float, default=10.0,
                            help="Seconds per instance (default 10).")
        parser.add_argument("--peers", default="vroom,ortools",
                            help="Comma-separated peers: vroom, ortools, or none.")
        parser.add_argument("--json", type=Path, default=None,
                            help="Write our routes per instance to this JSON file.")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options):
        folder: Path = options["instances"]
        if not folder.is_dir():
            raise CommandError(f"No such folder: {folder}")
        peers = [p for p in options["peers"].split(",") if p and p != "none"]
        if options["json"]:
            options["json"].parent.mkdir(parents=True, exist_ok=True)
        self.stdout.ending = ""  # the benchmark prints whole lines itself
        try:
            results = bench.run(folder, options["time_limit"], peers, options["json"],
                                options["seed"], out=self.stdout)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not all(r[bench.OURS]["feasible"] for r in results):
            raise CommandError("Some solutions are not feasible (see above).")
