"""Reads for the volunteers' app: only the volunteer's own routes, and of each stop only what
the work needs, in a fixed number of queries whatever the number of stops.

The reader's details on a stop (name, address, phone, books) are shown from the start of
the day before the route until MOBILE_DETAILS_HOURS_AFTER hours after it is finished (or
after the end of its day, when it was never finished). Outside that window a stop shows
only what was done: status, times and counts.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound

from backend.core.exceptions import ConflictError
from backend.core.serializers import MAX_ID
from backend.orders.models import LineStatus, OrderLine
from backend.routing.models import Route, RouteChange, RouteStatus, Stop, StopStatus

VISIBLE_ROUTE_STATUSES = (RouteStatus.PUBLISHED, RouteStatus.STARTED, RouteStatus.FINISHED)


def branch_zone(branch) -> ZoneInfo:
    return ZoneInfo(getattr(branch, "time_zone", "") or settings.TIME_ZONE)


def branch_today(branch) -> datetime.date:
    return timezone.localdate(timezone=branch_zone(branch))


def own_routes(volunteer) -> QuerySet[Route]:
    return Route.objects.filter(volunteer=volunteer, status__in=VISIBLE_ROUTE_STATUSES)


def routes_on(volunteer, date: datetime.date) -> QuerySet[Route]:
    """The volunteer's published, started or finished routes on a day, with stop counts."""
    live = ~Q(stops__status=StopStatus.CANCELLED)
    return (
        own_routes(volunteer).filter(plan__date=date)
        .select_related("plan__branch")
        .annotate(
            stops_total=Count("stops", filter=live),
            stops_open=Count("stops", filter=Q(stops__status__in=[StopStatus.PLANNED,
                                                                  StopStatus.ARRIVED])),
        )
        .order_by("id")
    )


def own_route(volunteer, pk: int) -> Route:
    """The volunteer's own visible route, or 404 (another volunteer's route is "not found")."""
    if not 0 < pk <= MAX_ID:  # no database row has such an id; SQLite cannot even compare it
        raise NotFound()
    route = own_routes(volunteer).select_related("plan__branch").filter(pk=pk).first()
    if route is None:
        raise NotFound()
    return route


def own_stop(volunteer, pk: int) -> Stop:
    """A stop on one of the volunteer's visible routes.

    A stop that was on their route and has since been moved to someone else answers
    `stop.not_on_your_route` (409) so the app can drop it; any other id answers 404.
    """
    if not 0 < pk <= MAX_ID:  # no database row has such an id; SQLite cannot even compare it
        raise NotFound()
    stop = (Stop.objects.select_related("route", "plan")
            .filter(pk=pk, route__volunteer=volunteer,
                    route__status__in=VISIBLE_ROUTE_STATUSES).first())
    if stop is not None:
        return stop
    if RouteChange.objects.filter(volunteer=volunteer, stop_id=pk).exists():
        from django.utils.translation import gettext as _

        raise ConflictError("stop.not_on_your_route",
                            _("This stop is no longer on your route."))
    raise NotFound()


def details_window(route: Route) -> tuple[datetime.datetime, datetime.datetime]:
    """When the reader details of the route's stops may be seen."""
    zone = branch_zone(route.plan.branch)
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
ADDRESS_KEYS = ("settlement", "street", "house", "apartment", "entrance", "floor", "door_code",
                "elevator", "landmark")
PERSON_KEYS = ("id", "last_name", "first_name", "patronymic", "caregiver_name", "caregiver_phone")


def _name(row: dict, prefix: str = "") -> str:
    return " ".join(p for p in (row[f"{prefix}last_name"], row[f"{prefix}first_name"],
                                row[f"{prefix}patronymic"]) if p)


def _person(row: dict, prefix: str = "") -> SimpleNamespace:
    """Enough of a reader for reports.route_sheet.call_ahead_phone."""
    return SimpleNamespace(pk=row[f"{prefix}id"], full_name=_name(row, prefix),
                           caregiver_phone=row[f"{prefix}caregiver_phone"],
                           caregiver_name=row[f"{prefix}caregiver_name"])


