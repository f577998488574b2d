"""What a volunteer does on the day: a route started and finished, each door arrived at,
completed or failed. Each change of a route's or a stop's status is one function, atomic, with
the row locked; the volunteer app, the staff API and the admin all come through here (and
through `routing.services`, which names them too)."""
from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.circulation import services as circulation_services
from backend.circulation.models import ReturnChannel
from backend.core import atomic
from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.prepared import PreparedRead, PreparedSave
from backend.orders import services as order_services
from backend.orders.models import LineStatus, Order, OrderLine, OrderStatus
from backend.routing import messages as routing_messages
from backend.routing import route_version
from backend.routing.models import Route, RouteStatus, Stop, StopStatus

if TYPE_CHECKING:
    from backend.accounts.models import User


def _stop_orders(stop_id: int) -> QuerySet[Order]:
    """The stop's orders (`stop.orders`), locked."""
    return Order.objects.filter(stops=stop_id).select_for_update(of=("self",))


def _reserved_lines(order_ids: list[int]) -> QuerySet[OrderLine]:
    """The orders' lines with a copy reserved, locked, as order_deliver reads them (copy and
    reader's branch, `copy_on_loan`)."""
    return (OrderLine.objects.select_for_update(of=("self",))
            .select_related("item", "reader__branch")
            .filter(order__in=order_ids, item__isnull=False, status=LineStatus.RESERVED)
            .annotate(copy_on_loan=circulation_services.on_loan()))


# Read at every complete or fail, always in the action's transaction: their SQL built once
# (backend.core.prepared).
_STOP_ORDERS = PreparedRead(_stop_orders, "stop_id")
_RESERVED_LINES = PreparedRead(_reserved_lines, "order_ids", lists=("order_ids",))
# What each change writes (`save(update_fields=...)`), its UPDATE built once too.
_ROUTE_STARTED = PreparedSave(Route, "status", "started_at", "version", "updated_at")
_ROUTE_FINISHED = PreparedSave(Route, "status", "finished_at", "version", "updated_at")
_STOP_ARRIVED = PreparedSave(Stop, "status", "arrived_at", "updated_at")
_STOP_COMPLETED = PreparedSave(Stop, "status", "completed_at", "arrived_at", "note", "updated_at")
_STOP_FAILED = PreparedSave(Stop, "status", "fail_reason", "note", "completed_at", "updated_at")


def _lock_route(route: Route) -> Route:
    return Route.objects.select_for_update(of=("self",)).select_related("plan").get(pk=route.pk)


def _lock_stop(stop: Stop, locked: bool = False) -> Stop:
    """The stop's row locked and read again; `locked`: the caller read it so already."""
    if locked:
        return stop
    return (Stop.objects.select_for_update(of=("self",)).select_related("route", "plan__branch")
            .get(pk=stop.pk))


@atomic.service
def route_start(*, route: Route, by: User | None = None,
                at: datetime.datetime | None = None, locked: bool = False) -> Route:
    """The volunteer sets out. Only a published route can start; starting twice is fine.
    `locked` (also in route_finish): the caller read `route` as _lock_route does
    (mobile_api.selectors.own_route)."""
    route = route if locked else _lock_route(route)
    if route.status == RouteStatus.DRAFT:
        raise ConflictError("route.not_published", _("This route is not published yet."))
    if route.status == RouteStatus.FINISHED:
        raise ConflictError("route.finished", _("This route is already finished."))
    if route.status == RouteStatus.PUBLISHED:
        route.status = RouteStatus.STARTED
        route.started_at = at or timezone.now()
        route.version += 1
        _ROUTE_STARTED.save(route)
        order_services.orders_dispatch(by=by, orders=[
            order for stop in route.stops.filter(status=StopStatus.PLANNED)
            .prefetch_related("orders") for order in stop.orders.all()
            if order.status == OrderStatus.SCHEDULED])
    return route


@atomic.service
def route_finish(*, route: Route, by: User | None = None,
                 at: datetime.datetime | None = None, locked: bool = False) -> Route:
    """The day is over. Stops not visited go back to be planned again."""
    route = route if locked else _lock_route(route)
    if route.status == RouteStatus.FINISHED:
        raise ConflictError("route.finished", _("This route is already finished."))
    if route.status != RouteStatus.STARTED:
        raise ConflictError("route.not_started", _("Start the route first."))
    sent_back = False
    for stop in (route.stops.filter(status__in=[StopStatus.PLANNED, StopStatus.ARRIVED])
                 .select_for_update(of=("self",)).select_related("plan__branch")):
        stop.route = route  # the row locked here: each stop's bump is counted on it
        stop_fail(stop=stop, reason="other", note=_("Not visited: the route was finished."),
                  by=by, at=at, locked=True)
        sent_back = True
    if sent_back and not getattr(route, "as_written", False):
        # The bumps were plain UPDATEs (no rows returned): the version as they left it.
        route.version = Route.objects.filter(pk=route.pk).values_list("version", flat=True).get()
    route.status = RouteStatus.FINISHED
    route.finished_at = at or timezone.now()
    route.version += 1
    _ROUTE_FINISHED.save(route)
    return route


