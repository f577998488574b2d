"""Conversion of the float model to the integers PyVRP works with.

Rounding is conservative: travel and service times are rounded up, window/shift openings rounded
up and closings rounded down.  By induction over a route, the integer schedule is never earlier
than the real one, so a route feasible in integers is feasible with the real (float) values.
Infinite window ends are replaced by a finite horizon that no route can reach anyway, so that
"blocked" edges (``BIG`` durations) always cause lateness.
"""

from __future__ import annotations

import math

import numpy as np

from .model import Matrix, Problem, Stop, Vehicle


def float_matrix(matrix: Matrix) -> np.ndarray:
    """Matrix as floats, ``inf`` for missing (``None``/``nan``/negative) entries."""
    if isinstance(matrix, np.ndarray):
        arr = matrix.astype(float, copy=True)
        arr[np.isnan(arr) | (arr < 0)] = math.inf
        return arr
    arr = np.array(
        [[math.inf if v is None else float(v) for v in row] for row in matrix], dtype=float
    ).reshape(len(matrix), len(matrix))
    arr[np.isnan(arr) | (arr < 0)] = math.inf
    return arr


def ceil_scaled(arr: np.ndarray, scale: int) -> np.ndarray:
    """``ceil(arr * scale)`` as int64, ``-1`` where not finite."""
    out = np.full(arr.shape, -1, dtype=np.int64)
    finite = np.isfinite(arr)
    out[finite] = np.ceil(arr[finite] * scale).astype(np.int64)
    return out


def round_scaled(arr: np.ndarray, scale: int) -> np.ndarray:
    out = np.full(arr.shape, -1, dtype=np.int64)
    finite = np.isfinite(arr)
    out[finite] = np.rint(arr[finite] * scale).astype(np.int64)
    return out


class IntModel:
    """Integer view of a ``Problem`` (times multiplied by ``time_scale``)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        ts = problem.time_scale
        self.ts = ts
        self.ds = problem.distance_scale
        self.durations: dict[str, np.ndarray] = {}  # int64, -1 = unreachable
        self.distances: dict[str, np.ndarray] = {}  # objective "distance", int64, -1 = unknown
        for prof in problem.profiles:
            dur = float_matrix(prof.durations)
            self.durations[prof.name] = ceil_scaled(dur, ts)
            dmat = prof.distances if prof.distances is not None else problem.distances
            if problem.objective == "duration":
                self.distances[prof.name] = self.durations[prof.name]
            elif dmat is None:
                self.distances[prof.name] = round_scaled(dur, self.ds)
            else:
                self.distances[prof.name] = round_scaled(float_matrix(dmat), self.ds)

        times: list[float] = []
        for s in problem.stops:
            if s.earliest < 0:
                raise ValueError(f"stop {s.id}: times must be non-negative")
            times += [s.earliest, s.latest]
        for v in problem.vehicles:
            if v.shift_start < 0:
                raise ValueError(f"vehicle {v.id}: times must be non-negative")
            times += [v.shift_start, v.shift_end]
        finite = [math.ceil(t * ts) for t in times if math.isfinite(t)]
        max_travel = max((int(m.max()) for m in self.durations.values() if m.size), default=0)
        service = sum(math.ceil(s.service_time * ts) for s in problem.stops)
        # No schedule can end later than this: waits end by the latest opening, and every stop
        # adds at most one leg and its service.
        self.horizon = (
            max(finite, default=0) + service + (len(problem.stops) + 2) * max(max_travel, 1) + 1
        )
        # Duration of a forbidden edge: using it makes any route late.
        self.big = 2 * self.horizon + 1

    def _time(self, t: float, up: bool) -> int:
        if not math.isfinite(t):
            return self.horizon
        return min(math.ceil(t * self.ts) if up else math.floor(t * self.ts), self.horizon)

    def window(self, stop: Stop) -> tuple[int, int]:
        return self._time(stop.earliest, True), self._time(stop.latest, False)

    def shift(self, vehicle: Vehicle) -> tuple[int, int]:
        return self._time(vehicle.shift_start, True), self._time(vehicle.shift_end, False)

    def service(self, stop: Stop) -> int:
        return math.ceil(stop.service_time * self.ts)

    def travel(self, vehicle: Vehicle, frm: int, to: int) -> int | None:
        value = int(self.durations[vehicle.profile][frm, to])
        return None if value < 0 else value
