"""`manage.py bench_scale`: the desk's phone lookup and name search at national scale.

On PostgreSQL the command makes its own database (the one DATABASE_URL names, which must
start with kniga_bench_scale), fills it with `generate_national` (500,000 readers and
10,000,000 loans by default), times the lookups through the code the desk runs
(`orders.desk.desk_lookup` for a number, `readers.selectors.reader_list` for what is typed in
the search box, cut to the desk's 20 matches), prints p50/p95/max per kind, EXPLAINs the
slowest query of each kind, times the year's report (the figures the generator stored, as the
nightly job would have), writes the figures to bench-results/scale.md and scale.json, and
drops the database (unless --keep). Not a test: the figures are for people to read.
"""
from __future__ import annotations

import json
import random
import re
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.demo.city.national import NationalScale

GOAL_MS = 100
REPORT_GOAL_MS = 2000
REPORT_RUNS = 3


def phone_forms(e164: str) -> list[tuple[str, str]]:
    """A mobile number as callers say it (8 701 123 45 67, +7 (701) 123-45-67, the last 7
    digits) and as an operator may type it (87011234567: also a card number's ending)."""
    code, rest = e164[2:5], e164[5:]
    return [("8 XXX XXX XX XX", f"8 {code} {rest[:3]} {rest[3:5]} {rest[5:]}"),
            ("+7 (XXX) XXX-XX-XX", f"+7 ({code}) {rest[:3]}-{rest[3:5]}-{rest[5:]}"),
            ("last 7 digits", f"{rest[:3]} {rest[3:5]} {rest[5:]}"),
            ("digits typed together", f"8{code}{rest}")]


RU_TO_KK_TYPED = str.maketrans("әғқңөұүһі", "агкноуухи")


def name_forms(last: str, first: str) -> list[tuple[str, str]]:
    """What an operator types for a name: the surname, surname and first name, the first
    letters of the surname, and the surname on a Russian keyboard (Kazakh letters lost)."""
    return [("surname", last), ("surname and first name", f"{last} {first}"),
            ("first 5 letters", last[:5]), ("first name and 4 letters", f"{first} {last[:4]}"),
            ("typed without Kazakh letters", last.lower().translate(RU_TO_KK_TYPED))]


