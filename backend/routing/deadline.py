"""The time a planning request has, shared out between its phases.

A plan asked for in N seconds is back, written, within N seconds of the request: gathering the
stops, the travel matrix, the solver and writing the routes all come out of the same N. The
deadline starts when the coordinator asks (the API, before the task is queued) and travels with
the task as a wall-clock instant, so time spent waiting in the queue counts too. Problem building
takes what it needs; the solver gets what is left minus a reserve for writing the routes.

Plain Python (no Django), like the solver.
"""
from __future__ import annotations

import time
from collections.abc import Callable

WRITE_BASE_SECONDS = 0.5
WRITE_PER_STOP_SECONDS = 0.001


def write_reserve(stops: int) -> float:
    """Seconds kept back for writing a plan of `stops` stops (one transaction, one prepared
    statement for the stops: 0.4 s for 1,000 stops on SQLite on a busy machine, so 1 ms a
    stop leaves room; half a second for the routes and the rest)."""
    return WRITE_BASE_SECONDS + WRITE_PER_STOP_SECONDS * max(0, stops)


class Deadline:
    """`seconds` from `started` (default: now) on `clock` (wall-clock seconds since the epoch,
    so that a worker process can carry on a deadline started by the web process)."""

    def __init__(self, seconds: float, *, started: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.seconds = max(0.0, float(seconds))
        self.clock = clock
        self.started = clock() if started is None else float(started)

    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started)

    def left(self) -> float:
        """Seconds until the promise is due; never negative."""
        return max(0.0, self.seconds - self.elapsed())

    def budget(self, *, reserve: float = 0.0) -> float:
        """What a phase may spend now, keeping `reserve` seconds for the phases after it;
        never negative (a phase given 0 does the least it can)."""
        return max(0.0, self.left() - max(0.0, reserve))

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.left():.2f} s left)"
