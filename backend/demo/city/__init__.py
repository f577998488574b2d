"""A generated city for load tests: Astana's library service at the scale of DESIGN.md's
"city system" (20,000 readers, 200 volunteers, 300,000 loans by default).

`generate_city(CityScale(...))` writes, in one transaction:

- branches (one per 20 volunteers, up to 12), staff (a librarian and a coordinator per
  branch, the operators) and the volunteers with their profiles and shifts;
- reader cards with phones, addresses, preferences, home hours and caregivers, a few family
  cards, the cards' first history row;
- a catalog (a title per 20 loans, about four copies each, spread over the branches);
- the reading history: past visits (delivered orders, their lines, the loans they started,
  returned since) and the books still out, a few of them overdue;
- today's published day: a route for every volunteer with `stops_per_route` stops, each
  with its scheduled order and reserved copies, and returns due at about half the doors;
- the orders ready for the next working day (what the coordinator plans), a few new orders
  with wishes, and standing plans for about a tenth of the households.

It is fast rather than faithful to every side effect: rows are made in memory and written
with `bulk_create` (primary keys handed out here, so no row waits for another's id). The
services are not called row by row: no outbox messages, no order events for the history,
no card history beyond the first row. What the product reads (statuses, copies' states,
loan limits, windows, languages) follows the services' rules, and tests/demo/test_seed_city.py
checks it.

The phases live by what they make: `people.py`, `stock.py`, `history.py`, `routes.py`;
`base.py` holds the scale and the writing machinery, `words.py` the names and words.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection, transaction

from backend.demo.city.base import (
    MAX_ACTIVE_PER_READER,
    CityBase,
    CityExistsError,
    CityReport,
    CityScale,
    own_timestamps,
)
from backend.demo.city.history import History
from backend.demo.city.people import People
from backend.demo.city.routes import Routes
from backend.demo.city.stock import Stock
from backend.demo.city.words import TITLE_WORDS

__all__ = [
    "MAX_ACTIVE_PER_READER", "TITLE_WORDS", "CityExistsError", "CityReport", "CityScale",
    "generate_city",
]


class _City(People, Stock, History, Routes, CityBase):
    """Every phase of the city, on one object that carries what each phase made."""


def generate_city(scale: CityScale | None = None, *,
                  out: Callable[[str], None] | None = None) -> CityReport:
    """Generate the city in one transaction; nothing is written if any part fails."""
    from django.apps import apps

    scale = scale or CityScale()
    say = out or (lambda line: None)
    started = time.monotonic()
    city = _City(scale, say)
    stamped = [m for m in apps.get_models()
               if any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                      for f in m._meta.concrete_fields)]
    phases = (("branches", city.branches), ("staff and volunteers", city.staff),
              ("readers", city.readers), ("catalog", city.catalog),
              ("the days", city.plan_days), ("history and loans", city.history),
              ("today's routes", city.routes), ("coming orders", city.upcoming),
              ("copies", city.finish))
    with transaction.atomic(), own_timestamps(stamped):
        for name, phase in phases:
            begun = time.monotonic()
            phase()
            say(f"  {name:<22} {time.monotonic() - begun:6.1f} s")
    # A live database has its planner statistics kept up to date by autovacuum; right after
    # a bulk load there are none yet, and PostgreSQL would plan for a 300,000-row table as
    # for an empty one.
    begun = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  {'statistics':<22} {time.monotonic() - begun:6.1f} s")
    report = CityReport(scale=scale, today=city.today, next_day=city.next_day,
                        seconds=time.monotonic() - started, counts=city.counts)
    return report
