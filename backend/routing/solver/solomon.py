"""Reader for the Solomon VRPTW text format (also used by the Gehring & Homberger instances).

Conventions: row 0 is the depot; Euclidean distances are *not* truncated; travel time equals
distance; the depot's window is every vehicle's shift; demands are delivery loads.  Times and
distances are scaled by 1000 inside the engine (three decimals kept, travel times rounded up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import Location, Problem, Profile, Stop, Vehicle

SCALE = 1000


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    customers: list[Customer]  # index 0 is the depot

    def distance(self, i: int, j: int) -> float:
        a, b = self.customers[i], self.customers[j]
        return math.hypot(a.x - b.x, a.y - b.y)


def parse(text: str, name: str = "") -> Instance:
    lines = [ln.strip() for ln in text.splitlines()]
    vehicles = capacity = None
    customers: list[Customer] = []
    for i, ln in enumerate(lines):
        up = ln.upper()
        if up.startswith("NUMBER") and "CAPACITY" in up:
            j = i + 1
            while j < len(lines) and not lines[j]:
                j += 1
            vehicles, capacity = (int(float(t)) for t in lines[j].split()[:2])
        parts = ln.split()
        if (
            len(parts) >= 7
            and all(_is_number(p) for p in parts[:7])
            and vehicles is not None
            and (customers or int(float(parts[0])) == 0)
        ):
            n, x, y, d, r, due, s = (float(p) for p in parts[:7])
            customers.append(Customer(int(n), x, y, int(d), r, due, s))
    if vehicles is None or capacity is None or not customers:
        raise ValueError(f"{name or 'input'}: not a Solomon-format instance")
    if not name:
        name = next((ln for ln in lines if ln), "")
    return Instance(name, vehicles, capacity, customers)


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def read(path: str | Path) -> Instance:
    path = Path(path)
    return parse(path.read_text(), path.stem)


def is_instance(path: str | Path) -> bool:
    """True if ``path`` looks like a Solomon-format file (cheap check of the header)."""
    try:
        head = Path(path).read_text(errors="replace")[:2000].upper()
    except OSError:
        return False
    lines = [ln.strip() for ln in head.splitlines()]
    return any(ln.startswith("VEHICLE") for ln in lines) and any(
        ln.startswith("CUST NO") for ln in lines
    )


def to_problem(inst: Instance) -> Problem:
    xy = np.array([[c.x, c.y] for c in inst.customers], dtype=float)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    depot = inst.customers[0]
    locations = [Location(str(c.number), c.x, c.y) for c in inst.customers]
    stops = [
        Stop(
            id=str(c.number),
            location=i,
            service_time=c.service,
            earliest=c.ready,
            latest=c.due,
            delivery=c.demand,
        )
        for i, c in enumerate(inst.customers)
        if i > 0
    ]
    vehicles = [
        Vehicle(
            id=f"v{k + 1}",
            start_location=0,
            end_location=0,
            shift_start=depot.ready,
            shift_end=depot.due,
            capacity=inst.capacity,
        )
        for k in range(inst.vehicles)
    ]
    return Problem(
        locations=locations,
        profiles=[Profile("default", dist)],
        stops=stops,
        vehicles=vehicles,
        distances=dist,
        objective="distance",
        time_scale=SCALE,
        distance_scale=SCALE,
    )
