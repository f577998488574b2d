"""The volunteer's route answer, kept between reads.

The app re-reads its route after every action and whenever it is opened, and the answer is
the costliest the app gets (six queries and a serializer over every stop). Between two
changes it is the same, so it is kept in the cache under a key made of what decides it:

- the route row as `own_route()` has just read it (id, `version`, `updated_at`): every change
  of the route or its stops bumps `version` (routing.services), in the same transaction;
- whether the reader details are visible now (they appear and go by the clock), the branch
  row (name, phone, zone), the language and the time zone of the request.

What the route shows of the people and books at its doors lives outside the route: a reader's
name, address or phones, a family card, a copy reserved on an order, a loan returned at the
desk. A change to any of those touches `updated_at` of the visible routes that have a stop for
that household or order, once per transaction, when it commits (routing.receivers: the routes
are routing's to write). Should that second step never run (the process killed in between),
the entry still lapses after TIMEOUT.

The key is only ever built from a route that `own_route()` found for the signed-in volunteer:
the ownership check comes first, so another volunteer can never be answered from the cache.
"""
from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.utils import timezone, translation

from backend.routing.models import Route

TIMEOUT = 300  # seconds: the most an entry can outlive a lost touch (see the docstring)


def cache_key(route: Route, *, visible: bool) -> str:
    branch = route.plan.branch
    parts = (route.pk, route.version, route.updated_at.isoformat(), visible,
             branch.pk, branch.updated_at.isoformat(), translation.get_language() or "",
             timezone.get_current_timezone_name())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
    return f"mobile:route:{route.pk}:{digest}"


def cached_answer(route: Route, *, visible: bool, build) -> tuple[dict[str, Any], str]:
    """(body, etag) of the route: from the cache, or built by `build()` and kept."""
    key = cache_key(route, visible=visible)
    found = cache.get(key)
    if found is not None:
        return found
    answer = build()
    cache.set(key, answer, TIMEOUT)
    return answer