def _stop_rows(route: Route) -> list[dict[str, Any]]:
    """The route's stops with what the door needs, as plain rows: the same rules as the
    route sheet (reports.route_sheet.route_sheet_data), read with values() so forty stops
    cost seven queries and no model instances."""
    from backend.circulation.models import Loan, LoanStatus
    from backend.readers.models import Reader, ReaderPhone, ReaderStatus
    from backend.reports.route_sheet import call_ahead_phone

    reader_fields = [f"reader__{k}" for k in (*PERSON_KEYS, *ADDRESS_KEYS, "lat", "lon",
                                               "access_notes", "family_card_id")]
    family_fields = [f"family_card__{k}" for k in (*ADDRESS_KEYS, "lat", "lon", "access_notes",
                                                    "name")]
    stops = list(
        Stop.objects.filter(route=route).exclude(status=StopStatus.CANCELLED)
        .order_by("sequence", "id")
        .values("id", "sequence", "kind", "status", "window_start", "window_end",
                "expected_arrival", "arrived_at", "completed_at", "fail_reason", "note", "lat",
                "lon", "reader_id", "family_card_id", *reader_fields, *family_fields)
    )
    if not stops:
        return []
    stop_ids = [row["id"] for row in stops]
    family_ids = {row["family_card_id"] for row in stops if row["family_card_id"]}
    orders_of: dict[int, list[int]] = defaultdict(list)
    for stop_id, order_id in Stop.orders.through.objects.filter(
            stop_id__in=stop_ids).values_list("stop_id", "order_id"):
        orders_of[stop_id].append(order_id)
    order_ids = {o for ids in orders_of.values() for o in ids}
    lines_of: dict[int, list[dict]] = defaultdict(list)
    delivered_of: dict[int, int] = defaultdict(int)
    if order_ids:
        for line in (OrderLine.objects.filter(order_id__in=order_ids,
                                              status__in=[LineStatus.RESERVED,
                                                          LineStatus.DELIVERED])
                     .order_by("order_id", "position", "id")
                     .values("order_id", "status", "item__barcode", "item__title__title",
                             "item__title__authors", "item__title__format", "title__title",
                             "title__authors", "title__format", "reader__last_name",
                             "reader__first_name", "reader__patronymic")):
            if line["status"] == LineStatus.DELIVERED:
                delivered_of[line["order_id"]] += 1
            else:
                lines_of[line["order_id"]].append(line)
    households = Q(reader_id__in={row["reader_id"] for row in stops})
    if family_ids:
        households |= Q(family_card_id__in=family_ids) | Q(reader__family_card_id__in=family_ids)
    loans = list(
        Loan.objects.filter(status=LoanStatus.ACTIVE, due_date__lte=route.plan.date)
        .filter(households).order_by("due_date", "id")
        .values("reader_id", "family_card_id", "reader__family_card_id", "due_date",
                "item__barcode", "title__title", "title__authors", "reader__last_name",
                "reader__first_name", "reader__patronymic")
    )
    members_of: dict[int, list[dict]] = defaultdict(list)
    if family_ids:
        for member in (Reader.objects.filter(family_card_id__in=family_ids)
                       .exclude(status=ReaderStatus.CLOSED)
                       .order_by("last_name", "first_name", "id")
                       .values("family_card_id", *PERSON_KEYS)):
            members_of[member["family_card_id"]].append(member)
    people = {row["reader_id"] for row in stops}
    people |= {m["id"] for group in members_of.values() for m in group}
    phones: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for phone in (ReaderPhone.objects.filter(reader_id__in=people)
                  .order_by("reader_id", "position", "id")
                  .values("reader_id", "number", "kind", "sms_ok")):
        phones[phone["reader_id"]].append(SimpleNamespace(**phone))

    rows = []
    for number, stop in enumerate(stops, start=1):
        reader = _person(stop, "reader__")
        family_id = stop["family_card_id"]
        others = [m for m in members_of.get(family_id, []) if m["id"] != stop["reader_id"]]
        # A family card without a street or house yet: the reader's own address is better.
        prefix = "family_card__" if family_id and (stop["family_card__street"]
                                                   or stop["family_card__house"]) else "reader__"
        hand_over = []
        for order_id in orders_of.get(stop["id"], []):
            for line in lines_of.get(order_id, []):
                p = "item__title__" if line["item__barcode"] else "title__"
                hand_over.append({
                    "title": line[f"{p}title"] or "",
                    "authors": ", ".join(line[f"{p}authors"] or []),
                    "format": line[f"{p}format"] or "",
                    "barcode": line["item__barcode"] or "",
                    "for": _name(line, "reader__"),
                })
        collect = [
            {"title": loan["title__title"], "authors": ", ".join(loan["title__authors"] or []),
             "barcode": loan["item__barcode"], "due_date": loan["due_date"],
             "from": _name(loan, "reader__")}
            for loan in loans
            if loan["reader_id"] == stop["reader_id"] or (
                family_id and family_id in (loan["family_card_id"],
                                            loan["reader__family_card_id"]))
        ]
        notes = [text.strip() for text in (stop["family_card__access_notes"] or "",
                                           stop["reader__access_notes"] or "") if text.strip()]
        rows.append({
            **stop,
            "number": number,
            "name": reader.full_name,
            "members": [_name(m) for m in others],
            "address": {k: stop[f"{prefix}{k}"] for k in ADDRESS_KEYS},
            "access_notes": notes,
            "phone": call_ahead_phone([reader, *(_person(m) for m in others)], phones),
            "lat": stop["lat"] if stop["lat"] is not None else stop[f"{prefix}lat"],
            "lon": stop["lon"] if stop["lon"] is not None else stop[f"{prefix}lon"],
            "hand_over": hand_over,
            "collect": collect,
            "items_delivered": sum(delivered_of.get(o, 0) for o in orders_of.get(stop["id"], [])),
        })
    return rows


def route_body(route: Route, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The route with its stops in order, as the app shows it. `route` should come from
    `own_route()` (branch selected). Seven queries at most however many stops."""
    visible = details_visible(route, now)
    zone = branch_zone(route.plan.branch)
    stops = []
    for row in _stop_rows(route):
        stop = {
            "id": row["id"],
            "number": row["number"],
            "sequence": row["sequence"],
            "kind": row["kind"],
            "status": row["status"],
            "window_start": row["window_start"],
            "window_end": row["window_end"],
            "expected_arrival": row["expected_arrival"],
            "arrived_at": row["arrived_at"],
            "completed_at": row["completed_at"],
            "fail_reason": row["fail_reason"] or "",
            "items_to_hand_over": len(row["hand_over"]),
            "items_to_collect": len(row["collect"]),
            "items_delivered": row["items_delivered"],
            "details": visible,
        }
        if visible:
            stop.update({key: row[key] for key in DETAIL_KEYS})
        stops.append(stop)
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
        "stops": stops,
    }


def changes_since(volunteer, cursor: int, limit: int) -> list[RouteChange]:
    return list(
        RouteChange.objects.filter(volunteer=volunteer, id__gt=cursor)
        .select_related("route__plan").order_by("id")[: limit + 1]
    )
