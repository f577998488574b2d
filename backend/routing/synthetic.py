"""Synthetic days for benchmarks and scale tests: a branch, readers with ready orders and
volunteers with shifts, scattered around a city centre. Deterministic for a seed."""
import datetime
import math
import random

from backend.branches.models import Branch
from backend.catalog.models import Item, ItemStatus, Title
from backend.orders.models import LineStatus, Order, OrderLine, OrderStatus
from backend.readers.models import Reader, ReaderStatus
from backend.volunteers.models import Shift, Volunteer

CENTRE = (54.8667, 69.15)  # Petropavl


def make_day(*, stops: int, volunteers: int, day: datetime.date, seed: int = 0,
             radius_km: float = 6.0) -> Branch:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    rng = random.Random(seed)
    branch = Branch.objects.create(code=f"SY{seed % 100:02d}", name=f"Synthetic {seed}",
                                   settlement="Петропавловск", lat=CENTRE[0], lon=CENTRE[1])
    title = Title.objects.create(title="Synthetic title", authors=["Test"])
    group, _ = Group.objects.get_or_create(name="volunteer")
    user_model = get_user_model()
    transports = ["foot", "bicycle", "car", "public_transport"]
    for i in range(volunteers):
        user = user_model.objects.create(username=f"synthetic-{seed}-{i}")
        user.groups.add(group)
        v = Volunteer.objects.create(
            user=user, branch=branch, transport=transports[i % 4],
            capacity=rng.choice([15, 20, 25, 40]), max_stops=rng.choice([15, 20, 25]),
            languages=rng.choice([["kk", "ru"], ["ru"], ["kk", "ru"], ["kk"]]),
        )
        start = rng.choice([8, 9, 10])
        Shift.objects.create(volunteer=v, rrule="FREQ=DAILY", starts_on=day,
                             start_time=datetime.time(start), end_time=datetime.time(start + 8))
    readers, orders, lines, items = [], [], [], []
    for i in range(stops):
        angle = rng.uniform(0, 2 * math.pi)
        dist = radius_km * math.sqrt(rng.random())
        lat = CENTRE[0] + dist / 111.0 * math.sin(angle)
        lon = CENTRE[1] + dist / (111.0 * math.cos(math.radians(CENTRE[0]))) * math.cos(angle)
        readers.append(Reader(
            branch=branch, card_number=f"SY{seed}-{i:05d}", last_name=f"Reader{i}",
            first_name="Synthetic", category="elderly", status=ReaderStatus.ACTIVE,
            language=rng.choice(["kk", "ru", "ru"]), consent_date=day,
            lat=round(lat, 6), lon=round(lon, 6),
        ))
    Reader.objects.bulk_create(readers)
    for reader in readers:
        start = rng.choice([9, 10, 11, 12, 13, 14, 15])
        width = rng.choice([2, 3, 4, 8])
        orders.append(Order(
            reader=reader, branch=branch, status=OrderStatus.READY, preferred_date=day,
            window_start=datetime.time(start), window_end=datetime.time(min(start + width, 20)),
        ))
    Order.objects.bulk_create(orders)
    for i in range(len(orders)):
        for k in range(rng.choice([1, 2, 2, 3])):
            items.append(Item(title=title, barcode=f"SY{seed}-{i:05d}-{k}", branch=branch,
                              status=ItemStatus.RESERVED))
    Item.objects.bulk_create(items)
    by_order: dict[int, list[Item]] = {}
    for item in items:
        index = int(item.barcode.split("-")[1])
        by_order.setdefault(index, []).append(item)
    for i, order in enumerate(orders):
        for item in by_order[i]:
            lines.append(OrderLine(order=order, reader=order.reader, kind="title", title=title,
                                   item=item, status=LineStatus.RESERVED))
    OrderLine.objects.bulk_create(lines)
    return branch
