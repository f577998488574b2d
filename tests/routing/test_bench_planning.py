"""bench_planning: a small synthetic day through the product's path and, side by side, the same
day given to vroom and OR-Tools, every plan checked before it is counted."""
import json

import pytest
from django.core.management import CommandError, call_command

from backend.routing.models import DayPlan
from backend.routing.solver.daypeers import missing


@pytest.mark.django_db
def test_a_small_day_side_by_side(tmp_path, capsys):
    absent = missing(["vroom", "ortools"])
    if absent:
        pytest.skip(f"not installed: {', '.join(absent)} (requirements/dev.txt)")
    out = tmp_path / "planning.json"
    call_command("bench_planning", "--stops", "12", "--volunteers", "2", "--time-limit", "3",
                 "--peers", "vroom,ortools", "--json", str(out))
    printed = capsys.readouterr().out
    [day] = json.loads(out.read_text())
    solvers = {row["solver"]: row for row in day["solvers"]}
    assert set(solvers) == {"ours", "vroom", "ortools"}
    for row in solvers.values():
        assert row["checked"], row["violations"]
        assert 0 < row["served"] <= 12
        assert row["served"] + row["unserved"] == 12
        assert 1 <= row["volunteers_used"] <= 2
    ours = solvers["ours"]
    assert ours["served"] == day["served"]  # the routes as written are the plan's figures
    assert ours["timing"]["solver_budget"] < 3 - ours["timing"]["write_reserve"]
    assert "ours vs vroom" in printed and "ours vs ortools" in printed
    assert not DayPlan.objects.exists()  # the synthetic day is rolled back


def test_an_unknown_peer_is_refused():
    with pytest.raises(CommandError, match="Unknown peers: gurobi"):
        call_command("bench_planning", "--stops", "5", "--volunteers", "1", "--time-limit",
                     "1", "--peers", "vroom,gurobi")


@pytest.mark.django_db
def test_the_stops_a_peer_served_are_planned_by_ours_for_the_travel_alone(tmp_path, capsys):
    absent = missing(["vroom"])
    if absent:
        pytest.skip(f"not installed: {', '.join(absent)} (requirements/dev.txt)")
    out = tmp_path / "planning.json"
    call_command("bench_planning", "--stops", "12", "--volunteers", "2", "--time-limit", "2",
                 "--peers", "vroom", "--same-stops", "--json", str(out))
    printed = capsys.readouterr().out
    [day] = json.loads(out.read_text())
    vroom = next(row for row in day["solvers"] if row["solver"] == "vroom")
    same = vroom["same_stops"]
    assert same["stops"] == vroom["served"]
    assert same["checked"], same["violations"]
    # What vroom could serve, ours serves too, and its travel is measured on those stops alone.
    assert same["served"] == same["stops"]
    assert same["travel_minutes"] > 0
    assert f"the {same['stops']} stops vroom served, planned by ours" in printed
