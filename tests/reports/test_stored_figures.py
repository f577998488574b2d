"""The nightly figures: stored figures equal the live count, the report reads them when they
are right (a closed period counted after its end, an open one counted today) and counts live
otherwise, the job and the command store the right periods, and the page and the API say
when an open period's figures were counted."""
import datetime
import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.branches.models import Branch
from backend.reports.figures import (
    Period,
    default_period,
    local_zone,
    period_figures,
    summary,
)
from backend.reports.models import PeriodFigures
from backend.reports.services import (
    period_figures_store,
    periods_to_refresh,
    report_figures_refresh,
)
from backend.reports.tasks import refresh_figures_task
from tests.factories import ReaderFactory, UserFactory
from tests.reports.test_figures import history, loan  # noqa: F401 (fixture)

OCTOBER = Period.of("month", 2026, 10)
SEPTEMBER = Period.of("month", 2026, 9)


def rows_of(data):
    return {row["key"]: row for row in data["rows"]}


def loan_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "circulation_loan" in q["sql"]]


def this_month() -> Period:
    today = timezone.now().astimezone(local_zone()).date()
    return Period.of("month", today.year, today.month)


@pytest.mark.django_db
def test_stored_figures_equal_live_ones_for_the_demo_district():
    call_command("seed_demo", stdout=io.StringIO())
    branches = list(Branch.objects.all())
    assert branches
    stored = report_figures_refresh()
    # Each of month, quarter and year (this one and the two before), each branch and the
    # whole district.
    assert len(stored) == 9 * (len(branches) + 1)
    with_loans = set()
    for row in PeriodFigures.objects.select_related("branch"):
        assert row.figures == period_figures(row.branch, row.start, row.end), row
        if row.figures["items"]["delivered"]:
            start, end = row.start.astimezone(local_zone()), row.end.astimezone(local_zone())
            with_loans.add((end.year - start.year) * 12 + end.month - start.month)
    last_month = Period.of("month", *default_period("month"))
    row = PeriodFigures.objects.get(scope="all", start=last_month.start, end=last_month.end)
    assert row.figures["items"]["delivered"] > 0, "the demo should have loans last month"
    assert with_loans == {1, 3, 12}, "a month, a quarter and a year with loans"


def test_a_closed_period_is_read_from_the_store(history):  # noqa: F811
    b = history["b"]
    live = summary(b, "month", 2026, 10, live=True)
    for period in (OCTOBER, SEPTEMBER):
        period_figures_store(b, period.start, period.end)
    # A late entry after the night's count: the stored report does not see it, live does.
    loan(ReaderFactory(branch=b), datetime.datetime(2026, 10, 20, 12, tzinfo=local_zone()))
    with CaptureQueriesContext(connection) as queries:
        stored = summary(b, "month", 2026, 10)
    assert loan_queries(queries) == []
    assert len(queries) == 1
    assert stored["rows"] == live["rows"]
    assert stored["sources"] == {"current": {"stored": True, "as_of": None},
                                 "previous": {"stored": True, "as_of": None}}
    recounted = summary(b, "month", 2026, 10, live=True)
    assert rows_of(recounted)["items.delivered"]["value"] == 4
    assert recounted["sources"]["current"]["stored"] is False


def test_only_the_stored_period_is_read_the_other_is_counted(history):  # noqa: F811
    b = history["b"]
    period_figures_store(b, SEPTEMBER.start, SEPTEMBER.end)
    data = summary(b, "month", 2026, 10)
    assert data["sources"]["current"]["stored"] is False
    assert data["sources"]["previous"]["stored"] is True
    assert rows_of(data) == rows_of(summary(b, "month", 2026, 10, live=True))


def test_the_whole_district_and_a_branch_are_stored_apart(history):  # noqa: F811
    period_figures_store(None, OCTOBER.start, OCTOBER.end)
    period_figures_store(history["b"], OCTOBER.start, OCTOBER.end)
    period_figures_store(None, OCTOBER.start, OCTOBER.end)  # again: replaced, not added
    assert PeriodFigures.objects.count() == 2
    whole = PeriodFigures.objects.get(scope="all")
    assert whole.branch is None
    assert whole.figures["items"]["delivered"] == 4
    assert PeriodFigures.objects.get(branch=history["b"]).figures["items"]["delivered"] == 3


