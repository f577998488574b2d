"""loadtest/run.py's own logic: the guard on the database name, reading locust's figures,
the goals and the report. (The load itself runs in `make bench-load`.)"""
import csv
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
          "Average Response Time", "Min Response Time", "Max Response Time",
          "Average Content Size", "Requests/s", "Failures/s", "50%", "66%", "75%", "80%", "90%",
          "95%", "98%", "99%", "99.9%", "99.99%", "100%"]


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("loadtest_run", ROOT / "loadtest" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stats_row(kind, name, count, errors, p50, p95, p99):
    row = dict.fromkeys(HEADER, "0")
    row.update({"Type": kind, "Name": name, "Request Count": str(count),
                "Failure Count": str(errors), "Requests/s": f"{count / 120}",
                "50%": str(p50), "95%": str(p95), "99%": str(p99),
                "Average Response Time": "12.5", "Max Response Time": "310.2"})
    return row


def write_stats(folder: Path, rows, failures=()):
    with (folder / "locust_stats.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    with (folder / "locust_failures.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"])
        writer.writerows(failures)


def test_only_a_kniga_load_database_is_accepted(run):
    assert run.parse_args(["--db", "kniga_load_ci"]).db == "kniga_load_ci"
    for name in ("test", "postgres", "kniga", "kniga_load; DROP"):
        with pytest.raises(SystemExit):
            run.parse_args(["--db", name])


def test_figures_goals_and_report(run, tmp_path):
    write_stats(tmp_path, [
        stats_row("GET", "/api/mobile/v1/routes/{id}/", 1200, 0, 40, 90, 150),
        stats_row("GET", "/api/v1/desk/lookup/?phone=", 100, 0, 60, 130, 200),
        stats_row("POST", "/api/mobile/v1/stops/{id}/complete/", 400, 2, 80, 300, 500),
        stats_row("", "Aggregated", 1700, 2, 50, 200, 400),
    ], failures=[["POST", "/api/mobile/v1/stops/{id}/complete/", "409 loan.not_on_loan", "2",
                  "0", "0"]])
    stats = run.read_stats(tmp_path)
    assert stats["total"]["requests"] == 1700 and stats["total"]["errors"] == 2
    assert [e["name"] for e in stats["endpoints"]][0] == "/api/mobile/v1/routes/{id}/"
    assert stats["failures"] == [{"method": "POST", "name": "/api/mobile/v1/stops/{id}/complete/",
                                  "error": "409 loan.not_on_loan", "count": 2}]
    goals = run.goals(stats, errors_in_log=0)
    assert goals == {
        "no errors": False,
        "p95 < 100 ms: GET /api/mobile/v1/routes/{id}/": True,
        "p95 < 100 ms: GET /api/v1/desk/lookup/?phone=": False,
    }
    result = {
        "run": {"date": "2026-11-26", "duration_s": 150, "measured_s": 129, "cpus": 2,
                "workers": 5, "threads": 1,
                "users": {"volunteers": 200, "operators": 10, "coordinators": 1},
                "waits": {"volunteer": "10,30", "operator": "5,15", "coordinator": "30,60"},
                "solve_seconds": 5, "tasks": "Celery worker (nice 10) on Redis"},
        "seed": {"seconds": 100.0, "rows": {"readers.Reader": 20000, "circulation.Loan": 300000}},
        **stats, "server_errors": 0, "goals": goals,
        "cpu_seconds": {"app": 60.0, "worker": 5.0, "database": 20.0, "locust": 4.0,
                        "others": 10.0, "machine_busy": 99.0},
    }
    text = run.markdown(result)
    assert "| GET /api/mobile/v1/routes/{id}/ | 1,200 | 10.0 | 40 | 90 | 150 | 0 |" in text
    assert "- NOT MET: p95 < 100 ms: GET /api/v1/desk/lookup/?phone=" in text
    assert "2 × POST /api/mobile/v1/stops/{id}/complete/: 409 loan.not_on_loan" in text
    assert "20,000 readers" in text and "300,000 loans" in text
    assert "the last 129 s (every user started) measured" in text


def test_cpu_per_request_by_endpoint_between_two_snapshots(run):
    before = {"GET /api/mobile/v1/routes/<int:pk>/": {"requests": 10, "cpu_s": 0.1,
                                                      "queries": 60, "db_s": 0.02}}
    after = {"GET /api/mobile/v1/routes/<int:pk>/": {"requests": 110, "cpu_s": 1.1,
                                                     "queries": 660, "db_s": 0.32},
             "GET /api/v1/desk/lookup/": {"requests": 50, "cpu_s": 0.5, "queries": 200,
                                          "db_s": 0.1}}
    rows = {r["endpoint"]: r for r in run.meter_delta(before, after, database_cpu_s=0.8)}
    route = rows["GET /api/mobile/v1/routes/<int:pk>/"]
    assert route["requests"] == 100 and route["web_ms"] == 10.0
    assert route["queries_per_request"] == 6.0 and route["db_wait_ms"] == 3.0
    # PostgreSQL's 0.8 s shared out by waiting time: 0.3 of 0.4 s to the route.
    assert route["db_cpu_ms"] == 6.0 and route["total_ms"] == 16.0
    assert rows["GET /api/v1/desk/lookup/"]["db_cpu_ms"] == 4.0


def test_profile_summary_by_library_and_function(run, tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text(
        "run (/v/gunicorn/arbiter.py:1);get (/v/site-packages/django/db/models/query.py:9) 60\n"
        "run (/v/gunicorn/arbiter.py:1);"
        "to_representation (/v/site-packages/rest_framework/f.py:3) 30\n"
        "run (/v/gunicorn/arbiter.py:1);route_body (/k/mobile_api/selectors.py:120) 10\n",
        encoding="utf-8")
    summary = run.profile_summary(raw)
    assert summary["samples"] == 100
    assert summary["groups"] == [("Django ORM", 60.0), ("DRF (serializers, views)", 30.0),
                                 ("Kniga 03", 10.0)]
    assert summary["functions"][0] == ("get (/v/site-packages/django/db/models/query.py:9)", 60.0)
