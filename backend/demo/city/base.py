"""The scale of the generated city, its report, and the machinery its phases share: primary
keys handed out in advance, rows written in bulk (COPY on PostgreSQL), timestamps of the past."""
from __future__ import annotations

import datetime
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models

from backend.demo.city.words import MOBILE_PREFIXES

CENTRE = (51.1605, 71.4704)  # Astana
CODE_PREFIX = "AST"
BRANCHES = (
    # (name, settlement district, latitude, longitude)
    ("Центральная библиотека им. Абая", "район Есиль", 51.1694, 71.4491),
    ("Библиотека-филиал № 2", "район Алматы", 51.1480, 71.5190),
    ("Библиотека-филиал № 3", "район Сарыарка", 51.1870, 71.3990),
    ("Библиотека-филиал № 4", "район Нура", 51.1100, 71.4200),
    ("Библиотека-филиал № 5", "район Байқоңыр", 51.1790, 71.4550),
    ("Библиотека-филиал № 6", "район Нура, Комсомольский", 51.0800, 71.4700),
    ("Библиотека-филиал № 7", "район Алматы, Оңтүстік-Шығыс", 51.1300, 71.5000),
    ("Библиотека-филиал № 8", "район Байқоңыр, Целинный", 51.1950, 71.4200),
    ("Библиотека-филиал № 9", "район Сарыарка, Көктал", 51.2000, 71.3600),
    ("Библиотека-филиал № 10", "район Сарыарка, Железнодорожный", 51.2050, 71.4000),
    ("Библиотека-филиал № 11", "район Есиль, Интернациональный", 51.1600, 71.3800),
    ("Библиотека-филиал № 12", "район Есиль, Ақбұлақ", 51.1450, 71.3900),
)
VOLUNTEERS_PER_BRANCH = 20
READER_RADIUS_KM = 3.5
ACTIVE_LOAN_SHARE = 0.08  # of all loans, still out today
OVERDUE_SHARE = 0.03  # of the loans still out
MAX_ACTIVE_PER_READER = 4  # room left under the branch limit of 10 for new orders
HISTORY_DAYS = 3 * 365
BATCH = 2000


@dataclass(frozen=True)
class CityScale:
    readers: int = 20_000
    volunteers: int = 200
    loans: int = 300_000
    operators: int = 10
    stops_per_route: int = 6
    seed: int = 1

    @property
    def branches(self) -> int:
        return max(1, min(len(BRANCHES), math.ceil(self.volunteers / VOLUNTEERS_PER_BRANCH)))

    @property
    def titles(self) -> int:
        return max(100, self.loans // 20)


@dataclass
class CityReport:
    scale: CityScale
    today: datetime.date
    next_day: datetime.date
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale": {name: getattr(self.scale, name) for name in
                      ("readers", "volunteers", "loans", "operators", "stops_per_route", "seed")},
            "today": self.today.isoformat(),
            "next_day": self.next_day.isoformat(),
            "seconds": round(self.seconds, 1),
            "rows": dict(sorted(self.counts.items())),
        }


class CityExistsError(Exception):
    """The database already has the generated city's branches."""


def city_branch_code(number: int) -> str:
    return f"{CODE_PREFIX}{number:02d}"


@contextmanager
def own_timestamps(model_list: Iterable[type[models.Model]]):
    """Let generated rows carry their own past dates: `auto_now` and `auto_now_add` would
    stamp every row with the moment of the bulk insert."""
    switched = []
    for model in model_list:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                switched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, now_add in switched:
            f.auto_now, f.auto_now_add = now, now_add


class _Ids:
    """Primary keys handed out before anything is written, so rows can point at each other."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def __call__(self, model: type[models.Model]) -> int:
        if model not in self._next:
            top = model.objects.aggregate(top=models.Max("pk"))["top"] or 0
            self._next[model] = top + 1
        value = self._next[model]
        self._next[model] = value + 1
        return value

    @property
    def models(self) -> list[type[models.Model]]:
        return list(self._next)


@dataclass
class Household:
    """A stop's worth of people: a reader alone, or a family card and its members."""

    head: Any
    family: Any = None
    members: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"F{self.family.pk}" if self.family is not None else f"R{self.head.pk}"

    @property
    def address(self):
        return self.family if self.family is not None else self.head



class CityBase:
    """The city being generated: its random source, the rows waiting to be written, what was
    written so far, and the helpers every phase uses."""

    def __init__(self, scale: CityScale, out: Callable[[str], None]) -> None:
        from backend.circulation.models import Loan
        from backend.orders.models import Order, OrderLine

        self.scale = scale
        self.out = out
        self.rng = random.Random(scale.seed)
        self.ids = _Ids()
        self.counts: Counter = Counter()
        self.pending: dict[type[models.Model], list] = defaultdict(list)
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.now = datetime.datetime.now(tz=self.zone)
        self.today = self.now.date()
        self.password = None
        self.phone_serial = 0
        self.Loan, self.Order, self.OrderLine = Loan, Order, OrderLine

    # Writing ---------------------------------------------------------------------------

    def add(self, obj: models.Model) -> models.Model:
        if obj.pk is None and obj._meta.pk.name == "id" and not obj._meta.auto_created:
            obj.pk = self.ids(type(obj))
        self.pending[type(obj)].append(obj)
        return obj

    def flush(self, *model_list: type[models.Model]) -> None:
        for model in model_list or list(self.pending):
            rows = self.pending.pop(model, [])
            if not rows:
                continue
            if connection.vendor == "postgresql":
                _copy(model, rows)
            else:
                model.objects.bulk_create(rows, batch_size=BATCH)
            self.counts[model._meta.label] += len(rows)

    # Helpers ---------------------------------------------------------------------------

    def at(self, day: datetime.date, hour: int = 0, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.zone)

    def days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def mobile(self) -> str:
        """A valid, never repeated Kazakh mobile number."""
        self.phone_serial += 1
        serial = self.phone_serial
        # Multiplying by a number prime to 10**7 walks every 7-digit ending exactly once.
        return (f"+7{MOBILE_PREFIXES[serial % len(MOBILE_PREFIXES)]}"
                f"{(serial * 7_654_321 + 1_234_567) % 10 ** 7:07d}")

    def home_phone(self, serial: int) -> str:
        return f"+77172{2 + serial % 7}{(serial * 76_543 + 12_345) % 10 ** 5:05d}"

    def point_near(self, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
        angle = self.rng.uniform(0, 2 * math.pi)
        dist = radius_km * math.sqrt(self.rng.random())
        return (round(lat + dist / 111.0 * math.sin(angle), 6),
                round(lon + dist / (111.0 * math.cos(math.radians(lat))) * math.cos(angle), 6))

    def weighted(self, pairs) -> Any:
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights)[0]

    def finish(self) -> None:
        """The last phase: whatever is still waiting is written, and the sequences move past
        the primary keys handed out here."""
        from django.core.management.color import no_style

        from backend.catalog.models import Item

        self.flush(Item)
        self.flush()
        statements = connection.ops.sequence_reset_sql(no_style(), self.ids.models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _copy(model: type[models.Model], rows: list[models.Model]) -> None:
    """PostgreSQL's COPY: several times faster than INSERT for a few hundred thousand rows.
    Every row has its primary key already (see _Ids)."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in rows:
            copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection)
                            for f in fields])


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111.0
    dlon = (a[1] - b[1]) * 111.0 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)

