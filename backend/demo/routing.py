"""Demo routes: today's day planned and published for the demo volunteers, so whoever signs
in to the volunteer app as one of them sees a real day at once.

Each branch with active volunteers gets 8–12 orders for the day, taken through
`order_create` (copies available in the reader's language, by barcode) and marked ready through
`order_mark_ready`; then the day is planned (`plan_solve`, two seconds) and published. Demo
volunteers work on weekdays: on a weekend or a public holiday the next working day is planned
instead, and the output says so. Idempotent: a branch whose plan for that day exists is left
as it is.
"""
from __future__ import annotations

import datetime
import random

from backend.demo.base import DemoContext, demo_step

SEED = 5
ORDERS_PER_BRANCH = (8, 12)


def demo_day(today: datetime.date) -> datetime.date:
    """Today when it is a working day, else the next one."""
    from backend.core.calendar import working_days

    return next(working_days(today, 14))


def _orders_for(branch, day: datetime.date, rng: random.Random, by) -> int:
    from backend.catalog.models import Item, ItemStatus
    from backend.core.exceptions import ApplicationError
    from backend.orders import services as order_services
    from backend.orders.models import Order, OrderStatus
    from backend.readers.models import Reader, ReaderStatus

    busy = Order.objects.exclude(status__in=[OrderStatus.DELIVERED,
                                             OrderStatus.PARTIALLY_DELIVERED,
                                             OrderStatus.CANCELLED]).values("reader_id")
    readers = list(Reader.objects.filter(branch=branch, status=ReaderStatus.ACTIVE,
                                         lat__isnull=False, lon__isnull=False)
                   .exclude(pk__in=busy).order_by("id"))
    rng.shuffle(readers)
    wanted = rng.randint(*ORDERS_PER_BRANCH)
    made = 0
    for reader in readers:
        if made >= wanted:
            break
        items = list(Item.objects.filter(branch=branch, status=ItemStatus.AVAILABLE,
                                         title__language=reader.language)
                     .order_by("?")[: rng.randint(1, 2)])
        if not items:
            continue
        try:
            order = order_services.order_create(
                reader=reader, lines=[{"barcode": item.barcode} for item in items],
                preferred_date=day, by=by, note="Демо: заказ на сегодня")
            order_services.order_mark_ready(order=order, by=by)
        except ApplicationError:
            continue  # a loan limit, a copy taken meanwhile: the next reader
        made += 1
    return made


@demo_step("routes", order=1000)
def load_routes(ctx: DemoContext) -> None:
    from backend.branches.models import Branch
    from backend.core.calendar import holiday_name
    from backend.routing import services as routing_services
    from backend.routing.models import DayPlan
    from backend.volunteers.models import Volunteer

    day = demo_day(ctx.today)
    if day != ctx.today:
        why = holiday_name(ctx.today) or "weekend"
        ctx.out(f"  routes: today ({ctx.today}) is not a working day ({why}); "
                f"planning {day} instead")
    rng = random.Random(SEED)
    by = ctx.users.get("coordinator")
    branch_ids = Volunteer.objects.filter(active=True).values("branch_id")
    for branch in Branch.objects.filter(pk__in=branch_ids).order_by("id"):
        if DayPlan.objects.filter(branch=branch, date=day).exists():
            ctx.kept("routes")
            continue
        orders = _orders_for(branch, day, rng, ctx.users.get("operator") or by)
        plan = routing_services.plan_get_or_create(branch=branch, date=day, by=by)
        figures = routing_services.plan_solve(plan=plan, by=by, time_limit=2)
        if figures.get("served"):
            routing_services.plan_publish(plan=plan, by=by)
        ctx.made("routes", plan.routes.count())
        ctx.out(f"  routes: {branch.name} {day}: {orders} orders, {figures.get('served', 0)} "
                f"stops served by {figures.get('volunteers', 0)} volunteer(s)")
    ctx.out(f"  {'routes':<13} {ctx.created['routes']:>4} created, "
            f"{ctx.found['routes']:>4} already there")
