"""Independent feasibility and length checker for Solomon-format instances.

It shares nothing with the solver but the file parser: from the instance and a list of routes
(customer numbers in visiting order) it checks, with real (untruncated) Euclidean distances and
travel time = distance, that every customer is served exactly once, capacities hold, every
service starts within its window, and every vehicle is back at the depot before it closes; it
recomputes the number of vehicles and the total length.

``python -m backend.routing.solver.check INSTANCE RESULTS.json`` checks the entry of the JSON
results list (as written by ``bench --json``) whose ``instance`` matches the file name.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .solomon import Instance, read

TOLERANCE = 1e-6


@dataclass
class Verdict:
    feasible: bool
    vehicles: int
    distance: float
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = "feasible" if self.feasible else "INFEASIBLE"
        text = f"{head}: {self.vehicles} vehicles, distance {self.distance:.2f}"
        if self.errors:
            text += "; " + "; ".join(self.errors[:5])
            if len(self.errors) > 5:
                text += f" (+{len(self.errors) - 5} more)"
        return text


def check(inst: Instance, routes: Sequence[Sequence[int]], tol: float = TOLERANCE) -> Verdict:
    by_number = {c.number: c for c in inst.customers[1:]}
    depot = inst.customers[0]
    errors: list[str] = []
    seen: dict[int, int] = {}
    total = 0.0
    used = 0
    for k, route in enumerate(routes):
        if not route:
            continue
        used += 1
        load = 0
        t = depot.ready
        prev = depot
        for number in route:
            c = by_number.get(int(number))
            if c is None:
                errors.append(f"route {k}: unknown customer {number}")
                continue
            seen[c.number] = seen.get(c.number, 0) + 1
            leg = math.hypot(c.x - prev.x, c.y - prev.y)
            total += leg
            t = max(t + leg, c.ready)
            if t > c.due + tol:
                errors.append(f"route {k}: customer {c.number} served at {t:.4f} > due {c.due}")
            t += c.service
            load += c.demand
            prev = c
        leg = math.hypot(depot.x - prev.x, depot.y - prev.y)
        total += leg
        t += leg
        if t > depot.due + tol:
            errors.append(f"route {k}: back at depot at {t:.4f} > {depot.due}")
        if load > inst.capacity:
            errors.append(f"route {k}: load {load} > capacity {inst.capacity}")
    for number in by_number:
        if seen.get(number, 0) == 0:
            errors.append(f"customer {number} not served")
        elif seen[number] > 1:
            errors.append(f"customer {number} served {seen[number]} times")
    if used > inst.vehicles:
        errors.append(f"{used} vehicles > {inst.vehicles} available")
    return Verdict(not errors, used, total, errors)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance")
    ap.add_argument("results", help="JSON list written by bench --json")
    args = ap.parse_args(argv)
    inst = read(args.instance)
    entries = json.loads(Path(args.results).read_text())
    name = Path(args.instance).stem
    for entry in entries:
        if entry["instance"] == name:
            verdict = check(inst, entry["routes"])
            print(f"{name}: {verdict}")
            return 0 if verdict.feasible else 1
    print(f"{name}: no entry in {args.results}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
