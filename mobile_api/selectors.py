"""Reads for the volunteers' app: only the volunteer's own routes, and of each stop only what
the work needs, in a fixed number of queries whatever the number of stops.

The reader's details on a stop (name, address, phone, books) are shown from the start of
the day before the route until MOBILE_DETAILS_HOURS_AFTER hours after it is finished (or
after the end of its day, when it was never finished). Outside that window a stop shows
only what was done: status, times and counts.
"""
from __future__ import annotations

import datetime
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import router, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound

# The branch's day and zone, as the app's code and tests have always imported them here.
from backend.branches.models import branch_today, branch_zone  # noqa: F401
from backend.core.exceptions import ConflictError
from backend.core.prepared import PreparedRead
from backend.core.serializers import MAX_ID
from backend.routing.doors import Door, route_doors
from backend.routing.models import (
    SHOWN_ROUTE_STATUSES,
    Route,
    RouteChange,
    Stop,
    StopStatus,
)

if TYPE_CHECKING:
    from backend.volunteers.models import Volunteer


def own_routes(volunteer: Volunteer | int) -> QuerySet[Route]:
    return Route.objects.filter(volunteer=volunteer, status__in=SHOWN_ROUTE_STATUSES)


def routes_on(volunteer: Volunteer, date: datetime.date) -> list[Route]:
    """The volunteer's published, started or finished routes on a day, with stop counts."""
    return _ROUTES_ON.rows(volunteer_id=volunteer.pk, date=date)


def _routes_on(volunteer_id: int, date: datetime.date) -> QuerySet[Route]:
    live = ~Q(stops__status=StopStatus.CANCELLED)
    return (
        own_routes(volunteer_id).filter(plan__date=date)
        .select_related("plan")  # the day; the list shows nothing of the branch
        .annotate(
            stops_total=Count("stops", filter=live),
            stops_open=Count("stops", filter=Q(stops__status__in=[StopStatus.PLANNED,
                                                                  StopStatus.ARRIVED])),
        )
        .order_by("id")
    )


# The app's frequent reads: their SQL built once (backend.core.prepared).
_ROUTES_ON = PreparedRead(_routes_on, "volunteer_id", "date", dates=("date",))


def own_route(volunteer: Volunteer, pk: int, *, lock: bool = False) -> Route:
    """The volunteer's own visible route, or 404 (another volunteer's route is "not found").
    `lock`: for an action, the route's row locked as routing.services locks it for a change,
    in the same read (the service is then told not to read it again)."""
    if not 0 < pk <= MAX_ID:  # no database row has such an id; SQLite cannot even compare it
        raise NotFound()
    if lock:
        routes = own_routes(volunteer.pk).select_related("plan__branch").select_for_update(
            of=("self",))
        try:  # `.get()`, not `.first()`: no ORDER BY to build for one row by its key
            return routes.get(pk=pk)
        except Route.DoesNotExist:
            raise NotFound() from None
    found = _OWN_ROUTE.rows(volunteer_id=volunteer.pk, pk=pk)
    if not found:
        raise NotFound()
    return found[0]


# The app's most frequent read: its SQL built once (backend.core.prepared).
_OWN_ROUTE = PreparedRead(
    lambda volunteer_id, pk: own_routes(volunteer_id).select_related("plan__branch")
    .filter(pk=pk).order_by(),  # one row by its key: no ORDER BY, as `.get()` reads
    "volunteer_id", "pk")


def own_stop(volunteer: Volunteer, pk: int, *, lock: bool = False) -> Stop:
    """A stop on one of the volunteer's visible routes.

    A stop that was on their route and has since been moved to someone else answers
    `stop.not_on_your_route` (409) so the app can drop it; any other id answers 404.
    `lock`: for an action, the stop's row locked as routing.services locks it for a change,
    in the same read (the service is then told not to read it again), with the branch's
    messaging choices an arrive asks (routing.messages.on_the_way_enabled).
    """
    if not 0 < pk <= MAX_ID:  # no database row has such an id; SQLite cannot even compare it
        raise NotFound()
    if lock and not transaction.get_autocommit(using=router.db_for_write(Stop)):
        # The action's read, its SQL built once (a lock outside a transaction is refused by
        # the queryset below, as it always was).
        found = _OWN_STOP_LOCKED.rows(volunteer_id=volunteer.pk, pk=pk)
        if found:
            return found[0]
    else:
        stops = _own_stops(volunteer.pk, lock=lock)
        try:  # .get(), not .first(): one row by its id needs no ORDER BY
            return stops.get(pk=pk)
        except Stop.DoesNotExist:
            pass
    if RouteChange.objects.filter(volunteer=volunteer, stop_id=pk).exists():
        from django.utils.translation import gettext as _

        raise ConflictError("stop.not_on_your_route",
                            _("This stop is no longer on your route."))
    raise NotFound()


def _own_stops(volunteer_id: int, *, lock: bool = False) -> QuerySet[Stop]:
    stops = Stop.objects.select_related("route", "plan__branch").filter(
        route__volunteer=volunteer_id, route__status__in=SHOWN_ROUTE_STATUSES)
    if lock:
        stops = stops.select_for_update(of=("self",)).select_related("plan__branch__messaging")
    return stops