def test_an_open_period_counted_today_is_read_and_says_as_of(history):  # noqa: F811
    b = history["b"]
    month = this_month()
    loan(ReaderFactory(branch=b), month.start + datetime.timedelta(hours=1))
    counted = timezone.now()
    for period in (month, month.previous()):
        period_figures_store(b, period.start, period.end, now=counted)
    with CaptureQueriesContext(connection) as queries:
        data = summary(b, "month", month.year, month.number)
    assert loan_queries(queries) == []
    assert data["sources"]["current"] == {"stored": True, "as_of": counted}
    assert data["sources"]["previous"] == {"stored": True, "as_of": None}
    assert rows_of(data)["items.delivered"]["value"] == 1


def test_an_open_period_counted_yesterday_is_counted_live(history):  # noqa: F811
    b = history["b"]
    month = this_month()
    loan(ReaderFactory(branch=b), month.start + datetime.timedelta(hours=1))
    period_figures_store(b, month.start, month.end,
                         now=timezone.now() - datetime.timedelta(days=1))
    PeriodFigures.objects.update(figures=period_figures(b, OCTOBER.start, OCTOBER.end))
    with CaptureQueriesContext(connection) as queries:
        data = summary(b, "month", month.year, month.number)
    assert loan_queries(queries)
    assert data["sources"]["current"] == {"stored": False, "as_of": None}
    assert rows_of(data)["items.delivered"]["value"] == 1


def test_a_row_counted_before_its_period_ended_is_not_used_once_it_has(history):  # noqa: F811
    b = history["b"]
    period_figures_store(b, OCTOBER.start, OCTOBER.end,
                         now=OCTOBER.end - datetime.timedelta(hours=2))
    PeriodFigures.objects.update(figures=period_figures(b, SEPTEMBER.start, SEPTEMBER.end))
    data = summary(b, "month", 2026, 10, now=OCTOBER.end + datetime.timedelta(hours=1))
    assert data["sources"]["current"]["stored"] is False
    assert rows_of(data)["items.delivered"]["value"] == 3


def test_the_periods_the_night_refreshes():
    def names(periods):
        return [(p.kind, p.year, p.number) for p in periods]

    # The open month is compared with November, the report's default (November) with October.
    assert names(periods_to_refresh(datetime.date(2026, 12, 6))) == [
        ("month", 2026, 10), ("month", 2026, 11), ("month", 2026, 12),
        ("quarter", 2026, 2), ("quarter", 2026, 3), ("quarter", 2026, 4),
        ("year", 2024, 1), ("year", 2025, 1), ("year", 2026, 1)]
    # On New Year's night the year just ended is counted, final, with the two before it.
    assert names(periods_to_refresh(datetime.date(2027, 1, 1))) == [
        ("month", 2026, 10), ("month", 2026, 11), ("month", 2026, 12),
        ("quarter", 2026, 2), ("quarter", 2026, 3), ("quarter", 2026, 4),
        ("year", 2024, 1), ("year", 2025, 1), ("year", 2026, 1)]
    assert names(periods_to_refresh(datetime.date(2026, 12, 6), datetime.date(2026, 2, 15))) == [
        ("month", 2026, 2), ("month", 2026, 3), ("month", 2026, 4), ("month", 2026, 5),
        ("month", 2026, 6), ("month", 2026, 7), ("month", 2026, 8), ("month", 2026, 9),
        ("month", 2026, 10), ("month", 2026, 11), ("month", 2026, 12),
        ("quarter", 2026, 1), ("quarter", 2026, 2), ("quarter", 2026, 3), ("quarter", 2026, 4),
        ("year", 2024, 1), ("year", 2025, 1), ("year", 2026, 1)]


