"""manage.py bench_import [--rows 10000] [--format csv|xlsx] [--keep]

Generates a reader list, imports it for real and prints seconds and rows per second.
Everything is rolled back afterwards unless --keep is given. Use a throwaway database.
"""
import csv
import io
import random
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from backend.branches.models import Branch
from backend.core.tabular import csv_row, xlsx_row
from backend.readers.imports import columns, import_readers

LAST = ["Ахметова", "Иванова", "Сейтқалиев", "Нұрланова", "Петров", "Жұмабаев", "Ким"]
FIRST = ["Әлия", "Мария", "Қайрат", "Гүлнар", "Иван", "Ұлжан", "Сергей"]
MOBILE = ["701", "702", "705", "707", "747", "777"]
CATEGORIES = ["elderly", "disability_1", "disability_2", "disability_3", "veteran",
              "Инвалидность II группы", "Пожилой"]


class _Rollback(Exception):
    pass


def bench_rows(count: int, branch_code: str, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        rows.append({
            "branch": branch_code,
            "last_name": f"{rng.choice(LAST)}{n}",
            "first_name": rng.choice(FIRST),
            "patronymic": "Серікқызы",
            "birth_date": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}."
                          f"{rng.randint(1930, 1960)}",
            "category": rng.choice(CATEGORIES),
            "language": rng.choice(["kk", "ru", "Русский"]),
            "phone1": f"8 {rng.choice(MOBILE)} {n // 10000:03d} {n // 100 % 100:02d} "
                      f"{n % 100:02d}",
            "phone1_kind": "mobile",
            "phone2": f"8 7152 {n:06d}" if n % 3 == 0 else "",
            "phone2_kind": "home" if n % 3 == 0 else "",
            "settlement": rng.choice(["Бишкуль", "Соколовка", "Мамлютка"]),
            "street": "Абая",
            "house": str(rng.randint(1, 120)),
            "apartment": str(rng.randint(1, 90)),
            "floor": str(rng.randint(1, 9)),
            "elevator": rng.choice(["да", "нет", ""]),
            "lat": f"{54.7 + rng.random() / 10:.5f}",
            "lon": f"{69.0 + rng.random() / 10:.5f}",
            "preferred_subjects": "поэзия; история",
            "preferred_formats": "large_print; audio",
            "availability": "Tu 10:00-13:00; Th 14:00-17:00",
            "document_type": "disability_certificate",
            "document_number": f"МСЭ-{n}",
            "consent_date": "2026-01-15",
        })
    return rows


def rows_csv(rows: list[dict]) -> bytes:
    header = columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    for row in rows:
        writer.writerow(csv_row(row.get(c, "") for c in header))
    return buffer.getvalue().encode("utf-8")


def rows_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    header = columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("readers")
    sheet.append(header)
    for row in rows:
        sheet.append(xlsx_row(sheet, (row.get(c) or None for c in header)))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class Command(BaseCommand):
    help = "Benchmark the reader import: N generated rows, imported for real, then rolled back."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--keep", action="store_true",
                            help="Commit the imported cards instead of rolling back.")

    def handle(self, *args, **options):
        count, kind = options["rows"], options["format"]
        rows = bench_rows(count, "BNCH")
        content = rows_csv(rows) if kind == "csv" else rows_xlsx(rows)
        marks: dict[str, float] = {}

        def progress(phase: str, done: int, total: int) -> None:
            marks.setdefault(f"{phase}_first", time.perf_counter())
            marks[phase] = time.perf_counter()

        try:
            with transaction.atomic():
                Branch.objects.get_or_create(
                    code="BNCH", defaults={"name": "Bench branch", "settlement": "Бишкуль"}
                )
                started = time.perf_counter()
                report = import_readers(content=content, filename=f"bench.{kind}",
                                        progress=progress)
                seconds = time.perf_counter() - started
                if not options["keep"]:
                    raise _Rollback
        except _Rollback:
            pass
        if not report.ok:
            for error in report.errors[:10]:
                self.stderr.write(str(error.as_dict()))
        validated = marks.get("validate", started) - started
        self.stdout.write(
            f"database: {connection.vendor}; file: {kind}, {len(content) / 1e6:.1f} MB; "
            f"rows: {report.total_rows}; created: {report.created}; "
            f"errors: {len(report.errors)}"
        )
        self.stdout.write(
            f"read+validate: {validated:.1f} s; duplicates+write: {seconds - validated:.1f} s; "
            f"total: {seconds:.1f} s; {report.total_rows / seconds:.0f} rows/s"
            f"{'' if options['keep'] else ' (rolled back)'}"
        )
