"""manage.py bench_import [--rows 10000] [--format csv|xlsx] [--concurrent-writes] [--keep]

Generates a reader list, imports it for real and prints seconds, rows per second and how
long the import's write transaction held the database (every other writer waits that long
at most). With --concurrent-writes another thread edits a reader card, one transaction
after another, for as long as the import runs, and the slowest edit is printed too.
The imported cards are deleted afterwards unless --keep is given. Use a throwaway database.
"""
import csv
import io
import random
import threading
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from backend.branches.models import Branch
from backend.core.tabular import csv_row, xlsx_row
from backend.readers.imports import columns, import_readers
from backend.readers.models import Reader
from backend.readers.services import reader_create, reader_update

LAST = ["Ахметова", "Иванова", "Сейтқалиев", "Нұрланова", "Петров", "Жұмабаев", "Ким"]
FIRST = ["Әлия", "Мария", "Қайрат", "Гүлнар", "Иван", "Ұлжан", "Сергей"]
MOBILE = ["701", "702", "705", "707", "747", "777"]
CATEGORIES = ["elderly", "disability_1", "disability_2", "disability_3", "veteran",
              "Инвалидность II группы", "Пожилой"]


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


class _CardEdits(threading.Thread):
    """A librarian at a card: one edit after another, each in its own transaction."""

    def __init__(self, reader: Reader) -> None:
        super().__init__(daemon=True)
        self.reader = reader
        self.stop = threading.Event()
        self.count = 0
        self.slowest = 0.0
        self.failures: list[str] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        reader_update(reader=self.reader,
                                      data={"access_notes": f"edit {self.count}"})
                except Exception as exc:  # noqa: BLE001 - counted and printed
                    self.failures.append(repr(exc))
                else:
                    self.count += 1
                self.slowest = max(self.slowest, time.perf_counter() - started)
                time.sleep(0.01)
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Benchmark the reader import: N generated rows, imported for real, then deleted."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--concurrent-writes", action="store_true",
                            help="Edit a card in another thread while the import runs.")
        parser.add_argument("--keep", action="store_true",
                            help="Keep the imported cards instead of deleting them.")

    def handle(self, *args, **options):
        count, kind = options["rows"], options["format"]
        rows = bench_rows(count, "BNCH")
        content = rows_csv(rows) if kind == "csv" else rows_xlsx(rows)
        marks: dict[str, float] = {}

        def progress(phase: str, done: int, total: int) -> None:
            marks.setdefault(f"{phase}_first", time.perf_counter())
            marks[phase] = time.perf_counter()

        branch, _ = Branch.objects.get_or_create(
            code="BNCH", defaults={"name": "Bench branch", "settlement": "Бишкуль"}
        )
        editor = None
        if options["concurrent_writes"]:
            editor = _CardEdits(reader_create(data={
                "branch": branch, "last_name": "Бенчмарк", "first_name": "Правка",
                "category": "elderly"}))
            editor.start()
        try:
            started = time.perf_counter()
            report = import_readers(content=content, filename=f"bench.{kind}",
                                    progress=progress)
            seconds = time.perf_counter() - started
        finally:
            if editor:
                editor.stop.set()
                editor.join()
            if not options["keep"]:
                Reader.objects.filter(branch=branch).delete()
        if not report.ok:
            for error in report.errors[:10]:
                self.stderr.write(str(error.as_dict()))
        validated = marks.get("validate", started) - started
        locked = marks.get("write", 0.0) - marks.get("write_first", 0.0)
        self.stdout.write(
            f"database: {connection.vendor}; file: {kind}, {len(content) / 1e6:.1f} MB; "
            f"rows: {report.total_rows}; created: {report.created}; "
            f"errors: {len(report.errors)}"
        )
        self.stdout.write(
            f"read+validate: {validated:.1f} s; duplicates+write: {seconds - validated:.1f} s; "
            f"total: {seconds:.1f} s; {report.total_rows / seconds:.0f} rows/s; "
            f"write transaction: {locked:.2f} s"
            f"{'' if options['keep'] else ' (deleted afterwards)'}"
        )
        if editor:
            self.stdout.write(
                f"concurrent card edits: {editor.count}, slowest {editor.slowest:.2f} s, "
                f"failed {len(editor.failures)}"
                + (f" (first: {editor.failures[0]})" if editor.failures else "")
            )
