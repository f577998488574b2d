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
