"""Re-planning after a volunteer drops out."""

from __future__ import annotations

import pytest

from backend.routing.solver import Stop, Vehicle, solve
from backend.routing.solver.replan import replan

from .helpers import FAST, assert_consistent, day


def _day():
    # Two clusters of readers, east and west of the branch; each volunteer takes a cluster
    # (their capacity of 4 items forbids one volunteer doing both).
    points = (
        [(0, 0)] + [(100 + 10 * i, 0) for i in range(4)] + [(-100 - 10 * i, 0) for i in range(4)]
    )
    stops = [Stop(f"e{i}", 1 + i, service_time=60, delivery=1) for i in range(4)]
    stops += [Stop(f"w{i}", 5 + i, service_time=60, delivery=1) for i in range(4)]
    vehicles = [
        Vehicle("anna", 0, 0, capacity=4, shift_end=5000),
        Vehicle("boris", 0, 0, capacity=4, shift_end=5000),
        Vehicle("chingis", 0, 0, capacity=4, shift_end=5000),
    ]
    return day(points, stops, vehicles)


def test_vehicle_drops_out_locked_stops_stay_and_diff_is_reported():
    problem = _day()
    first = solve(problem, **FAST)
    assert_consistent(problem, first)
    assert first.objective.served == 8
    assert first.objective.vehicles == 2
    # The volunteer with the first route has done two stops; the other one drops out.
    keeper, leaver = first.routes[0], first.routes[1]
    locked = keeper.stop_ids[:2]
    new_stop = Stop("extra", 1, service_time=60, delivery=1)  # same address as e0
    result = replan(
        problem,
        first,
        removed_vehicles=[leaver.vehicle_id],
        locked=locked,
        added_stops=[new_stop],
        removed_stops=[keeper.stop_ids[-1]],
        **FAST,
    )
    sol = result.solution
    assert sol.feasible, sol.violations
    assert_consistent(result.problem, sol)
    assert leaver.vehicle_id not in {r.vehicle_id for r in sol.routes}
    kept = sol.route(keeper.vehicle_id)
    assert kept is not None
    # Locked stops: same vehicle, same order, at the beginning, same times.
    assert kept.stop_ids[:2] == locked
    assert kept.visits[:2] == keeper.visits[:2]
    # Everything is still served (the third volunteer takes the leaver's stops).
    served = set(sol.assignment())
    assert served == {s.id for s in result.problem.stops}
    assert keeper.stop_ids[-1] not in served
    diff = result.diff
    assert {m.stop_id for m in diff.moved} == set(leaver.stop_ids)
    assert all(m.from_vehicle == leaver.vehicle_id for m in diff.moved)
    assert diff.added == ("extra",)
    assert diff.removed == (keeper.stop_ids[-1],)
    assert diff.newly_unserved == ()
    # Stops of the keeper that were not moved stay on it.
    assert set(keeper.stop_ids[:-1]) <= set(kept.stop_ids)


def test_replan_without_changes_moves_nothing():
    problem = _day()
    first = solve(problem, **FAST)
    result = replan(problem, first, locked=[first.routes[0].stop_ids[0]], **FAST)
    assert result.diff.moved == ()
    assert result.solution.objective.served == first.objective.served
    assert result.solution.objective.vehicles == first.objective.vehicles


def test_locked_stops_must_be_a_prefix():
    problem = _day()
    first = solve(problem, **FAST)
    with pytest.raises(ValueError):
        replan(problem, first, locked=[first.routes[0].stop_ids[1]], **FAST)
    with pytest.raises(ValueError):
        replan(problem, first, removed_vehicles=["nobody"], **FAST)
