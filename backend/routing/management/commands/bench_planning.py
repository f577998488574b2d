"""How long a whole day takes to plan through the product's own path (stops from orders,
travel times, solver, writing the routes), on a synthetic day that is rolled back after; with
`--peers`, the same day given to vroom and OR-Tools in the same run (routing.solver.daypeers).

Every plan, ours as written in the database and each peer's, is re-scheduled and checked with
real times by the solver's independent schedule check before its figures are printed."""
import dataclasses
import datetime
import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backend.routing import services
from backend.routing.models import Stop
from backend.routing.problem import build_problem
from backend.routing.solver import daypeers
from backend.routing.solver.solve import solve
from backend.routing.synthetic import make_day


class Rollback(Exception):
    pass


def written_assignment(plan) -> dict[str, list[str]]:
    """The routes as written: {volunteer id: [stop ids in order]} (solver ids)."""
    assignment: dict[str, list[str]] = {}
    for stop in Stop.objects.filter(plan=plan, route__isnull=False).select_related("route") \
            .order_by("route__volunteer_id", "sequence"):
        assignment.setdefault(str(stop.route.volunteer_id), []).append(str(stop.pk))
    return assignment


def row_of(name: str, solution, seconds: float) -> dict:
    objective = solution.objective
    return {"solver": name, "served": objective.served, "unserved": objective.unserved,
            "volunteers_used": objective.vehicles,
            "travel_km": round(objective.distance / 1000, 1),
            "travel_minutes": round(objective.travel_time / 60),
            "seconds": round(seconds, 1), "checked": solution.feasible,
            "violations": list(solution.violations[:5])}


class Command(BaseCommand):
    help = "Plan synthetic days (e.g. a district: 60 stops, 6 volunteers; a city: 1000, 60)."

    def add_arguments(self, parser):
        parser.add_argument("--stops", type=int, nargs="+", default=[60, 1000])
        parser.add_argument("--volunteers", type=int, nargs="+", default=[6, 60])
        parser.add_argument("--time-limit", type=float, nargs="+", default=[3.0, 90.0],
                            help="Seconds for each day, from the request to the routes "
                                 "written (the peers get them for their search alone).")
        parser.add_argument("--peers", default="none",
                            help="Also solve each day with these: vroom,ortools (or none).")
        parser.add_argument("--same-stops", action="store_true",
                            help="Also plan, with our solver and the same limit, exactly the "
                                 "stops each peer served, and compare the travel of the two "
                                 "plans of the same stops (more stops served can mean longer "
                                 "routes; this separates the two).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", default=None, help="Write the figures to this file.")

    def handle(self, *args, **options):
        peers = [p for p in options["peers"].split(",") if p and p != "none"]
        unknown = sorted(set(peers) - set(daypeers.DAY_PEERS))
        if unknown:
            raise CommandError(f"Unknown peers: {', '.join(unknown)} "
                               f"(known: {', '.join(sorted(daypeers.DAY_PEERS))}).")
        absent = daypeers.missing(peers)
        if absent:
            raise CommandError(f"Not installed: {', '.join(absent)} (requirements/dev.txt).")
        results = []
        day = datetime.date.today() + datetime.timedelta(days=30)
        for stops, volunteers, limit in zip(options["stops"], options["volunteers"],
                                            options["time_limit"], strict=True):
            try:
                with transaction.atomic():
                    results.append(self.one_day(stops, volunteers, limit, day, peers,
                                                options["seed"], options["same_stops"]))
                    raise Rollback
            except Rollback:
                pass
        if options["json"]:
            with open(options["json"], "w", encoding="utf-8") as handle:
                json.dump(results, handle, indent=2)

    def one_day(self, stops: int, volunteers: int, limit: float, day, peers, seed,
                same_stops: bool = False) -> dict:
        branch = make_day(stops=stops, volunteers=volunteers, day=day, seed=seed)
        plan = services.plan_get_or_create(branch=branch, date=day)
        started = time.monotonic()
        figures = services.plan_solve(plan=plan, time_limit=limit)
        seconds = time.monotonic() - started
        reasons: dict[str, int] = {}
        for reason in Stop.objects.filter(plan=plan, route=None).values_list(
                "unserved_reason", flat=True):
            reasons[reason or "none"] = reasons.get(reason or "none", 0) + 1
        problem = build_problem(plan).problem
        ours = daypeers.to_solution(problem, written_assignment(plan), seconds)
        timing = figures.get("timing", {})
        rows = [{**row_of("ours", ours, seconds), "unserved_reasons": reasons,
                 "request_to_written": round(seconds, 2), "timing": timing}]
        for name in peers:
            solution = daypeers.DAY_PEERS[name](problem, limit)
            rows.append(row_of(name, solution, solution.seconds))
            if same_stops:
                rows[-1]["same_stops"] = self.same_stops(problem, solution, limit)
        self.stdout.write(
            f"\n{stops} stops, {volunteers} volunteers, limit {limit:g} s "
            f"(ours: {seconds:.1f} s from the request to the routes written; problem built in "
            f"{timing.get('before_solver', 0):.1f} s, solver budget "
            f"{timing.get('solver_budget', 0):.1f} s, written at "
            f"{timing.get('written', 0):.1f} s){' — LATE' if seconds > limit else ''}")
        self.stdout.write(f"{'solver':<8} {'served':>6} {'volunteers':>10} {'travel km':>9} "
                          f"{'travel min':>10} {'seconds':>7}  checked")
        for row in rows:
            self.stdout.write(
                f"{row['solver']:<8} {row['served']:>6} {row['volunteers_used']:>10} "
                f"{row['travel_km']:>9} {row['travel_minutes']:>10} {row['seconds']:>7}  "
                f"{'yes' if row['checked'] else 'NO: ' + '; '.join(row['violations'])}")
        mine = rows[0]
        for row in rows[1:]:
            self.stdout.write(
                f"ours vs {row['solver']}: {mine['served'] - row['served']:+d} stops served, "
                f"{mine['volunteers_used'] - row['volunteers_used']:+d} volunteers, "
                f"{mine['travel_km'] - row['travel_km']:+.1f} km")
            same = row.get("same_stops")
            if same:
                self.stdout.write(
                    f"  the {same['stops']} stops {row['solver']} served, planned by ours "
                    f"({same['served']} served, {same['volunteers_used']} volunteers"
                    f"{', checked' if same['checked'] else ', NOT CHECKED'}): "
                    f"{same['travel_minutes']} travel min against {row['travel_minutes']} "
                    f"({same['travel_minutes'] - row['travel_minutes']:+d})")
        return {"stops": stops, "volunteers": volunteers, "time_limit": limit,
                "seconds": round(seconds, 1), "served": figures["served"],
                "unserved": figures["unserved"], "unserved_reasons": reasons,
                "volunteers_used": figures["volunteers"],
                "travel_minutes": figures["travel_minutes"], "feasible": figures["feasible"],
                "solvers": rows}

    @staticmethod
    def same_stops(problem, peer, limit: float) -> dict:
        """Our solver on exactly the stops `peer` served, with the same search limit."""
        served = {visit.stop_id for route in peer.routes for visit in route.visits}
        subset = dataclasses.replace(
            problem, stops=[s for s in problem.stops if s.id in served])
        solution = solve(subset, time_limit=limit)
        return {**row_of("ours", solution, limit), "stops": len(served)}
