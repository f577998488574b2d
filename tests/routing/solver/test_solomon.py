"""Solomon reader, independent checker and benchmark driver on small generated instances."""

from __future__ import annotations

import json
import random

import pytest

from backend.routing.solver import solve
from backend.routing.solver.bench import main, run
from backend.routing.solver.check import check
from backend.routing.solver.solomon import parse, read, to_problem


def solomon_text(seed: int, n: int = 12, vehicles: int = 5, capacity: int = 40) -> str:
    rng = random.Random(seed)
    rows = [(0, 50, 50, 0, 0, 400, 0)]
    for i in range(1, n + 1):
        x, y = rng.randint(0, 100), rng.randint(0, 100)
        ready = rng.randint(0, 200)
        rows.append((i, x, y, rng.randint(1, 15), ready, ready + rng.randint(60, 150), 10))
    lines = [
        f"GEN{seed}",
        "",
        "VEHICLE",
        "NUMBER     CAPACITY",
        f"  {vehicles}         {capacity}",
        "",
        "CUSTOMER",
        "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME",
        "",
    ]
    lines += ["  ".join(f"{v:>5}" for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def test_reader_round_trip_solve_and_check(tmp_path):
    path = tmp_path / "GEN1.txt"
    path.write_text(solomon_text(1))
    inst = read(path)
    assert inst.name == "GEN1"
    assert (inst.vehicles, inst.capacity, len(inst.customers)) == (5, 40, 13)
    assert inst.customers[0].number == 0
    problem = to_problem(inst)
    assert len(problem.stops) == 12 and len(problem.vehicles) == 5
    sol = solve(problem, time_limit=5, max_iterations=500)
    routes = [[int(s) for s in r.stop_ids] for r in sol.routes]
    verdict = check(inst, routes)
    assert verdict.feasible, verdict.errors
    assert sol.feasible
    assert verdict.vehicles == sol.objective.vehicles
    assert verdict.distance == pytest.approx(sol.objective.distance, abs=1e-6)
    assert sorted(c for r in routes for c in r) == list(range(1, 13))


def _feasible_routes(tmp_path):
    inst = parse(solomon_text(2), "GEN2")
    sol = solve(to_problem(inst), time_limit=5, max_iterations=500)
    routes = [[int(s) for s in r.stop_ids] for r in sol.routes]
    assert check(inst, routes).feasible
    return inst, routes


def test_checker_catches_broken_routes(tmp_path):
    inst, routes = _feasible_routes(tmp_path)
    # A customer missing.
    broken = [list(r) for r in routes]
    gone = broken[0].pop()
    verdict = check(inst, broken)
    assert not verdict.feasible
    assert f"customer {gone} not served" in verdict.errors
    # A customer twice.
    dup = [list(r) for r in routes] + [[routes[0][0]]]
    assert any("served 2 times" in e for e in check(inst, dup).errors)
    # Capacity: everything on one route.
    one = [[c for r in routes for c in r]]
    verdict = check(inst, one)
    assert not verdict.feasible
    assert any("capacity" in e for e in verdict.errors)
    # Time windows: reverse a route that has at least two customers with disjoint windows.
    by = {c.number: c for c in inst.customers}
    for k, r in enumerate(routes):
        if len(r) >= 2 and by[r[-1]].ready > by[r[0]].due:
            rev = [list(x) for x in routes]
            rev[k] = list(reversed(r))
            assert any("> due" in e for e in check(inst, rev).errors)
            break
    # An unknown customer and too many vehicles.
    assert any("unknown" in e for e in check(inst, routes + [[999]]).errors)
    singles = [[c] for r in routes for c in r]
    assert any("vehicles >" in e for e in check(inst, singles).errors)


def test_checker_length_is_recomputed():
    inst = parse(solomon_text(3, n=1, vehicles=1), "ONE")
    c = inst.customers[1]
    expected = 2 * ((c.x - 50) ** 2 + (c.y - 50) ** 2) ** 0.5
    verdict = check(inst, [[1]])
    assert verdict.distance == pytest.approx(expected)
    assert verdict.feasible == (max(c.ready, expected / 2) <= c.due)


def test_bench_runs_with_peers_and_writes_json(tmp_path):
    (tmp_path / "GEN4.txt").write_text(solomon_text(4))
    (tmp_path / "BKS.csv").write_text("instance,vehicles,distance,source\nGEN4,1,1.0,made up\n")
    (tmp_path / "README.txt").write_text("not an instance\n")
    out = tmp_path / "out.txt"
    with out.open("w") as fh:
        results = run(tmp_path, time_limit=0.5, json_out=tmp_path / "r.json", out=fh)
    text = out.read_text()
    assert "GEN4" in text and "vroom" in text and "ortools" in text
    assert len(results) == 1
    entries = json.loads((tmp_path / "r.json").read_text())
    assert [e["instance"] for e in entries] == ["GEN4"]
    inst = read(tmp_path / "GEN4.txt")
    assert check(inst, entries[0]["routes"]).feasible
    for peer in ("vroom", "ortools"):
        assert results[0][peer]["feasible"], results[0][peer]["errors"]
    assert main([str(tmp_path), "--time-limit", "0.3", "--peers", "none"]) == 0


def test_bench_only_runs_the_named_instances(tmp_path):
    for seed in (5, 6):
        (tmp_path / f"GEN{seed}.txt").write_text(solomon_text(seed))
    args = [str(tmp_path), "--time-limit", "0.3", "--peers", "none", "--only", "gen6"]
    assert main([*args, "--json", str(tmp_path / "r.json")]) == 0
    entries = json.loads((tmp_path / "r.json").read_text())
    assert [e["instance"] for e in entries] == ["GEN6"]
