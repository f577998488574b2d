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
that household or order (`_touch`), once per transaction, when it commits. Should that second
step never run (the process killed in between), the entry still lapses after TIMEOUT.

The key is only ever built from a route that `own_route()` found for the signed-in volunteer:
the ownership check comes first, so another volunteer can never be answered from the cache.
"""
from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation

from backend.routing.models import Route, Stop

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


# Changes outside the route that its answer shows ------------------------------------------


class _Pending:
    """What the current transaction changed, touched once when it commits."""

    def __init__(self) -> None:
        self.readers: set[int] = set()
        self.families: set[int] = set()
        self.orders: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.readers or self.families or self.orders)


_pending_by_connection: dict[int, _Pending] = {}


def _touch(pending: _Pending) -> None:
    """One UPDATE: the visible routes with a stop of these readers' households (their own
    or their family card's), of these family cards, or for these orders."""
    from mobile_api.selectors import VISIBLE_ROUTE_STATUSES

    where = Q()
    if pending.readers:
        where |= Q(reader_id__in=pending.readers)
        where |= Q(family_card__members__in=pending.readers)
    if pending.families:
        where |= Q(family_card_id__in=pending.families)
    if pending.orders:
        where |= Q(orders__in=pending.orders)
    stops = Stop.objects.filter(where, route__isnull=False).values("route_id")
    Route.objects.filter(pk__in=stops, status__in=VISIBLE_ROUTE_STATUSES).update(
        updated_at=timezone.now())


def _note(*, readers=(), families=(), orders=()) -> None:
    connection = transaction.get_connection()
    key = id(connection)
    pending = _pending_by_connection.setdefault(key, _Pending())
    pending.readers.update(r for r in readers if r)
    pending.families.update(f for f in families if f)
    pending.orders.update(o for o in orders if o)

    def flush() -> None:  # the first callback of a transaction does the work for all
        done = _pending_by_connection.pop(key, None)
        if done:
            _touch(done)

    # At once outside a transaction; inside, after the outermost commit. After a rollback
    # what was noted waits for the connection's next commit: one touch too many at worst.
    transaction.on_commit(flush)


def _reader_changed(sender, instance, **kwargs) -> None:
    _note(readers=[instance.pk], families=[instance.family_card_id])


def _family_changed(sender, instance, **kwargs) -> None:
    _note(families=[instance.pk])


def _phone_changed(sender, instance, **kwargs) -> None:
    _note(readers=[instance.reader_id])


def _line_changed(sender, instance, **kwargs) -> None:
    _note(orders=[instance.order_id])


def _loan_changed(sender, instance, **kwargs) -> None:
    _note(readers=[instance.reader_id])


def connect() -> None:
    """Called once from the app's ready()."""
    from backend.circulation.models import Loan
    from backend.orders.models import OrderLine
    from backend.readers.models import FamilyCard, Reader, ReaderPhone

    for model, receiver in ((Reader, _reader_changed), (FamilyCard, _family_changed),
                            (ReaderPhone, _phone_changed), (OrderLine, _line_changed),
                            (Loan, _loan_changed)):
        uid = f"mobile_api.route_cache.{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
