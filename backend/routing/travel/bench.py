"""How long straight-line travel matrices take: ``python -m backend.routing.travel.bench [N...]``.

Runs without a database or a routing server (``OSRM_URL`` is ignored here).  Prints, for each
size, the NumPy core alone and the whole ``travel_matrix`` call (including the conversion to
lists of floats the solver takes).
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Sequence


def _points(n: int, seed: int = 3) -> list[tuple[float, float] | None]:
    rng = random.Random(seed)
    # Around Petropavl and Bishkul, with 1 point in 50 lacking coordinates.
    return [
        None if i % 50 == 49 else (54.70 + rng.random() * 0.25, 69.00 + rng.random() * 0.30)
        for i in range(n)
    ]


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.local")
    import django

    django.setup()
    from django.conf import settings

    settings.OSRM_URL = ""  # always the straight-line path

    from backend.routing.travel import travel_matrix
    from backend.routing.travel.haversine import straight_line

    sizes = [int(a) for a in (argv if argv is not None else sys.argv[1:])] or [100, 1000]
    for n in sizes:
        points = _points(n)
        coords = [p for p in points if p is not None]
        core = _best(lambda c=coords: straight_line(c, detour_factor=1.3, speed_kmh=4.5))
        full = _best(lambda p=points: travel_matrix(p, transport="foot", speed_kmh=4.5))
        print(f"straight line, {n} points ({n * n:,} pairs): "
              f"numpy {core * 1000:.1f} ms, travel_matrix {full * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
