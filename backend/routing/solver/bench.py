"""Solomon / Homberger benchmark of the solver against vroom and OR-Tools.

``python -m backend.routing.solver.bench DIR --time-limit 10 --peers vroom,ortools --json OUT``

Every Solomon-format file in DIR is solved through the same ``solve()`` entry point as real
days, and by each peer with the same time limit, in this process.  Each result is verified by the
independent checker (``check.py``, real Euclidean times).  ``BKS.csv`` in DIR (columns
instance,vehicles,distance) gives the best-known solutions for the gaps.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .check import check
from .peers import PEERS
from .solomon import is_instance, read, to_problem
from .solve import solve

OURS = "ours"


def load_bks(directory: Path) -> dict[str, tuple[int, float]]:
    path = directory / "BKS.csv"
    if not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(fh)
        }


def instance_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.suffix.lower() not in (".csv", ".json") and is_instance(p)
    )


def _solve_ours(inst, time_limit: float, seed: int) -> tuple[list[list[int]], float]:
    sol = solve(to_problem(inst), time_limit=time_limit, seed=seed)
    return [[int(s) for s in r.stop_ids] for r in sol.routes], sol.seconds


def run(
    instances_dir: str | Path,
    time_limit: float = 10.0,
    peers: Sequence[str] = ("vroom", "ortools"),
    json_out: str | Path | None = None,
    seed: int = 0,
    out: TextIO = sys.stdout,
    only: Sequence[str] = (),
) -> list[dict]:
    directory = Path(instances_dir)
    bks = load_bks(directory)
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise ValueError(f"unknown peers {unknown}; known: {sorted(PEERS)}")
    solvers = [OURS, *peers]
    files = instance_files(directory)
    if only:
        wanted = {name.upper() for name in only}
        files = [p for p in files if p.stem.upper() in wanted]
    head = f"{'instance':<10}{'n':>4} {'BKS':>4} {'BKS dist':>9} |"
    for name in solvers:
        head += f" {name:>7} {'veh':>3} {'dist':>9} {'gap%':>6} {'s':>5} {'chk':>3} |"
    print(head, file=out, flush=True)
    results: list[dict] = []
    for path in files:
        try:
            inst = read(path)
        except ValueError as exc:
            print(f"skipped {path.name}: {exc}", file=out, flush=True)
            continue
        best = bks.get(inst.name)
        row = {"instance": inst.name, "customers": len(inst.customers) - 1, "bks": best}
        line = f"{inst.name:<10}{len(inst.customers) - 1:>4} "
        line += f"{best[0]:>4} {best[1]:>9.2f} |" if best else f"{'-':>4} {'-':>9} |"
        for name in solvers:
            fn = (lambda i, t: _solve_ours(i, t, seed)) if name == OURS else PEERS[name]
            try:
                routes, seconds = fn(inst, time_limit)
                error = None
            except Exception as exc:  # a peer crashing must not stop the benchmark
                routes, seconds, error = [], 0.0, f"{type(exc).__name__}: {exc}"
            verdict = check(inst, routes)
            gap = None
            if best and verdict.vehicles == best[0] and best[1] > 0:
                gap = 100.0 * (verdict.distance - best[1]) / best[1]
            row[name] = {
                "vehicles": verdict.vehicles,
                "distance": round(verdict.distance, 4),
                "seconds": round(seconds, 2),
                "feasible": verdict.feasible,
                "gap": None if gap is None else round(gap, 4),
                "routes": routes,
                "errors": verdict.errors[:5] + ([error] if error else []),
            }
            gap_s = f"{gap:6.2f}" if gap is not None else f"{'-':>6}"
            line += (
                f" {'':>7} {verdict.vehicles:>3} {verdict.distance:>9.2f} {gap_s}"
                f" {seconds:>5.1f} {'ok' if verdict.feasible else 'BAD':>3} |"
            )
        print(line, file=out, flush=True)
        for name in solvers:
            if row[name]["errors"]:
                print(f"    {name}: {'; '.join(row[name]['errors'])}", file=out, flush=True)
        results.append(row)
        if json_out is not None:
            _write_json(json_out, results)
    print(file=out)
    for name in solvers:
        print(summary(results, name), file=out, flush=True)
    return results


def _write_json(path: str | Path, results: list[dict]) -> None:
    entries = []
    for row in results:
        ours = row[OURS]
        entry = {
            "instance": row["instance"],
            "vehicles": ours["vehicles"],
            "distance": ours["distance"],
            "seconds": ours["seconds"],
            "routes": ours["routes"],
            "feasible": ours["feasible"],
            "peers": {
                k: {kk: vv for kk, vv in v.items() if kk != "routes"}
                for k, v in row.items()
                if k not in (OURS, "instance", "customers", "bks")
            },
        }
        entries.append(entry)
    Path(path).write_text(json.dumps(entries, indent=1))


def summary(results: list[dict], name: str) -> str:
    n = len(results)
    feasible = sum(1 for r in results if r[name]["feasible"])
    with_bks = [r for r in results if r["bks"] and r[name]["feasible"]]
    at = sum(1 for r in with_bks if r[name]["vehicles"] <= r["bks"][0])
    over = max((r[name]["vehicles"] - r["bks"][0] for r in with_bks), default=0)
    gaps = [r[name]["gap"] for r in with_bks if r[name]["gap"] is not None]
    mean_gap = f"{statistics.fmean(gaps):.2f}%" if gaps else "-"
    secs = statistics.fmean(r[name]["seconds"] for r in results) if results else 0.0
    return (
        f"{name:>8}: feasible {feasible}/{n}; at BKS vehicle count {at}/{len(with_bks)}"
        f" (of feasible with BKS); max vehicles over BKS {over}; mean distance gap where the"
        f" count matches {mean_gap} over {len(gaps)}; mean seconds {secs:.1f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Solomon-format VRPTW benchmark")
    ap.add_argument("dir", help="directory of Solomon-format instances (and BKS.csv)")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    ap.add_argument(
        "--peers", default="vroom,ortools", help="comma-separated: vroom,ortools (or 'none')"
    )
    ap.add_argument("--json", default=None, help="write our routes to this JSON file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated instance names, e.g. R112,RC102")
    args = ap.parse_args(argv)
    peers = [p for p in args.peers.split(",") if p and p != "none"]
    only = [name for name in args.only.split(",") if name]
    results = run(args.dir, args.time_limit, peers, args.json, args.seed, only=only)
    return 0 if all(r[OURS]["feasible"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
