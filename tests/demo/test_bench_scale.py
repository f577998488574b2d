"""`manage.py bench_scale` at a small size on the test database: the national generator
writes what it says, rows the product reads as its own, and the benchmark prints and writes
its figures. No timing is asserted: the figures are for people (README, "National scale")."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F

from backend.branches.models import Branch
from backend.catalog.models import Item
from backend.circulation.models import Loan
from backend.demo.city.national import NationalScale
from backend.readers.models import Reader, ReaderPhone
from backend.readers.selectors import reader_list, readers_by_phone
from backend.readers.services import reader_search_text
from backend.reports.models import PeriodFigures

SMALL = NationalScale(readers=2000, loans=20_000, base_readers=400, base_loans=3000)


@pytest.fixture(scope="module")
def bench(django_db_setup, django_db_blocker, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("scale")
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("bench_scale", "--in-place", "--readers", str(SMALL.readers), "--loans",
                     str(SMALL.loans), "--base-readers", str(SMALL.base_readers),
                     "--base-loans", str(SMALL.base_loans), "--runs", "12",
                     "--out", str(out_dir), stdout=out)
        yield out.getvalue(), out_dir
        transaction.set_rollback(True)


@pytest.fixture
def national(bench, db):
    return bench


def test_the_counts_match_the_scale(national):
    assert Reader.objects.count() == SMALL.base_readers + SMALL.readers
    assert Loan.objects.count() == SMALL.base_loans + SMALL.loans
    national_loans = Loan.objects.filter(item__barcode__startswith="NAT-")
    assert national_loans.count() == SMALL.loans
    assert national_loans.filter(status="active").count() == SMALL.active_loans == 800
    assert Item.objects.filter(barcode__startswith="NAT-", status="on_loan").count() == 800


def test_every_row_points_at_a_row_and_reads_as_the_products_own(national):
    connection.check_constraints()
    assert not Loan.objects.exclude(item__title=F("title")).exists()
    assert not Loan.objects.exclude(branch=F("reader__branch")).exists()
    assert not Loan.objects.filter(status="returned", returned_at__isnull=True).exists()
    assert not Loan.objects.filter(status="active").values("item").annotate(
        n=Count("id")).filter(n__gt=1).exists()
    for reader in Reader.objects.order_by("-pk")[:50]:
        assert reader.search_text == reader_search_text(reader)
    # Every new card has a mobile, and is found by it.
    newest = Reader.objects.order_by("-pk")[:SMALL.readers]
    assert ReaderPhone.objects.filter(reader__in=newest, kind="mobile").count() == SMALL.readers
    phone = ReaderPhone.objects.filter(kind="mobile").order_by("-pk").first()
    assert list(readers_by_phone(str(phone.number))) == [phone.reader]


def test_kazakh_and_russian_names_in_the_citys_mix(national):
    newest = Reader.objects.order_by("-pk")[:SMALL.readers]
    kazakh = sum(1 for r in newest if r.language == "kk")
    assert 0.35 * SMALL.readers < kazakh < 0.55 * SMALL.readers
    some_kazakh = Reader.objects.filter(language="kk").order_by("-pk").first()
    assert some_kazakh in reader_list(filters={"q": some_kazakh.last_name})


def test_the_benchmark_prints_and_writes_its_figures(national):
    output, out_dir = national
    for kind in ("phone lookup", "name search", "phone in the search box"):
        assert kind in output
    assert "p50 ms" in output and "p95 ms" in output
    figures = json.loads((out_dir / "scale.json").read_text(encoding="utf-8"))
    assert figures["scale"]["readers"] == SMALL.readers
    assert figures["scale"]["loans"] == SMALL.loans
    kinds = figures["kinds"]
    assert kinds["phone lookup"]["runs"] == 12
    # Every number looked up is a reader's: each lookup found its caller.
    assert kinds["phone lookup"]["found"] == 12
    assert kinds["name search"]["found"] > 0
    for row in kinds.values():
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
        assert "SELECT" in row["plan"]
    table = (out_dir / "scale.md").read_text(encoding="utf-8")
    assert "| phone lookup | 12 |" in table


def test_the_benchmark_times_the_years_report_of_a_branch_and_of_the_system(national):
    output, out_dir = national
    figures = json.loads((out_dir / "scale.json").read_text(encoding="utf-8"))
    reports = figures["reports"]
    assert reports["goal_ms"] == 2000
    assert set(reports["of"]) >= {"whole system"}
    assert any(label.startswith("branch (") for label in reports["of"])
    for row in reports["of"].values():
        assert row["runs"] == 3
        assert row["queries"] > 0
        assert row["p50_ms"] <= row["max_ms"]
        assert "SELECT" in row["slowest_query"]
    assert f"year {reports['year']} report" in output
    assert f"## The year's report ({reports['year']})" in (out_dir / "scale.md").read_text(
        encoding="utf-8")


def test_the_generator_stores_the_report_figures_and_the_report_reads_them(national):
    output, out_dir = national
    scopes = set(PeriodFigures.objects.values_list("scope", flat=True))
    assert scopes == {"all", *(f"branch:{pk}" for pk in Branch.objects.values_list("pk",
                                                                                    flat=True))}
    reports = json.loads((out_dir / "scale.json").read_text(encoding="utf-8"))["reports"]
    for row in reports["of"].values():
        assert row["stored"] == 2
        assert row["queries"] == 1
        assert "reports_periodfigures" in row["slowest_query"]
    assert "report figures" in output


def test_a_reused_database_without_stored_figures_counts_them_first(national, tmp_path):
    PeriodFigures.objects.all().delete()
    out = StringIO()
    call_command("bench_scale", "--reuse", "--in-place", "--runs", "3", "--out", str(tmp_path),
                 stdout=out)
    assert "No report figures stored yet" in out.getvalue()
    assert PeriodFigures.objects.filter(scope="all").exists()
    reports = json.loads((tmp_path / "scale.json").read_text(encoding="utf-8"))["reports"]
    assert all(row["stored"] == 2 for row in reports["of"].values())
