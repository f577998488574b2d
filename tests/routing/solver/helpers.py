"""Small generated days for the solver tests (no Django)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from backend.routing.solver import Location, Problem, Profile, Stop, Vehicle

FAST = {"time_limit": 5.0, "max_iterations": 300}


def day(
    points: Sequence[tuple[float, float]],
    stops: Sequence[Stop],
    vehicles: Sequence[Vehicle],
    speeds: dict[str, float] | None = None,
    **kwargs,
) -> Problem:
    """A problem on planar ``points`` (location i = points[i]); distance in metres, a profile
    per speed (metres per second), durations = distance / speed."""
    speeds = speeds or {"default": 1.0}
    dist = [[math.dist(a, b) for b in points] for a in points]
    profiles = [
        Profile(name, [[d / speed for d in row] for row in dist]) for name, speed in speeds.items()
    ]
    return Problem(
        locations=[Location(str(i), x, y) for i, (x, y) in enumerate(points)],
        profiles=profiles,
        stops=list(stops),
        vehicles=list(vehicles),
        distances=dist,
        **kwargs,
    )


def assert_consistent(problem: Problem, solution) -> None:
    """Every route respects every constraint with real times (independent re-check)."""
    stops = {s.id: s for s in problem.stops}
    seen = set()
    for r in solution.routes:
        v = problem.vehicle(r.vehicle_id)
        assert r.departure >= v.shift_start - 1e-9
        assert r.end <= v.shift_end + 1e-6
        assert r.max_load <= v.capacity
        if v.max_stops is not None:
            assert len(r.visits) <= v.max_stops
        here, t = v.start_location, r.departure
        for visit in r.visits:
            s = stops[visit.stop_id]
            assert s.id not in seen
            seen.add(s.id)
            assert not s.languages or s.languages & v.languages
            assert s.vehicle_id in (None, v.id)
            t = max(t + problem.duration(v, here, s.location), s.earliest)
            assert visit.start == pytest_approx(t)
            assert s.earliest - 1e-9 <= visit.start <= s.latest + 1e-6
            t += s.service_time
            here = s.location
        assert t + problem.duration(v, here, v.end_location) <= v.shift_end + 1e-6
    assert seen | {u.stop_id for u in solution.unassigned} == set(stops)
    assert solution.feasible, solution.violations


def pytest_approx(value: float):
    import pytest

    return pytest.approx(value, abs=1e-6)