class Command(BaseCommand):
    help = ("Time the desk's phone lookup and name search on a national-scale database "
            "(PostgreSQL: a database of its own, made and dropped here).")

    def add_arguments(self, parser):
        parser.add_argument("--readers", type=int, default=500_000)
        parser.add_argument("--loans", type=int, default=10_000_000)
        parser.add_argument("--runs", type=int, default=100,
                            help="Lookups timed per kind (default 100).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--base-readers", type=int, default=NationalScale.base_readers,
                            help="Readers of the generated city underneath (seed_city).")
        parser.add_argument("--base-loans", type=int, default=NationalScale.base_loans)
        parser.add_argument("--keep", action="store_true",
                            help="Keep the database afterwards (for --reuse).")
        parser.add_argument("--in-place", action="store_true",
                            help="Fill and time the database as it is, already migrated (a "
                                 "test's own); it is neither made nor dropped.")
        parser.add_argument("--reuse", action="store_true",
                            help="Time the database of an earlier --keep run; generate nothing.")
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "bench-results"),
                            help="Folder for scale.md and scale.json.")

    def handle(self, *args, **options):
        from backend.demo.city.national import generate_national

        postgres = connection.vendor == "postgresql"
        name = connection.settings_dict["NAME"]
        own_database = postgres and not options["in_place"]
        if own_database and not re.fullmatch(r"kniga_bench_scale[a-z0-9_]*", name or ""):
            raise CommandError("DATABASE_URL must name a database starting with "
                               "kniga_bench_scale: the benchmark drops and makes it.")
        scale = NationalScale(readers=options["readers"], loans=options["loans"],
                              seed=options["seed"], base_readers=options["base_readers"],
                              base_loans=options["base_loans"])
        if min(scale.readers, scale.loans, scale.base_readers) < 1:
            raise CommandError("Readers, loans and base readers must be at least 1.")
        started = time.monotonic()
        if not options["reuse"]:
            if own_database:
                self._recreate(name)
                call_command("migrate", verbosity=0, interactive=False)
            self.stdout.write(f"Generating {scale.readers} readers and {scale.loans} loans "
                              f"on {connection.vendor}:")
            counts = generate_national(scale, out=self.stdout.write,
                                       set_aside_indexes=not options["in_place"])
            self.stdout.write(f"Generated {sum(counts.values())} rows in "
                              f"{time.monotonic() - started:.0f} s.")
        else:
            self._store_report_figures()
        try:
            figures = self._measure(options["runs"], random.Random(options["seed"]))
        finally:
            if own_database and not options["keep"]:
                self._drop(name)
        figures["scale"] = {"readers": scale.readers, "loans": scale.loans,
                            "database": connection.vendor,
                            "generated_seconds": None if options["reuse"] else
                            round(time.monotonic() - started - figures["measured_seconds"])}
        self._write(figures, Path(options["out"]))

    def _store_report_figures(self) -> None:
        """A database of an earlier run may predate the stored figures: count them now, as
        the nightly job would have, so the report is timed as the page runs it."""
        from backend.reports.models import PeriodFigures
        from backend.reports.services import report_figures_refresh

        if PeriodFigures.objects.exists():
            return
        self.stdout.write("No report figures stored yet: counting them as the nightly job "
                          "does (refresh_report_figures)…")
        begun = time.monotonic()
        rows = report_figures_refresh()
        self.stdout.write(f"Stored {len(rows)} periods in {time.monotonic() - begun:.0f} s.")

    # The database ------------------------------------------------------------------------

    def _admin(self, *statements: str) -> None:
        import psycopg

        given = connection.settings_dict
        params = {key: given[name] for key, name in (("user", "USER"), ("password", "PASSWORD"),
                                                      ("host", "HOST"), ("port", "PORT"))
                  if given.get(name)}
        connection.close()
        try:
            admin = psycopg.connect(dbname="postgres", **params, autocommit=True)
        except psycopg.OperationalError as exc:
            raise CommandError(
                f"PostgreSQL does not answer ({exc}). The benchmark needs one: start it at "
                "127.0.0.1:5432, or give its address (make bench-scale SCALE_POSTGRES="
                "postgres://user@host:port).") from exc
        with admin:
            for sql in statements:
                admin.execute(sql)

    def _recreate(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')

    def _drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # The lookups -------------------------------------------------------------------------

    def _cases(self, runs: int, rng: random.Random) -> dict[str, list[str]]:
        from backend.readers.models import Reader, ReaderPhone

        top = Reader.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        picks = [rng.randint(1, top) for _ in range(runs * 3)]
        phones = list(ReaderPhone.objects.filter(reader_id__in=picks, kind="mobile")
                      .values_list("number", flat=True)[:runs])
        names = list(Reader.objects.filter(pk__in=picks, anonymized_at__isnull=True)
                     .values_list("last_name", "first_name")[:runs])
        if not phones or not names:
            raise CommandError("The database has no readers with phones: nothing to time.")
        cases: dict[str, list[str]] = {"phone lookup": [], "name search": [],
                                       "phone in the search box": []}
        for number in phones:
            for _, text in phone_forms(str(number)):
                cases["phone lookup"].append(text)
        for _, text in phone_forms(str(phones[0])):
            cases["phone in the search box"].append(text)
        for number in phones[1:]:
            cases["phone in the search box"].append(rng.choice(phone_forms(str(number)))[1])
        for last, first in names:
            cases["name search"].extend(text for _, text in name_forms(last, first))
        for kind in cases:
            rng.shuffle(cases[kind])
            cases[kind] = cases[kind][:runs]
        return cases

    def _measure(self, runs: int, rng: random.Random) -> dict:
        from backend.orders.desk import desk_lookup
        from backend.orders.views import MAX_MATCHES
        from backend.readers.selectors import reader_list

        def lookup(text: str) -> int:
            return len(desk_lookup(text)["matches"])

        def search(text: str) -> int:
            return len(list(reader_list(filters={"q": text})[:MAX_MATCHES]))

        run = {"phone lookup": lookup, "name search": search, "phone in the search box": search}
        begun = time.monotonic()
        cases = self._cases(runs, rng)
        for kind, texts in cases.items():  # warm the caches once, as a running server has
            for text in texts[:5]:
                run[kind](text)
        result: dict = {"kinds": {}, "goal_ms": GOAL_MS}
        self.stdout.write(f"\n{'kind':<26}{'runs':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
                          f"{'found':>8}")
        for kind, texts in cases.items():
            timings = []
            found = 0
            for text in texts:
                start = time.perf_counter()
                found += bool(run[kind](text))
                timings.append(((time.perf_counter() - start) * 1000, text))
            ms = sorted(t for t, _ in timings)
            p95 = ms[min(len(ms) - 1, int(round(0.95 * len(ms))) - 1)]
            slowest = max(timings)[1]
            result["kinds"][kind] = {"runs": len(ms), "p50_ms": round(statistics.median(ms), 1),
                                     "p95_ms": round(p95, 1), "max_ms": round(ms[-1], 1),
                                     "found": found, "slowest": slowest,
                                     "plan": self._explain(run[kind], slowest)}
            row = result["kinds"][kind]
            self.stdout.write(f"{kind:<26}{row['runs']:>6}{row['p50_ms']:>9}{row['p95_ms']:>9}"
                              f"{row['max_ms']:>9}{found:>8}")
        for kind, row in result["kinds"].items():
            self.stdout.write(f"\nThe slowest {kind}: {row['slowest']!r}; its slowest query:")
            self.stdout.write(row["plan"])
        result["reports"] = self._measure_reports()
        result["measured_seconds"] = round(time.monotonic() - begun)
        return result

    def _measure_reports(self) -> dict:
        """The year's report (reports.figures.summary, as the report page and its API make
        it): of the branch with the most readers, and of the whole system; `stored` says how
        many of its two periods came from the nightly figures."""
        from django.db.models import Count

        from backend.branches.models import Branch
        from backend.reports.figures import default_period, summary

        year, _ = default_period("year")
        branch = (Branch.objects.annotate(n=Count("readers")).order_by("-n", "pk").first())
        reports = {}
        self.stdout.write(f"\n{'year ' + str(year) + ' report':<26}{'runs':>6}{'p50 ms':>9}"
                          f"{'max ms':>9}{'queries':>9}{'stored':>8}")
        for label, of in ((f"branch ({branch.name})", branch), ("whole system", None)):
            summary(of, "year", year)  # warm, as the page's first visitor does
            timings = []
            for _ in range(REPORT_RUNS):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    data = summary(of, "year", year)
                    timings.append((time.perf_counter() - start) * 1000)
            slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
            reports[label] = {"runs": REPORT_RUNS, "p50_ms": round(statistics.median(timings)),
                              "max_ms": round(max(timings)),
                              "queries": len(queries.captured_queries),
                              "stored": sum(s["stored"] for s in data["sources"].values()),
                              "slowest_query_ms": round(float(slowest["time"]) * 1000),
                              "slowest_query": slowest["sql"][:600]}
            row = reports[label]
            self.stdout.write(f"{label[:26]:<26}{row['runs']:>6}{row['p50_ms']:>9}"
                              f"{row['max_ms']:>9}{row['queries']:>9}{row['stored']:>6}/2")
        return {"year": year, "goal_ms": REPORT_GOAL_MS, "of": reports}

    def _explain(self, call, text: str) -> str:
        """The plan of the slowest query the call makes for `text`."""
        with CaptureQueriesContext(connection) as queries:
            call(text)
        timed = []
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                if connection.vendor == "postgresql":
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    total = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
                else:
                    start = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    total = (time.perf_counter() - start) * 1000
                    cursor.execute("EXPLAIN QUERY PLAN " + sql)
                    plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
                timed.append((total, sql, plan))
        if not timed:
            return "(no query)"
        total, sql, plan = max(timed)
        return f"{sql[:600]}\n{plan}"

    def _write(self, figures: dict, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "scale.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
        scale = figures["scale"]
        lines = [f"# National scale: {scale['readers']:,} readers, {scale['loans']:,} loans "
                 f"({scale['database']})", "",
                 "| kind | runs | p50 ms | p95 ms | max ms | found |", "|---|---|---|---|---|---|"]
        for kind, row in figures["kinds"].items():
            lines.append(f"| {kind} | {row['runs']} | {row['p50_ms']} | {row['p95_ms']} | "
                         f"{row['max_ms']} | {row['found']} |")
        for kind, row in figures["kinds"].items():
            lines += ["", f"## The slowest {kind}: `{row['slowest']}`", "", "```", row["plan"],
                      "```"]
        reports = figures["reports"]
        lines += ["", f"## The year's report ({reports['year']})", "",
                  "| of | runs | p50 ms | max ms | queries | slowest query ms | periods stored |",
                  "|---|---|---|---|---|---|---|"]
        for label, row in reports["of"].items():
            lines.append(f"| {label} | {row['runs']} | {row['p50_ms']} | {row['max_ms']} | "
                         f"{row['queries']} | {row['slowest_query_ms']} | {row['stored']}/2 |")
        for label, row in reports["of"].items():
            lines += ["", f"Slowest query of the report of {label}:", "", "```",
                      row["slowest_query"], "```"]
        (out / "scale.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        missed = [k for k, row in figures["kinds"].items() if row["p95_ms"] >= GOAL_MS]
        missed += [f"the year's report of {label} (goal {REPORT_GOAL_MS} ms)"
                   for label, row in reports["of"].items() if row["max_ms"] >= REPORT_GOAL_MS]
        self.stdout.write(f"\nWritten to {out / 'scale.md'} and scale.json. "
                          + (f"Over {GOAL_MS} ms at p95: {', '.join(missed)}." if missed
                             else f"Every kind under {GOAL_MS} ms at p95."))