def test_the_nightly_job_stores_every_branch_and_the_whole_district(history):  # noqa: F811
    rows = 9 * (Branch.objects.count() + 1)  # each branch and the whole district
    assert refresh_figures_task() == rows
    today = timezone.now().astimezone(local_zone()).date()
    wanted = {(p.start, p.end) for p in periods_to_refresh(today)}
    for scope in ("all", f"branch:{history['b'].pk}", f"branch:{history['o'].pk}"):
        assert {(r.start, r.end) for r in PeriodFigures.objects.filter(scope=scope)} == wanted
    assert refresh_figures_task() == rows
    assert PeriodFigures.objects.count() == rows
    # The report's default (the last complete period) and the one holding yesterday (still
    # open but on the first of a month): both of their periods are read from the store.
    yesterday = today - datetime.timedelta(days=1)
    for kind in ("month", "quarter", "year"):
        last = Period.of(kind, *default_period(kind))
        recent = Period.of(kind, yesterday.year, {
            "month": yesterday.month, "year": 1, "quarter": (yesterday.month - 1) // 3 + 1}[kind])
        for period in (last, recent):
            sources = summary(history["b"], kind, period.year, period.number)["sources"]
            assert sources["current"]["stored"] and sources["previous"]["stored"], (
                kind, period)
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(job["task"] == "reports.refresh_figures" for job in schedule.values())


def test_the_command_recounts_older_periods_since_a_date(history):  # noqa: F811
    out = io.StringIO()
    call_command("refresh_report_figures", "--since", "2026-09-01", stdout=out)
    assert "Stored the figures of" in out.getvalue()
    october = PeriodFigures.objects.get(scope=f"branch:{history['b'].pk}",
                                        start=OCTOBER.start, end=OCTOBER.end)
    assert october.figures["items"]["delivered"] == 3
    assert PeriodFigures.objects.filter(start=SEPTEMBER.start, end=SEPTEMBER.end).count() == (
        Branch.objects.count() + 1)
    # Stored after they ended, both months are read back whole.
    assert summary(history["b"], "month", 2026, 10)["sources"]["current"]["stored"] is True


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("refresh_report_figures", "--since", "1 Jan 2024")
    assert not PeriodFigures.objects.exists()


# The page and the API ------------------------------------------------------------------


@pytest.fixture
def counted_this_morning(history):  # noqa: F811
    b = history["b"]
    month = this_month()
    loan(ReaderFactory(branch=b), month.start + datetime.timedelta(hours=1))
    counted = timezone.now().replace(microsecond=0)
    for period in (month, month.previous()):
        period_figures_store(b, period.start, period.end, now=counted)
    return {"branch": b, "month": month, "counted": counted}


def page(language: str, query: dict) -> str:
    client = Client()
    client.force_login(UserFactory(role="librarian"))
    client.cookies["django_language"] = language
    return client.get("/reports/", query).content.decode()


@pytest.mark.urls("tests.reports.urls_report_pages")
def test_the_page_says_as_of_when_an_open_period_is_stored(counted_this_morning):
    month, b = counted_this_morning["month"], counted_this_morning["branch"]
    query = {"period": "month", "year": month.year, "month": month.number, "branch": b.pk}
    hhmm = counted_this_morning["counted"].astimezone(local_zone()).strftime("%H:%M")
    day = counted_this_morning["counted"].astimezone(local_zone()).day
    ru = page("ru", query)
    assert f"Данные на {day} " in ru and f", {hhmm}" in ru
    assert "Пересчитать сейчас" in ru
    kk = page("kk", query)
    assert f"{hhmm} бойынша деректер" in kk
    assert "Қазір қайта есептеу" in kk
    assert "figures-as-of" not in page("ru", {**query, "live": "1"})
    closed = {**query, "year": 2026, "month": 10}
    assert "figures-as-of" not in page("ru", closed)


def test_the_api_gives_as_of_and_counts_live_on_request(api, counted_this_morning):
    month, b = counted_this_morning["month"], counted_this_morning["branch"]
    query = {"period": "month", "year": month.year, "number": month.number, "branch": b.pk}
    body = api.as_role("librarian").get("/api/v1/reports/summary/", query).json()
    assert body["sources"]["current"]["stored"] is True
    assert datetime.datetime.fromisoformat(body["sources"]["current"]["as_of"]) == (
        counted_this_morning["counted"])
    assert body["sources"]["previous"] == {"stored": True, "as_of": None}
    live = api.as_role("librarian").get("/api/v1/reports/summary/", {**query, "live": 1})
    assert live.json()["sources"]["current"] == {"stored": False, "as_of": None}
    assert live.json()["figures"] == body["figures"]


def test_the_csv_of_an_open_period_says_as_of_in_its_head(api, counted_this_morning):
    month, b = counted_this_morning["month"], counted_this_morning["branch"]
    query = {"period": "month", "year": month.year, "number": month.number, "branch": b.pk}
    client = api.as_role("librarian")
    head = client.get("/api/v1/reports/summary.csv", query).content.decode("utf-8-sig")
    head = head.splitlines()[0]
    hhmm = counted_this_morning["counted"].astimezone(local_zone()).strftime("%H:%M")
    assert " — Данные на " in head and f", {hhmm})" in head
    live = client.get("/api/v1/reports/summary.csv", {**query, "live": 1})
    assert "Данные на" not in live.content.decode("utf-8-sig").splitlines()[0]
