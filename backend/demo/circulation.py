"""Demo history: past visits with their loans, some books still out (a few overdue).

Made through the real order flow (order → ready → scheduled → delivered → loans, returns on
a later visit), then moved back in time, so the desk, reading history and reports have a
believable past. Runs once: it does nothing when loans already exist.
"""
import datetime
import random

from django.utils import timezone

from backend.catalog.models import Item, ItemStatus
from backend.circulation import services as circulation_services
from backend.circulation.models import Loan, ReturnChannel
from backend.demo.base import demo_step
from backend.orders import services as order_services
from backend.orders.models import Order, OrderEvent
from backend.readers.models import Reader, ReaderStatus

SEED = 3


def _free_items(rng: random.Random, reader: Reader, count: int, used: set[int]) -> list[Item]:
    pool = list(
        Item.objects.filter(branch=reader.branch, status=ItemStatus.AVAILABLE,
                            title__language=reader.language)
        .exclude(title_id__in=used).values_list("id", flat=True)[:400]
    )
    rng.shuffle(pool)
    items = list(Item.objects.filter(pk__in=pool[:count]))
    used.update(item.title_id for item in items)
    return items


def _visit(reader: Reader, items: list[Item], when: datetime.datetime, by) -> Order:
    """One delivered visit, through the services, dated `when`."""
    order = order_services.order_create(
        reader=reader, lines=[{"barcode": item.barcode} for item in items], by=by,
        window_start=datetime.time(10), window_end=datetime.time(13),
    )
    order_services.order_mark_ready(order=order, by=by)
    order_services.order_schedule(order=order, date=when.date(), by=by)
    order_services.order_deliver(order=order, delivered=[i.barcode for i in items], by=by)
    branch = reader.branch
    Order.objects.filter(pk=order.pk).update(
        created_at=when - datetime.timedelta(days=3), updated_at=when,
        preferred_date=when.date(), scheduled_date=when.date(),
    )
    OrderEvent.objects.filter(order=order).update(at=when)
    Loan.objects.filter(order_line__order=order).update(
        issued_at=when, due_date=when.date() + datetime.timedelta(days=branch.loan_days),
    )
    return order


def load_demo_loans(ctx) -> None:
    if Loan.objects.exists():
        ctx.out("  loans: already there")
        return
    rng = random.Random(SEED)
    now = timezone.now().replace(hour=7, minute=0, second=0, microsecond=0)
    by = ctx.actor
    readers = Reader.objects.filter(status=ReaderStatus.ACTIVE).select_related(
        "branch", "family_card").order_by("id")
    visits = loans = 0
    for reader in readers:
        used: set[int] = set()
        # Past visits, their books since returned on the next visit.
        for _ in range(rng.choice([0, 1, 2, 3])):
            items = _free_items(rng, reader, rng.randint(1, 3), used)
            if not items:
                break
            when = now - datetime.timedelta(days=rng.randint(40, 330))
            _visit(reader, items, when, by)
            for item in items:
                loan = circulation_services.loan_return(barcode=item.barcode, by=by,
                                                        channel=ReturnChannel.VISIT)
                Loan.objects.filter(pk=loan.pk).update(
                    returned_at=when + datetime.timedelta(days=rng.randint(14, 35)))
            visits += 1
            loans += len(items)
        # Books still out: due in the coming weeks, a few already overdue.
        if rng.random() < 0.45:
            items = _free_items(rng, reader, rng.randint(1, 3), used)
            if items:
                when = now - datetime.timedelta(days=rng.randint(5, 40))
                _visit(reader, items, when, by)
                visits += 1
                loans += len(items)
    ctx.made("visits", visits)
    ctx.made("loans", loans)
    ctx.out(f"  history: {visits} visits, {loans} loans")


@demo_step("loans", order=700)
def loans_step(ctx) -> None:
    load_demo_loans(ctx)

