"""Which addresses a day plan visits, and what happens at each.

A stop is one household (a family card, or a reader on their own): the orders ready for that
branch and day (standing-plan visits are orders too), and pick-ups of returns that are due.
"""
import datetime
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.circulation.selectors import due_back_in_branch
from backend.orders.models import LineStatus, Order, OrderStatus
from backend.orders.readback import visit_window
from backend.readers.models import FamilyStatus, Reader, ReaderStatus
from backend.routing.models import (
    DayPlan,
    Route,
    RouteChange,
    RouteStatus,
    Stop,
    StopKind,
    StopStatus,
)

SERVICE_BASE_MINUTES = 10
SERVICE_PER_ITEM_MINUTES = 2


def household_key(reader: Reader, family_id: int | None) -> str:
    return f"F{family_id}" if family_id else f"R{reader.pk}"


def default_window() -> tuple[datetime.time, datetime.time]:
    start, end = getattr(settings, "ROUTING_DEFAULT_WINDOW", ("09:00", "18:00"))
    return datetime.time.fromisoformat(start), datetime.time.fromisoformat(end)


def home_window(readers: list[Reader], day: datetime.date):
    """The widest span the household is at home that weekday, or None when not recorded."""
    slots = [
        (datetime.time.fromisoformat(s["start"]), datetime.time.fromisoformat(s["end"]))
        for reader in readers for s in (reader.availability or [])
        if int(s["weekday"]) == day.weekday()
    ]
    if not slots:
        return None
    return min(s for s, _ in slots), max(e for _, e in slots)


def stop_window(orders: list[Order], readers: list[Reader], day: datetime.date):
    """The window each reader was told (`orders.readback.visit_window`: the window agreed on
    the phone, or the default one, within the household's home hours that day); several
    orders share their overlap, or keep the first one's. A stop with returns only: the
    household's home hours, else the branch's working hours."""
    told = [visit_window(o.reader, day, o.window_start, o.window_end) for o in orders]
    if told:
        start, end = max(w.start for w in told), min(w.end for w in told)
        return (start, end) if start < end else (told[0].start, told[0].end)
    return home_window(readers, day) or default_window()


def plannable_orders(plan: DayPlan):
    """Ready orders of the branch wanted on or before the day, and those already scheduled
    for it."""
    return (
        Order.objects.filter(branch=plan.branch)
        .filter(
            Q(status=OrderStatus.READY)
            & (Q(preferred_date__lte=plan.date) | Q(preferred_date__isnull=True))
            | Q(status__in=[OrderStatus.SCHEDULED, OrderStatus.OUT_FOR_DELIVERY],
                scheduled_date=plan.date)
        )
        .select_related("reader", "reader__family_card", "family_card")
        .prefetch_related("lines", "family_card__members", "reader__family_card__members")
    )


def _tell(stop: Stop, kind: str, **data) -> None:
    """A change the volunteer's app must hear of (routes they can see only)."""
    route = stop.route
    if route.status == RouteStatus.DRAFT:
        return
    RouteChange.objects.create(route=route, stop=stop, volunteer_id=route.volunteer_id,
                               kind=kind, data=data)
    Route.objects.filter(pk=route.pk).update(version=F("version") + 1)