def _check_stop_on_started_route(stop: Stop, by, at) -> None:
    route = stop.route
    if route is None or route.status == RouteStatus.DRAFT:
        raise ConflictError("route.not_published", _("This stop is not on a published route."))
    if route.status == RouteStatus.PUBLISHED:
        route_start(route=route, by=by, at=at)  # the first door of the day starts the route
    elif route.status == RouteStatus.FINISHED:
        raise ConflictError("route.finished", _("This route is already finished."))


def _check_open(stop: Stop) -> None:
    if stop.status == StopStatus.COMPLETED:
        raise ConflictError("stop.already_completed", _("This stop is already done."))
    if stop.status == StopStatus.FAILED:
        raise ConflictError("stop.already_failed",
                            _("This stop was already recorded as not done."))
    if stop.status == StopStatus.CANCELLED:
        raise ConflictError("stop.cancelled", _("This stop was cancelled."))


@atomic.service
def stop_arrive(*, stop: Stop, by: User | None = None, at: datetime.datetime | None = None,
                locked: bool = False) -> Stop:
    """The volunteer is at the door; arriving twice is harmless. `locked` (also in stop_complete
    and stop_fail): the caller read `stop` as _lock_stop does (mobile_api.selectors.own_stop)."""
    stop = _lock_stop(stop, locked)
    _check_open(stop)
    _check_stop_on_started_route(stop, by, at)
    if stop.status == StopStatus.PLANNED:
        stop.status = StopStatus.ARRIVED
        stop.arrived_at = at or timezone.now()
        _STOP_ARRIVED.save(stop)
        route_version.bump(stop.route)
        routing_messages.on_stop_arrived(stop)
    return stop


@atomic.service
def stop_complete(*, stop: Stop, delivered: Iterable[str] = (), collected: Iterable[str] = (),
                  note: str = "", by: User | None = None,
                  at: datetime.datetime | None = None, locked: bool = False) -> dict:
    """Record what was handed over and taken back: loans start for the copies delivered,
    returns are recorded for the copies collected. An order whose copies were all refused
    goes back to be planned again."""
    stop = _lock_stop(stop, locked)
    _check_open(stop)
    _check_stop_on_started_route(stop, by, at)
    delivered = list(dict.fromkeys(b.strip() for b in delivered if b and b.strip()))
    collected = list(dict.fromkeys(b.strip() for b in collected if b and b.strip()))
    orders = _STOP_ORDERS.rows(stop_id=stop.pk)
    # Read locked as order_deliver reads them, once for all orders: it is given them.
    reserved: dict[int, list[OrderLine]] = {order.pk: [] for order in orders}
    for line in _RESERVED_LINES.rows(order_ids=[order.pk for order in orders]):
        reserved[line.order_id].append(line)
    barcode_order = {line.item.barcode: order for order in orders for line in reserved[order.pk]}
    unknown = [b for b in delivered if b not in barcode_order]
    if unknown:
        raise ApplicationError(
            "stop.unknown_barcode",
            _("Copy %(barcode)s is not to be handed over at this stop.") % {"barcode": unknown[0]},
            fields={"delivered": unknown},
        )
    loans = []
    for order in orders:
        mine = [b for b in delivered if barcode_order.get(b) == order]
        current = order  # read under its lock above, or as order_dispatch locked and wrote it
        if order.status == OrderStatus.SCHEDULED:
            current = order_services.order_dispatch(order=order, by=by)
        if mine:
            result = order_services.order_deliver(order=current, delivered=mine, by=by,
                                                  locked=True, lines=reserved[order.pk])
            loans.extend(result["loans"])
        elif order.status == OrderStatus.OUT_FOR_DELIVERY:
            order_services.order_fail(order=order, reason="refused",
                                      note=_("Nothing of this order was handed over."), by=by,
                                      locked=True)
    returns = circulation_services.loans_return(barcodes=collected, by=by,
                                                channel=ReturnChannel.VISIT)
    stop.status = StopStatus.COMPLETED
    stop.completed_at = at or timezone.now()
    stop.note = note or stop.note
    if stop.arrived_at is None:
        stop.arrived_at = stop.completed_at
    _STOP_COMPLETED.save(stop)
    route_version.bump(stop.route)
    return {"stop": stop, "loans": loans, "returns": returns}


@atomic.service
def stop_fail(*, stop: Stop, reason: str, note: str = "", by: User | None = None,
              at: datetime.datetime | None = None, locked: bool = False) -> Stop:
    """Nobody home, refused, could not get there: the orders go back to be planned again
    and the coordinator sees why."""
    stop = _lock_stop(stop, locked)
    _check_open(stop)
    if stop.route is not None and stop.route.status == RouteStatus.PUBLISHED:
        route_start(route=stop.route, by=by, at=at)
    for order in _STOP_ORDERS.rows(stop_id=stop.pk):
        if order.status in (OrderStatus.SCHEDULED, OrderStatus.OUT_FOR_DELIVERY):
            order_services.order_fail(order=order, reason=reason, note=note, by=by,
                                      locked=True)
    stop.status = StopStatus.FAILED
    stop.fail_reason = reason
    stop.note = note or stop.note
    stop.completed_at = at or timezone.now()
    _STOP_FAILED.save(stop)
    if stop.route_id:
        route_version.bump(stop.route)
    return stop
