"""Volunteers, their published days and signed-in app clients."""
import datetime
import itertools
import uuid

import pytest
from django.core.cache import cache
from django.test import TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from backend.orders.models import LineStatus, Order, OrderLine
from backend.routing.models import DayPlan, Route, Stop
from mobile_api.auth import tokens_for
from tests.factories import (
    BranchFactory,
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
)
from tests.volunteers.factories import ShiftFactory, VolunteerFactory

PASSWORD = "correct-horse-battery"
_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def new_key() -> str:
    return f"k-{next(_keys)}-{uuid.uuid4().hex[:8]}"


def make_volunteer(branch=None, **kwargs):
    branch = branch or BranchFactory(lat=54.0, lon=69.0)
    volunteer = VolunteerFactory(branch=branch, **kwargs)
    ShiftFactory(volunteer=volunteer, rrule="FREQ=DAILY", starts_on=datetime.date(2026, 1, 1),
                 start_time=datetime.time(9), end_time=datetime.time(18))
    return volunteer


def app_for(volunteer_or_user) -> APIClient:
    """A client signed in with a real JWT, as the app is."""
    user = getattr(volunteer_or_user, "user", volunteer_or_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    client.user = user
    return client


def ask_for_code(client, phone: str, **extra):
    """Ask for a sign-in code and run what the request left for after its commit (the job
    that sends the SMS), as the real commit would; the test's transaction never commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/api/mobile/v1/auth/otp/request/", {"phone": phone}, format="json",
                           **extra)


def post(client, url, body=None, key=None, **extra):
    return client.post(url, body or {}, format="json", HTTP_IDEMPOTENCY_KEY=key or new_key(),
                       **extra)


def route_reads(captured) -> list[str]:
    """The statements of a route read but those writing the card access log (its row and
    links, one statement on PostgreSQL; two INSERTs a kind and, inside a test's transaction,
    their SAVEPOINT and RELEASE elsewhere): what the answer cost to read."""
    sql = [q["sql"] for q in captured]
    log = [i for i, one in enumerate(sql) if "readers_cardaccess" in one]
    assert log, "the route sent was not written in the card access log"
    first, last = log[0], log[-1]
    if first > 0 and sql[first - 1].startswith("SAVEPOINT"):
        first -= 1
    if last + 1 < len(sql) and sql[last + 1].startswith("RELEASE SAVEPOINT"):
        last += 1
    return sql[:first] + sql[last + 1:]


def branch_today(branch) -> datetime.date:
    from mobile_api.selectors import branch_today as today

    return today(branch)


def published_route(volunteer, day=None, *, stops=3, items=2, collect=1, family_every=0):
    """A published route with `stops` stops, each with a scheduled order of `items` reserved
    copies and `collect` loans due back, built directly (no planner) for speed."""
    branch = volunteer.branch
    day = day or branch_today(branch)
    plan, _ = DayPlan.objects.get_or_create(
        branch=branch, date=day,
        defaults={"status": "published", "solve_status": "done", "published_at": timezone.now()})
    route = Route.objects.create(plan=plan, volunteer=volunteer, status="published")
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    for number in range(1, stops + 1):
        family = None
        reader = ReaderFactory(branch=branch, lat=54.0, lon=69.0 + number / 1000,
                               entrance="2", floor=3, door_code="35К", elevator=False,
                               landmark="зелёные ворота", access_notes="Собака во дворе")
        ReaderPhoneFactory(reader=reader)
        if family_every and number % family_every == 0:
            from tests.factories import FamilyCardFactory

            family = FamilyCardFactory(branch=branch, head=reader, street="Абая", house="7")
            reader.family_card = family
            reader.save(update_fields=["family_card"])
            ReaderFactory(branch=branch, family_card=family)
        order = Order.objects.create(reader=reader, branch=branch, status="scheduled",
                                     scheduled_date=day, preferred_date=day, family_card=family)
        for _ in range(items):
            item = ItemFactory(branch=branch, status="reserved")
            OrderLine.objects.create(order=order, reader=reader, kind="title", item=item,
                                     title=item.title, status=LineStatus.RESERVED)
        for _ in range(collect):
            LoanFactory(reader=reader, item=ItemFactory(branch=branch, status="on_loan"),
                        due_date=day - datetime.timedelta(days=1))
        stop = Stop.objects.create(
            plan=plan, route=route, sequence=number, reader=reader, family_card=family,
            household=f"F{family.pk}" if family else f"R{reader.pk}",
            lat=reader.lat, lon=reader.lon, window_start=datetime.time(9),
            window_end=datetime.time(18), load_out=items, load_back=collect,
            expected_arrival=start + datetime.timedelta(minutes=20 * number),
        )
        stop.orders.add(order)
    return route


def stops_of(route):
    return list(route.stops.order_by("sequence"))


def to_hand_over(stop) -> list[str]:
    return [line.item.barcode for order in stop.orders.all()
            for line in order.lines.select_related("item") if line.status == "reserved"]


def due_back(stop) -> list[str]:
    from backend.circulation.models import Loan

    return list(Loan.objects.filter(reader=stop.reader, status="active")
                .values_list("item__barcode", flat=True))


@pytest.fixture
def volunteer(db):
    return make_volunteer()


@pytest.fixture
def app(volunteer):
    return app_for(volunteer)


@pytest.fixture
def route(volunteer):
    return published_route(volunteer)


@pytest.fixture
def depot(db):
    return BranchFactory(code="MDEP", lat=54.0, lon=69.0)
