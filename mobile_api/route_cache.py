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
desk, a title renamed in the catalog. A change to any of those touches `updated_at` of the
visible routes that have a stop for that household, order or title, once per transaction,
when it commits (routing.receivers: the routes are routing's to write). Should that second
step never run (the process killed in between), the entry still lapses after TIMEOUT.

The key is only ever built from a route that `own_route()` found for the signed-in volunteer:
the ownership check comes first, so another volunteer can never be answered from the cache.

The app re-reads its route right after each of its own actions, when the kept answer is
always out of date (the version moved). So each stop's door is kept too, and an answer is
made of the doors still good plus those that changed (`build_answer`):

- one narrow query of the live stops' own columns (`live_stop_rows`): status, times, order,
  position. These are written over each kept door at every build, so an arrive, a complete, a
  fail or a new order of the stops (even one written with `bulk_update`) is read, not kept;
- the rest of a door (the reader, the household, the phone, what to hand over and collect) is
  kept under the stop's token (routing.door_stamps), the stop's columns it is made of (reader,
  family card, coordinates, note), the route and the context above. A change to the people and
  books at the door drops the token when it commits (routing.receivers), so only that door is
  read again, by `route_doors` for those stops alone.

After an arrive nothing but the stops' own columns is read; after a complete, one door.
"""
from __future__ import annotations

import copy
import datetime
import functools
import hashlib
from typing import Any

from django.core.cache import cache
from django.utils import timezone, translation
from rest_framework.fields import DateTimeField
from rest_framework.renderers import JSONRenderer

from backend.routing.door_stamps import door_stamps
from backend.routing.doors import live_stop_rows, route_doors
from backend.routing.models import Route
from mobile_api import selectors
from mobile_api import serializers as s

TIMEOUT = 300  # seconds: the most an entry can outlive a lost touch (see the docstring)


def _digest(parts: tuple) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def _context(route: Route, *, visible: bool) -> tuple:
    """What decides an answer besides the rows: who reads, what they may see, how it is said."""
    branch = route.plan.branch
    return (visible, route.volunteer_id, branch.pk, branch.updated_at.isoformat(),
            translation.get_language() or "", timezone.get_current_timezone_name())


def cache_key(route: Route, *, visible: bool) -> str:
    parts = (route.pk, route.version, route.updated_at.isoformat(), _context(route,
                                                                            visible=visible))
    return f"mobile:route:v2:{route.pk}:{_digest(parts)}"  # v2: the cards shown kept too


# A stop's own columns the app shows as they are: read at every build and put over its kept
# door (arrive, complete, fail and a new order of the stops change only these).
ROW_FIELDS = ("id", "number", "sequence", "kind", "status", "window_start", "window_end",
              "expected_arrival", "arrived_at", "completed_at", "fail_reason")
# The stop's columns the rest of its door is made of, besides what its token stands for.
DOOR_COLUMNS = ("reader_id", "family_card_id", "lat", "lon", "note")


@functools.cache
def _stop_fields() -> dict:
    return dict(s.StopSerializer().fields)


def _row_field_set() -> dict:
    """The stop's fields, those of its own columns that write date-times in the current zone
    with that zone read once: the same text, for every stop of one answer."""
    fields = dict(_stop_fields())
    for name in ROW_FIELDS:
        field = fields[name]
        if isinstance(field, DateTimeField) and not hasattr(field, "timezone"):
            field = fields[name] = copy.copy(field)
            field.timezone = field.default_timezone()
    return fields


def _row_fields(row: dict, number: int, fields: dict | None = None) -> dict[str, Any]:
    """The stop's own fields as `StopSerializer` writes them (`fields`: `_row_field_set()`)."""
    fields = fields or _stop_fields()
    values = {**row, "number": number, "fail_reason": row["fail_reason"] or ""}
    return {name: None if values[name] is None else fields[name].to_representation(values[name])
            for name in ROW_FIELDS}


def door_key(route: Route, row: dict, stamp: str, *, visible: bool,
             context: tuple | None = None) -> str:
    """The key of one stop's kept door: `row` as `live_stop_rows` reads it, `stamp` its
    token (routing.door_stamps); `context`: `_context(route, visible=visible)` if known."""
    parts = (route.pk, stamp, tuple(row[name] for name in DOOR_COLUMNS),
             context or _context(route, visible=visible))
    return f"mobile:door:{row['id']}:{_digest(parts)}"


def build_answer(route: Route, *, visible: bool, now: datetime.datetime) -> dict:
    """The body of the route, the same as `RouteSerializer(route_body(route))` gives:
    the route's own part and each stop's own columns read now, the rest of each door kept or,
    for the doors whose token or columns changed, read by `route_doors` (those stops only)."""
    return _built(route, live_stop_rows(route), visible=visible, now=now)


def answer_and_cards(route: Route, *, visible: bool,
                     now: datetime.datetime) -> tuple[dict, tuple[tuple[int, ...], ...]]:
    """`build_answer`'s body, and the cards whose details it shows: (reader ids, family
    card ids) of its stops while `visible`, none otherwise (for the card access log)."""
    rows = live_stop_rows(route)
    return _built(route, rows, visible=visible, now=now), cards_shown(rows, visible=visible)


def cards_shown(rows: list[dict], *, visible: bool) -> tuple[tuple[int, ...], ...]:
    """(reader ids, family card ids) of these stops' rows, each once in order; none unless
    their details are shown."""
    if not visible:
        return (), ()
    return (tuple(dict.fromkeys(row["reader_id"] for row in rows if row["reader_id"])),
            tuple(dict.fromkeys(row["family_card_id"] for row in rows
                                if row["family_card_id"])))


def _built(route: Route, rows: list[dict], *, visible: bool, now: datetime.datetime) -> dict:
    stamps = door_stamps(row["id"] for row in rows)  # before the doors are read: see there
    context = _context(route, visible=visible)
    keys = [door_key(route, row, stamps[row["id"]], visible=visible, context=context)
            for row in rows]
    doors = cache.get_many(keys) if keys else {}
    missing = {row["id"]: number for number, (row, key) in enumerate(zip(rows, keys), start=1)
               if key not in doors}
    if missing:
        read = route_doors(route, numbers=missing)
        # One serializer for them all: making one per door costs more than the door.
        made = {keys[door.number - 1]: dict(part) for door, part in zip(read, s.StopSerializer(
            [selectors.stop_body(door, visible=visible) for door in read], many=True).data)}
        if len(made) != len(missing):  # cancelled between the two reads: build it all afresh
            return s.RouteSerializer(selectors.route_body(route, now=now)).data
        cache.set_many(made, TIMEOUT)
        doors.update(made)
    body = s.RouteHeadSerializer(selectors.route_head(route, visible=visible)).data
    fields = _row_field_set()
    body["stops"] = [{**doors[key], **_row_fields(row, number, fields)}
                     for number, (row, key) in enumerate(zip(rows, keys), start=1)]
    return body


def etag_of(body) -> str:
    """The ETag of an answer: a digest of its JSON as sent (one body, one text)."""
    return _etag(rendered(body))


def _etag(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def rendered(body) -> bytes:
    """The body as the API's JSON renderer writes it by default (no indent asked)."""
    return JSONRenderer().render(body)


def cached_answer(route: Route, *, visible: bool,
                  build) -> tuple[bytes, str, tuple[tuple[int, ...], ...]]:
    """(JSON, etag, cards) of the route: from the cache, or built by `build()` (the body and
    the cards it shows, as `answer_and_cards` gives them), written and kept.

    Kept as the bytes the renderer writes, not as the body: a kept answer is then neither
    unpickled into dicts nor encoded again (both cost more than the rest of the read). The
    cards shown are kept with it, so a kept answer is logged without reading its stops."""
    key = cache_key(route, visible=visible)
    found = cache.get(key)
    if found is not None:
        return found
    body, cards = build()
    content = rendered(body)
    answer = (content, _etag(content), cards)
    cache.set(key, answer, TIMEOUT)
    return answer