@transaction.atomic
def plan_collect_stops(*, plan: DayPlan) -> dict:
    """Bring the plan's stops in line with today's orders and due returns.

    Stops keep their pins and progress; a stop whose orders were all cancelled (and with
    nothing due back) is cancelled if nobody has started it.
    """
    plan = DayPlan.objects.select_for_update().get(pk=plan.pk)
    orders = list(plannable_orders(plan))
    groups: dict[str, dict] = defaultdict(lambda: {"orders": [], "reader": None, "family": None})
    for order in orders:
        key = household_key(order.reader, order.family_card_id)
        group = groups[key]
        group["orders"].append(order)
        group["reader"] = group["reader"] or (order.family_card.head if order.family_card_id
                                              and order.family_card.head_id else order.reader)
        group["family"] = order.family_card

    # Returns due by the day, for households that have no order that day.
    due = due_back_in_branch(branch=plan.branch, on_date=plan.date)
    load_back: dict[str, int] = defaultdict(int)
    for loan in due:
        family = loan.family_card or loan.reader.family_card
        family_id = family.pk if family and family.status == FamilyStatus.OPEN else None
        key = household_key(loan.reader, family_id)
        load_back[key] += 1
        if key not in groups:
            group = groups[key]
            group["reader"] = family.head if family_id and family.head_id else loan.reader
            group["family"] = family if family_id else None

    existing = {s.household: s for s in plan.stops.exclude(status=StopStatus.CANCELLED)
                .select_related("reader")}
    created = updated = cancelled = 0
    new: list[tuple[Stop, list[Order]]] = []
    for key, group in groups.items():
        reader = group["reader"]
        family = group["family"]
        members = list(family.members.all()) if family else [reader]
        start, end = stop_window(group["orders"], members, plan.date)
        items_out = sum(
            1 for o in group["orders"] for line in o.lines.all()
            if line.status == LineStatus.RESERVED
        )
        items_back = load_back.get(key, 0)
        address = family if family else reader
        fields = {
            "reader": reader,
            "family_card": family,
            "kind": StopKind.DELIVERY if group["orders"] else StopKind.PICKUP,
            "lat": address.lat,
            "lon": address.lon,
            "window_start": start,
            "window_end": end,
            "service_minutes": SERVICE_BASE_MINUTES
            + SERVICE_PER_ITEM_MINUTES * (items_out + items_back),
            "load_out": items_out,
            "load_back": items_back,
            "languages": sorted({m.language for m in members if m.status == ReaderStatus.ACTIVE}
                                or {reader.language}),
        }
        stop = existing.pop(key, None)
        if stop is None:
            stop = Stop(plan=plan, household=key, **fields)
            # The foreign keys are rows just read, a household comes once (`groups`), and the
            # database keeps the constraints: checking those row by row with queries took
            # most of the time of gathering a city's day.
            stop.full_clean(exclude=["route", "pinned_volunteer", "plan", "reader",
                                     "family_card"],
                            validate_unique=False, validate_constraints=False)
            new.append((stop, group["orders"]))
            created += 1
            continue
        if stop.status == StopStatus.PLANNED:
            changed = [name for name, value in fields.items() if getattr(stop, name) != value]
            for name, value in fields.items():
                setattr(stop, name, value)
            stop.save()
            updated += 1
            if changed and stop.route_id:
                _tell(stop, RouteChange.Kind.STOP_UPDATED, fields=changed)
        stop.orders.set(group["orders"])
    if new:
        Stop.objects.bulk_create([stop for stop, _ in new])
        through = Stop.orders.through
        through.objects.bulk_create([through(stop_id=stop.pk, order_id=order.pk)
                                     for stop, group_orders in new for order in group_orders])
    for stop in existing.values():
        if stop.status == StopStatus.PLANNED:
            stop.status = StopStatus.CANCELLED
            stop.save(update_fields=["status", "updated_at"])
            cancelled += 1
            if stop.route_id:
                _tell(stop, RouteChange.Kind.STOP_CANCELLED)
    return {"created": created, "updated": updated, "cancelled": cancelled,
            "stops": len(groups)}


# Writing a plan's places ----------------------------------------------------------------------


STOP_PLAN_FIELDS = ("route", "sequence", "expected_arrival", "expected_departure",
                    "unserved_reason", "updated_at")


def write_stop_places(stops: list[Stop]) -> None:
    """Write where each stop goes in one prepared statement run for every row (the slowest
    part of writing a city's plan with `bulk_update`, which builds a CASE per field and row
    in Python). Inside `_apply`'s transaction, like the rest of the plan."""
    if not stops:
        return
    now = timezone.now()
    fields = [Stop._meta.get_field(name) for name in STOP_PLAN_FIELDS]
    connection = transaction.get_connection(Stop.objects.db)
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(Stop._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(Stop._meta.pk.column))
    rows = []
    for stop in stops:
        stop.updated_at = now
        rows.append([f.get_db_prep_save(getattr(stop, f.attname), connection) for f in fields]
                    + [stop.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