# An action's stop, locked: its SQL built once (backend.core.prepared). One row by its key:
# no ORDER BY, as `.get()` reads.
_OWN_STOP_LOCKED = PreparedRead(
    lambda volunteer_id, pk: _own_stops(volunteer_id, lock=True).filter(pk=pk).order_by(),
    "volunteer_id", "pk")


def details_window(route: Route) -> tuple[datetime.datetime, datetime.datetime]:
    """When the reader details of the route's stops may be seen."""
    zone = route.plan.branch.zone
    day = route.plan.date
    start = datetime.datetime.combine(day - datetime.timedelta(days=1), datetime.time(),
                                      tzinfo=zone)
    hours = float(getattr(settings, "MOBILE_DETAILS_HOURS_AFTER", 6))
    end = route.finished_at or datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start, end + datetime.timedelta(hours=hours)


def details_visible(route: Route, now: datetime.datetime | None = None) -> bool:
    start, end = details_window(route)
    now = now or timezone.now()
    return start <= now <= end


DETAIL_KEYS = ("name", "members", "address", "access_notes", "phone", "lat", "lon",
               "hand_over", "collect", "note")


def _details(door: Door) -> dict[str, Any]:
    """What the app shows of the reader at a stop, while details are visible."""
    return {
        "name": door.name,
        "members": list(door.members),
        "address": asdict(door.address),
        "access_notes": list(door.access_notes),
        "phone": asdict(door.phone) if door.phone is not None else None,
        "lat": door.lat,
        "lon": door.lon,
        "hand_over": [{"title": b.title, "authors": b.authors, "format": b.format,
                       "barcode": b.barcode, "for": b.reader} for b in door.hand_over],
        "collect": [{"title": b.title, "authors": b.authors, "barcode": b.barcode,
                     "due_date": b.due_date, "from": b.reader} for b in door.collect],
        "note": door.note,
    }


def stop_body(door: Door, *, visible: bool) -> dict[str, Any]:
    """One stop of the route as the app shows it: the reader's details only while `visible`."""
    stop = {
        "id": door.stop_id,
        "number": door.number,
        "sequence": door.sequence,
        "kind": door.kind,
        "status": door.status,
        "window_start": door.window_start,
        "window_end": door.window_end,
        "expected_arrival": door.expected_arrival,
        "arrived_at": door.arrived_at,
        "completed_at": door.completed_at,
        "fail_reason": door.fail_reason,
        "items_to_hand_over": len(door.hand_over),
        "items_to_collect": len(door.collect),
        "items_delivered": door.items_delivered,
        "details": visible,
    }
    if visible:
        stop.update(_details(door))
    return stop


def route_head(route: Route, *, visible: bool) -> dict[str, Any]:
    """The route's own part of its answer: everything but the stops (no query)."""
    zone = route.plan.branch.zone
    branch = route.plan.branch
    return {
        "id": route.pk,
        "date": route.plan.date,
        "status": route.status,
        "version": route.version,
        "time_zone": str(zone),
        "departure": route.departure,
        "end": route.end,
        "started_at": route.started_at,
        "finished_at": route.finished_at,
        "distance_km": round(route.distance_m / 1000, 1),
        "duration_min": round(route.duration_s / 60),
        "branch": {"id": branch.pk, "name": branch.name,
                   "address": ", ".join(p for p in (branch.settlement, branch.address) if p),
                   "phone": branch.phone, "lat": branch.lat, "lon": branch.lon},
        "details_visible": visible,
        "details_until": details_window(route)[1],
    }


def route_body(route: Route, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The route with its stops in order, as the app shows it. `route` should come from
    `own_route()` (branch selected). The stops are `routing.doors.route_doors`: six queries
    however many stops."""
    visible = details_visible(route, now)
    return {**route_head(route, visible=visible),
            "stops": [stop_body(door, visible=visible) for door in route_doors(route)]}


def changes_since(volunteer: Volunteer, cursor: int, limit: int) -> list[RouteChange]:
    """Up to `limit` + 1 changes after the cursor (one more says there are more)."""
    read = _CHANGES.get(limit)
    if read is None:  # the limit is written in the SQL: one prepared read per limit asked
        read = _CHANGES.setdefault(limit, PreparedRead(
            lambda volunteer_id, cursor: _changes(volunteer_id, cursor, limit),
            "volunteer_id", "cursor"))
    return read.rows(volunteer_id=volunteer.pk, cursor=cursor)


def _changes(volunteer_id: int, cursor: int, limit: int) -> QuerySet[RouteChange]:
    # Of the route only its day is shown (mobile_api.serializers.ChangeSerializer).
    return (RouteChange.objects.filter(volunteer_id=volunteer_id, id__gt=cursor)
            .select_related("route__plan")
            .only("id", "kind", "route", "stop_id", "at", "data", "route__plan",
                  "route__plan__date")
            .order_by("id")[: limit + 1])


_CHANGES: dict[int, PreparedRead] = {}
