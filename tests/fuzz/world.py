"""A small district for the fuzzer: enough real rows that ids in paths sometimes hit one."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from backend.notifications.models import InboxItem, InboxKind
from backend.orders.models import CallLog, LineStatus, Order, OrderLine
from backend.plans.models import StandingPlan, StandingPlanPause
from tests.factories import (
    BranchFactory,
    FamilyCardFactory,
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
    UserFactory,
)
from tests.mobile_api.conftest import make_volunteer, published_route
from tests.volunteers.factories import AbsenceFactory

# Real ids by the word before `{id}` in a path ("readers", "stops", "pauses"...), offered to
# the generator next to the numbers it makes up. Filled while a fuzz module runs.
REAL_IDS: dict[str, list[int]] = {}


@dataclass
class World:
    users: dict[str, object] = field(default_factory=dict)
    ids: dict[str, list[int]] = field(default_factory=dict)


def build_world() -> World:
    """A branch, one user per role, a volunteer with today's published route of three stops
    (one a family), readers with phones, a family card, titles and copies, a loan, orders at
    each early step, a standing plan with a pause, a call, an inbox item and an incoming call."""
    world = World()
    today = timezone.localdate()
    branch = BranchFactory(code="FZ1", name="Бишкуль", lat=54.0, lon=69.0)
    for role in ("librarian", "operator", "coordinator"):
        world.users[role] = UserFactory(role=role, username=f"fuzz-{role}")

    volunteer = make_volunteer(branch)
    world.users["volunteer"] = volunteer.user
    absence = AbsenceFactory(volunteer=volunteer)
    route = published_route(volunteer, stops=3, items=1, collect=1, family_every=2)

    family = FamilyCardFactory(branch=branch, name="Семья Сейтказиевых")
    readers = []
    for n, (last, first) in enumerate([("Ахметова", "Сәуле"), ("Иванов", "Пётр"),
                                        ("Жұмабаев", "Нұрлан")]):
        reader = ReaderFactory(branch=branch, last_name=last, first_name=first,
                               family_card=family if n < 2 else None)
        ReaderPhoneFactory(reader=reader, number=f"+7701555000{n}")
        readers.append(reader)
    family.head = readers[0]
    family.save(update_fields=["head"])

    titles = [TitleFactory(title=name) for name in ("Абай жолы", "Война и мир", "Көшпенділер")]
    items = [ItemFactory(title=title, branch=branch) for title in titles]
    loan = LoanFactory(reader=readers[1],
                       item=ItemFactory(branch=branch, title=titles[1], status="on_loan"))

    orders = []
    for status in ("new", "picking", "ready"):
        order = Order.objects.create(reader=readers[2], branch=branch, status=status,
                                     preferred_date=today + datetime.timedelta(days=3))
        OrderLine.objects.create(order=order, reader=readers[2], kind="title", title=titles[0],
                                 status=LineStatus.WAITING)
        orders.append(order)

    plan = StandingPlan.objects.create(
        reader=readers[2], rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", starts_on=today,
        window_start=datetime.time(10), window_end=datetime.time(12))
    pause = StandingPlanPause.objects.create(plan=plan, starts_on=today + datetime.timedelta(30),
                                             ends_on=today + datetime.timedelta(40))
    CallLog.objects.create(phone="+77015550000", reader=readers[0], started_at=timezone.now(),
                           operator=world.users["operator"], outcome="order_taken")
    inbox = InboxItem.objects.create(kind=InboxKind.MOVE_REQUEST, reader=readers[0],
                                     phone="+77015550000", text="2")
    call = InboxItem.objects.create(kind=InboxKind.CALL, reader=readers[0], phone="+77015550000")

    world.ids = {
        "readers": [r.pk for r in readers],
        "family-cards": [family.pk],
        "titles": [t.pk for t in titles],
        "items": [i.pk for i in items],
        "loans": [loan.pk],
        "orders": [o.pk for o in orders]
        + list(route.stops.values_list("orders__pk", flat=True)),
        "order-lines": list(OrderLine.objects.values_list("pk", flat=True)),
        "standing-plans": [plan.pk],
        "pauses": [pause.pk],
        "volunteers": [volunteer.pk],
        "shifts": list(volunteer.shifts.values_list("pk", flat=True)),
        "absences": [absence.pk],
        "plans": [route.plan_id],
        "routes": [route.pk],
        "stops": list(route.stops.values_list("pk", flat=True)),
        "inbox": [inbox.pk],
        "incoming": [call.pk],
    }
    return world
