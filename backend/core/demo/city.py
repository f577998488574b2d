"""A generated city for load tests: Astana's library service at the scale of DESIGN.md's
"city system" (20,000 readers, 200 volunteers, 300,000 loans by default).

`generate_city(CityScale(...))` writes, in one transaction:

- branches (one per 20 volunteers, up to 12), staff (a librarian and a coordinator per
  branch, the operators) and the volunteers with their profiles and shifts;
- reader cards with phones, addresses, preferences, home hours and caregivers, a few family
  cards, the cards' first history row;
- a catalog (a title per 20 loans, about four copies each, spread over the branches);
- the reading history: past visits (delivered orders, their lines, the loans they started,
  returned since) and the books still out, a few of them overdue;
- today's published day: a route for every volunteer with `stops_per_route` stops, each
  with its scheduled order and reserved copies, and returns due at about half the doors;
- the orders ready for the next working day (what the coordinator plans), a few new orders
  with wishes, and standing plans for about a tenth of the households.

It is fast rather than faithful to every side effect: rows are made in memory and written
with `bulk_create` (primary keys handed out here, so no row waits for another's id). The
services are not called row by row: no outbox messages, no order events for the history,
no card history beyond the first row. What the product reads (statuses, copies' states,
loan limits, windows, languages) follows the services' rules, and tests/core/test_seed_city.py
checks it.
"""
from __future__ import annotations

import datetime
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction

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

KK_LAST = ("Ахметов", "Серікбаев", "Жұмабаев", "Нұрланов", "Қасымов", "Әбілов", "Төлеуов",
           "Оспанов", "Ибраев", "Сүлейменов", "Бекмұхамбетов", "Омаров", "Мұқанов", "Есенов",
           "Байжанов", "Құдайбергенов", "Исабеков", "Жақсыбеков")
KK_MALE = ("Қайрат", "Ерлан", "Серік", "Бауыржан", "Нұрлан", "Асқар", "Мұрат", "Жандос",
           "Талғат", "Ғалым", "Болат", "Әділ", "Ержан", "Дәурен")
KK_FEMALE = ("Әлия", "Гүлнар", "Айгүл", "Ұлжан", "Сәуле", "Жанар", "Бибігүл", "Күләш",
             "Раушан", "Мәдина", "Гүлсара", "Зәуре", "Ақмарал", "Динара")
KK_FATHER = ("Серік", "Қайрат", "Ерлан", "Болат", "Мұрат", "Ахмет", "Жұмабек", "Төлеген",
             "Оспан", "Әбдіхалық")
RU_LAST = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев",
           "Козлов", "Новиков", "Морозов", "Волков", "Фёдоров", "Григорьев", "Белов")
RU_MALE = ("Иван", "Сергей", "Николай", "Виктор", "Владимир", "Александр", "Михаил", "Юрий",
           "Геннадий", "Анатолий", "Пётр", "Василий")
RU_FEMALE = ("Мария", "Валентина", "Галина", "Нина", "Людмила", "Татьяна", "Ольга", "Зинаида",
             "Раиса", "Антонина", "Лидия", "Тамара")
RU_FATHER = (("Иванович", "Ивановна"), ("Петрович", "Петровна"), ("Сергеевич", "Сергеевна"),
             ("Николаевич", "Николаевна"), ("Михайлович", "Михайловна"),
             ("Александрович", "Александровна"), ("Васильевич", "Васильевна"))
STREETS = ("пр. Абая", "ул. Кенесары", "пр. Республики", "ул. Иманова", "пр. Туран",
           "ул. Сарайшык", "пр. Мәңгілік Ел", "ул. Бейбітшілік", "ул. Сейфуллина",
           "ул. Пушкина", "ул. Ауэзова", "ул. Жубанова", "пр. Богенбай батыра",
           "ул. Желтоқсан", "ул. Кравцова", "ул. Московская", "ул. Габдуллина",
           "пр. Кабанбай батыра")
ACCESS_NOTES = ("", "", "", "Домофон не работает, звонить по телефону.",
                "Слышит плохо — звонить дольше.", "Лифт с 3 этажа.",
                "Есіктің коды жұмыс істемейді, телефон соғу керек.", "Собака, не бойтесь.")
CATEGORIES = (("elderly", 45), ("disability_1", 8), ("disability_2", 12), ("disability_3", 8),
              ("child_disability", 3), ("housebound", 10), ("veteran", 6), ("other", 8))
MOBILE_PREFIXES = ("701", "702", "705", "707", "747", "771", "775", "777", "778")
AUTHORS = {
    "kk": ("Абай Құнанбайұлы", "Мұхтар Әуезов", "Ілияс Есенберлин", "Мағжан Жұмабаев",
           "Ғабит Мүсірепов", "Сәбит Мұқанов", "Олжас Сүлейменов", "Мұқағали Мақатаев",
           "Бейімбет Майлин", "Тахауи Ахтанов", "Шерхан Мұртаза", "Әбіш Кекілбаев"),
    "ru": ("Лев Толстой", "Антон Чехов", "Фёдор Достоевский", "Иван Бунин",
           "Константин Паустовский", "Александра Маринина", "Агата Кристи", "Людмила Улицкая",
           "Василий Шукшин", "Михаил Булгаков", "Юрий Домбровский", "Дина Рубина"),
    "en": ("Jane Austen", "Charles Dickens", "Ernest Hemingway", "Agatha Christie"),
}
TITLE_WORDS = {
    "kk": (("Ақ", "Көк", "Алтын", "Ескі", "Ұзақ", "Жасыл", "Мәңгі", "Тұңғыш", "Соңғы", "Күзгі"),
           ("дала", "жол", "көл", "таң", "өлең", "арман", "тау", "бесік", "күз", "әңгімелер")),
    "ru": (("Тихий", "Старый", "Белый", "Дальний", "Последний", "Степной", "Золотой", "Зимний",
            "Забытый", "Долгий", "Светлый", "Тайный"),
           ("берег", "дом", "сад", "путь", "город", "ветер", "час", "огонь", "мост", "день")),
    "en": (("Silent", "Old", "Distant", "Last", "Golden"), ("River", "House", "Road", "Garden")),
}
SUBJECTS = {
    "kk": ("тарих", "поэзия", "қазақ әдебиеті", "өлкетану", "денсаулық", "дін"),
    "ru": ("история", "поэзия", "детективы", "романы", "здоровье", "краеведение", "мемуары",
           "сад и огород", "классика"),
    "en": ("classics", "novels"),
}
WISHES = {"kk": "Поэзия, үлкен әріппен", "ru": "Что-нибудь из детективов, крупный шрифт"}


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
class _Household:
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


class _City:
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

    # Phases ----------------------------------------------------------------------------

    def branches(self) -> None:
        from backend.branches.models import Branch

        codes = [city_branch_code(n) for n in range(1, self.scale.branches + 1)]
        if Branch.objects.filter(code__in=codes).exists():
            raise CityExistsError(
                f"The city is already there (branch {codes[0]}); use a fresh database.")
        created = self.at(self.today - datetime.timedelta(days=HISTORY_DAYS + 30), 9)
        self.branch_list = []
        for number, (name, district, lat, lon) in enumerate(BRANCHES[:self.scale.branches], 1):
            self.branch_list.append(self.add(Branch(
                code=codes[number - 1], name=name, is_central=number == 1, settlement="Астана",
                address=f"{district}, {STREETS[number % len(STREETS)]}, {10 + number}",
                lat=lat, lon=lon, phone=self.home_phone(90_000 + number),
                time_zone=settings.TIME_ZONE, created_at=created, updated_at=created)))
        self.flush(Branch)

    def staff(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group

        from backend.core.roles import Role
        from backend.volunteers.models import Shift, Transport, Volunteer

        user_model = get_user_model()
        # One hash for every account: hashing 230 passwords one by one takes minutes.
        self.password = make_password(settings.DEMO_PASSWORD)
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
        memberships = []
        joined = self.at(self.today - datetime.timedelta(days=400), 9)

        def user(username: str, role: str, branch, first: str, last: str, phone=None,
                 language: str = "ru"):
            account = self.add(user_model(
                username=username, password=self.password, first_name=first, last_name=last,
                branch=branch, phone=phone, language=language, is_active=True,
                date_joined=joined))
            memberships.append(user_model.groups.through(user_id=account.pk,
                                                         group_id=groups[role].pk))
            return account

        self.librarians, self.coordinators, self.operators = {}, {}, []
        for n, branch in enumerate(self.branch_list, 1):
            self.librarians[branch.pk] = user(f"city-librarian-{n:02d}", Role.LIBRARIAN, branch,
                                              "Гүлнар", f"Библиотекарь {n}")
            self.coordinators[branch.pk] = user(f"city-coordinator-{n:02d}", Role.COORDINATOR,
                                                branch, "Ерлан", f"Координатор {n}")
        for n in range(1, self.scale.operators + 1):
            self.operators.append(user(f"city-operator-{n:02d}", Role.OPERATOR,
                                       self.branch_list[0], "Айгүл", f"Оператор {n}"))
        self.volunteers_of: dict[int, list] = defaultdict(list)
        transports = ((Transport.FOOT, 40), (Transport.PUBLIC_TRANSPORT, 30),
                      (Transport.CAR, 20), (Transport.BICYCLE, 10))
        for n in range(1, self.scale.volunteers + 1):
            branch = self.branch_list[(n - 1) % len(self.branch_list)]
            kazakh = self.rng.random() < 0.5
            first = self.rng.choice(KK_MALE + KK_FEMALE if kazakh else RU_MALE + RU_FEMALE)
            last = self.rng.choice(KK_LAST if kazakh else RU_LAST)
            account = user(f"city-volunteer-{n:03d}", Role.VOLUNTEER, branch, first, last,
                           phone=self.mobile(), language="kk" if kazakh else "ru")
            languages = ["kk", "ru"] if kazakh or self.rng.random() < 0.8 else ["ru"]
            volunteer = self.add(Volunteer(
                user=account, branch=branch, transport=self.weighted(transports),
                capacity=self.rng.choice([15, 20, 25, 30]),
                max_stops=max(self.scale.stops_per_route, self.rng.choice([8, 10, 12, 14])),
                languages=languages, created_at=joined, updated_at=joined))
            self.volunteers_of[branch.pk].append(volunteer)
            weekdays = self.rng.random() < 0.7
            self.add(Shift(volunteer=volunteer,
                           rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" if weekdays else "FREQ=DAILY",
                           starts_on=joined.date(), start_time=datetime.time(9),
                           end_time=datetime.time(18 if weekdays else 15)))
        self.flush(user_model)
        user_model.groups.through.objects.bulk_create(memberships, batch_size=BATCH)
        self.counts["accounts.User_groups"] += len(memberships)
        self.flush(Volunteer, Shift)

    def readers(self) -> None:
        from backend.readers.models import CardChange, FamilyCard, Reader, ReaderPhone
        from backend.readers.services import reader_search_text

        self.readers_of: dict[int, list] = defaultdict(list)
        self.households_of: dict[int, list[_Household]] = defaultdict(list)
        self.family_of: dict[int, Any] = {}
        categories = CATEGORIES
        for n in range(self.scale.readers):
            branch = self.branch_list[n % len(self.branch_list)]
            kazakh = self.rng.random() < 0.45
            female = self.rng.random() < 0.68
            if kazakh:
                last = self.rng.choice(KK_LAST) + ("а" if female else "")
                first = self.rng.choice(KK_FEMALE if female else KK_MALE)
                patronymic = self.rng.choice(KK_FATHER) + ("қызы" if female else "ұлы")
            else:
                last = self.rng.choice(RU_LAST) + ("а" if female else "")
                first = self.rng.choice(RU_FEMALE if female else RU_MALE)
                patronymic = self.rng.choice(RU_FATHER)[1 if female else 0]
            category = self.weighted(categories)
            status = self.weighted((("active", 94), ("paused", 4), ("closed", 2)))
            created = self.at(self.days_ago(60, HISTORY_DAYS), self.rng.randint(9, 17),
                              self.rng.randint(0, 59))
            lat, lon = self.point_near(branch.lat, branch.lon, READER_RADIUS_KM)
            born = (self.rng.randint(2008, 2018) if category == "child_disability"
                    else self.rng.randint(1930, 1965))
            reader = Reader(
                id=self.ids(Reader), branch=branch, last_name=last, first_name=first,
                patronymic=patronymic, birth_date=datetime.date(born, self.rng.randint(1, 12),
                                                                self.rng.randint(1, 28)),
                category=category, status=status, language="kk" if kazakh else "ru",
                settlement="Астана", street=self.rng.choice(STREETS),
                house=str(self.rng.randint(1, 120)), apartment=str(self.rng.randint(1, 160)),
                entrance=str(self.rng.randint(1, 8)), floor=self.rng.randint(1, 12),
                door_code=f"{self.rng.randint(10, 999)}К" if self.rng.random() < 0.6 else "",
                elevator=self.rng.random() < 0.7, lat=lat, lon=lon,
                access_notes=self.rng.choice(ACCESS_NOTES),
                preferences=self.preferences(kazakh),
                availability=self.availability(),
                consent_date=created.date(),
                closed_at=self.now - datetime.timedelta(days=30) if status == "closed" else None,
                created_at=created, updated_at=created,
            )
            reader.card_number = f"{branch.code}-{reader.pk:05d}"
            reader.search_text = reader_search_text(reader)
            if self.rng.random() < 0.2:
                reader.caregiver_name = f"{last} {self.rng.choice(RU_FEMALE)}"
                reader.caregiver_relation = self.rng.choice(["дочь", "сын", "соцработник",
                                                             "қызы (дочь)"])
                reader.caregiver_phone = self.mobile()
            self.add(reader)
            self.readers_of[branch.pk].append(reader)
            self.add(ReaderPhone(reader=reader, number=self.mobile(), kind="mobile", position=0))
            if self.rng.random() < 0.35:
                self.add(ReaderPhone(reader=reader, number=self.home_phone(n), kind="home",
                                     sms_ok=False, position=1))
            self.add(CardChange(reader=reader, action=CardChange.Action.IMPORTED, at=created,
                                changes={}))
        # Households: about 6 readers in 100 share a family card with one or two others.
        for branch in self.branch_list:
            pool = [r for r in self.readers_of[branch.pk] if r.status == "active"]
            self.rng.shuffle(pool)
            families = int(len(pool) * 0.06 / 2.4)
            cursor = 0
            for _ in range(families):
                size = self.rng.choice([2, 2, 3])
                members = pool[cursor:cursor + size]
                cursor += size
                if len(members) < 2:
                    break
                head = members[0]
                family = self.add(FamilyCard(
                    id=self.ids(FamilyCard), name=f"Семья {head.last_name}", branch=branch,
                    head=head, **{k: getattr(head, k) for k in Reader.ADDRESS_FIELDS},
                    access_notes=head.access_notes, created_at=head.created_at,
                    updated_at=head.created_at))
                family.number = f"{branch.code}-F{family.pk:04d}"
                for member in members:
                    member.family_card = family
                    self.family_of[member.pk] = family
                self.add(CardChange(family_card=family, action=CardChange.Action.CREATED,
                                    at=head.created_at, changes={}))
                self.households_of[branch.pk].append(_Household(head, family, members))
            for reader in pool[cursor:]:
                self.households_of[branch.pk].append(_Household(reader, None, [reader]))
            self.rng.shuffle(self.households_of[branch.pk])
        # Family cards point at their head and readers at their family card: both are
        # written in this transaction, and the foreign keys are checked at commit.
        self.flush(FamilyCard, Reader, ReaderPhone, CardChange)

    def preferences(self, kazakh: bool) -> dict:
        language = "kk" if kazakh else "ru"
        return {
            "subjects": self.rng.sample(SUBJECTS[language], 2),
            "authors": self.rng.sample(AUTHORS[language], 1),
            "formats": ["large_print"] if self.rng.random() < 0.4 else [],
            "languages": [language],
        }

    def availability(self) -> list:
        if self.rng.random() < 0.5:
            return []
        start = self.rng.choice([9, 10, 11, 14])
        return [{"weekday": day, "start": f"{start:02d}:00", "end": f"{start + 3:02d}:00"}
                for day in sorted(self.rng.sample(range(5), 2))]

    def catalog(self) -> None:
        from backend.catalog.models import Format, Item, Title
        from backend.catalog.selectors import subjects_key, title_search_text

        languages = (("ru", 55), ("kk", 40), ("en", 5))
        formats = ((Format.PRINT, 70), (Format.LARGE_PRINT, 18), (Format.AUDIO, 10),
                   (Format.BRAILLE, 2))
        # Shelves: (branch, language) -> copies free to lend or reserve.
        self.shelf: dict[tuple[int, str], list] = defaultdict(list)
        self.copies_of: dict[tuple[int, str], list] = defaultdict(list)
        needed = self.scale.loans * ACTIVE_LOAN_SHARE + self.scale.volunteers * \
            self.scale.stops_per_route * 5
        per_title = max(4, math.ceil(2.5 * needed / self.scale.titles))
        serial = 0
        added = self.at(self.today - datetime.timedelta(days=HISTORY_DAYS + 60), 10)
        for _ in range(self.scale.titles):
            language = self.weighted(languages)
            adjectives, nouns = TITLE_WORDS[language]
            title = self.add(Title(
                id=self.ids(Title),
                title=f"{self.rng.choice(adjectives)} {self.rng.choice(nouns)}",
                authors=[self.rng.choice(AUTHORS[language])], language=language,
                format=self.weighted(formats),
                subjects=self.rng.sample(SUBJECTS[language], min(2, len(SUBJECTS[language]))),
                year=self.rng.randint(1960, 2025), publisher=self.rng.choice(
                    ["Фолиант", "Жазушы", "Эксмо", "Атамұра", "АСТ"]),
                created_at=added, updated_at=added))
            title.search_text = title_search_text(title)
            title.subjects_key = subjects_key(title.subjects)
            copies = self.rng.randint(max(1, per_title - 3), per_title + 3)
            for _ in range(copies):
                serial += 1
                branch = self.rng.choice(self.branch_list)
                item = self.add(Item(
                    id=self.ids(Item), title=title, barcode=f"{CODE_PREFIX}-{serial:08d}",
                    branch=branch, status="available",
                    shelf_mark=f"{self.rng.randint(80, 89)}.{self.rng.randint(1, 9)}",
                    created_at=added, updated_at=added))
                shelf_language = language if language != "en" else "ru"
                self.shelf[(branch.pk, shelf_language)].append(item)
                self.copies_of[(branch.pk, shelf_language)].append(item)
        for copies in self.shelf.values():
            self.rng.shuffle(copies)
        self.flush(Title)

    def take_copy(self, branch, language: str, status: str):
        """A copy off the shelf (its own branch first, then any branch), now `status`."""
        keys = [(branch.pk, language)] + [(b.pk, language) for b in self.branch_list
                                          if b.pk != branch.pk]
        for key in keys:
            if self.shelf[key]:
                item = self.shelf[key].pop()
                item.status = status
                return item
        raise RuntimeError(f"No copy left in {language}: the catalog is too small for the loans.")

    def plan_days(self) -> None:
        """Who is visited today (on the volunteers' routes) and who is ready for the next
        working day; everyone else is left for the operators' calls."""
        from backend.core.calendar import working_days

        self.next_day = next(working_days(self.today + datetime.timedelta(days=1), 30))
        self.today_of: dict[int, list[_Household]] = {}
        self.ready_of: dict[int, list[_Household]] = {}
        for branch in self.branch_list:
            households = [h for h in self.households_of[branch.pk] if h.head.lat is not None]
            today = len(self.volunteers_of[branch.pk]) * self.scale.stops_per_route
            ready = int(today * 0.8)
            self.today_of[branch.pk] = households[:today]
            self.ready_of[branch.pk] = households[today:today + ready]
        self.busy = {m.pk for group in (*self.today_of.values(), *self.ready_of.values())
                     for h in group for m in h.members}

    def history(self) -> None:
        """Past visits and the books still out. Loans go to readers by a skewed weight:
        a few read a lot, most a little."""
        active_total = round(self.scale.loans * ACTIVE_LOAN_SHARE)
        past_total = self.scale.loans - active_total
        everyone = [r for branch in self.branch_list for r in self.readers_of[branch.pk]]
        active = [r for r in everyone if r.status == "active"]
        out: Counter = Counter()
        while sum(out.values()) < active_total:
            reader = self.rng.choice(active)
            if out[reader.pk] < MAX_ACTIVE_PER_READER:
                out[reader.pk] += 1
        weights = [self.rng.expovariate(1.0) for _ in everyone]
        scale = past_total / sum(weights)
        past = [int(w * scale) for w in weights]
        for index in self.rng.sample(range(len(everyone)), past_total - sum(past)):
            past[index] += 1
        due_today = {m.pk for group in self.today_of.values() for h in group
                     if self.rng.random() < 0.5 for m in h.members}
        for position, reader in enumerate(everyone):
            self.past_visits(reader, past[position])
            if out[reader.pk]:
                self.books_out(reader, out[reader.pk], due=reader.pk in due_today)
            if position % 2000 == 1999:
                self.flush(self.Order, self.OrderLine, self.Loan)
        self.flush(self.Order, self.OrderLine, self.Loan)

    def _visit(self, reader, day: datetime.date, items: list, *, returned: bool) -> None:
        branch = reader.branch
        family = self.family_of.get(reader.pk)
        start = self.rng.choice([9, 10, 11, 14, 15])
        issued = self.at(day, start, self.rng.randint(0, 59))
        order = self.add(self.Order(
            id=self.ids(self.Order), reader_id=reader.pk,
            family_card_id=family.pk if family else None, branch_id=branch.pk,
            channel=self.weighted((("phone", 80), ("caregiver", 12), ("in_person", 8))),
            status="delivered", preferred_date=day, scheduled_date=day,
            window_start=datetime.time(start), window_end=datetime.time(start + 3),
            failed_attempts=1 if self.rng.random() < 0.05 else 0,
            created_by_id=self.rng.choice(self.operators).pk if self.operators else None,
            created_at=issued - datetime.timedelta(days=3), updated_at=issued))
        volunteers = self.volunteers_of.get(branch.pk) or [None]
        courier = self.rng.choice(volunteers)
        for position, item in enumerate(items):
            line = self.add(self.OrderLine(
                id=self.ids(self.OrderLine), order_id=order.pk, reader_id=reader.pk,
                kind="title", title_id=item.title_id, item_id=item.pk, status="delivered",
                position=position))
            back = None
            if returned:
                back = min(issued + datetime.timedelta(days=self.rng.randint(14, 40)),
                           self.now - datetime.timedelta(days=1))
            self.add(self.Loan(
                id=self.ids(self.Loan), item_id=item.pk, title_id=item.title_id,
                reader_id=reader.pk, family_card_id=family.pk if family else None,
                branch_id=branch.pk, order_line_id=line.pk,
                status="returned" if returned else "active",
                issued_at=issued, due_date=day + datetime.timedelta(days=branch.loan_days),
                returned_at=back,
                return_channel=(self.weighted((("visit", 85), ("desk", 15))) if returned
                                else ""),
                issued_by_id=courier.user_id if courier else None,
                returned_by_id=courier.user_id if returned and courier else None))

    def past_visits(self, reader, count: int) -> None:
        branch = reader.branch
        copies = self.copies_of[(branch.pk, reader.language)]
        if len(copies) < 3:  # a tiny city: any branch's copies in the reader's language
            copies = [c for b in self.branch_list for c in self.copies_of[(b.pk, reader.language)]]
        first = max(reader.created_at.date(), self.today - datetime.timedelta(days=HISTORY_DAYS))
        last = self.today - datetime.timedelta(days=45)
        span = max(1, (last - first).days)
        while count > 0:
            size = min(count, self.rng.choice([1, 2, 2, 3]))
            count -= size
            day = first + datetime.timedelta(days=self.rng.randint(0, span))
            self._visit(reader, day, self.rng.sample(copies, size), returned=True)

    def books_out(self, reader, count: int, *, due: bool) -> None:
        """One visit that left `count` books out: due in the coming weeks, a few overdue,
        and due by today for about half of today's doors (the volunteer collects them)."""
        if due:
            ago = self.rng.randint(reader.branch.loan_days, reader.branch.loan_days + 4)
        elif self.rng.random() < OVERDUE_SHARE:
            ago = self.rng.randint(reader.branch.loan_days + 1, reader.branch.loan_days + 30)
        else:
            ago = self.rng.randint(1, reader.branch.loan_days - 2)
        items = [self.take_copy(reader.branch, reader.language, "on_loan") for _ in range(count)]
        self._visit(reader, self.today - datetime.timedelta(days=ago), items, returned=False)

    def open_order(self, household: _Household, *, status: str, day: datetime.date,
                   window: tuple[datetime.time, datetime.time] | None) -> Any:
        from backend.orders.models import OrderEvent

        reader = household.head
        taken = self.at(self.today - datetime.timedelta(days=self.rng.randint(1, 6)), 11)
        order = self.add(self.Order(
            id=self.ids(self.Order), reader=reader, family_card=household.family,
            branch=reader.branch, channel="phone", status=status, preferred_date=day,
            scheduled_date=day if status == "scheduled" else None,
            window_start=window[0] if window else None, window_end=window[1] if window else None,
            created_by=self.rng.choice(self.operators) if self.operators else None,
            created_at=taken, updated_at=taken))
        steps = {"new": [("", "new")],
                 "ready": [("", "new"), ("new", "ready")],
                 "scheduled": [("", "new"), ("new", "ready"), ("ready", "scheduled")]}[status]
        for before, after in steps:
            self.add(OrderEvent(order=order, at=taken, from_status=before, to_status=after))
        if status == "new":
            self.add(self.OrderLine(id=self.ids(self.OrderLine), order=order, reader=reader,
                                    kind="wish", wish_text=WISHES[reader.language],
                                    wish_language=reader.language, status="waiting"))
            order.items_out = 0
            return order
        order.items_out = self.rng.choice([1, 2, 2, 3])
        for position in range(order.items_out):
            item = self.take_copy(reader.branch, reader.language, "reserved")
            self.add(self.OrderLine(id=self.ids(self.OrderLine), order=order, reader=reader,
                                    kind="title", title_id=item.title_id, item=item,
                                    status="reserved", position=position))
        return order

    def routes(self) -> None:
        """Today's day of every branch, published: each volunteer's stops in a wedge of the
        branch's area, in the order of their angle from the branch."""
        from backend.routing.models import DayPlan, Route, RouteChange, Stop

        published = self.at(self.today, 7, 30)
        due = defaultdict(int)
        for loan in self.Loan.objects.filter(status="active", due_date__lte=self.today,
                                             reader__branch__in=self.branch_list) \
                .values_list("reader_id", flat=True):
            due[loan] += 1
        links = []
        for branch in self.branch_list:
            volunteers = self.volunteers_of[branch.pk]
            households = sorted(self.today_of[branch.pk], key=lambda h: math.atan2(
                h.address.lat - branch.lat, h.address.lon - branch.lon))
            plan = self.add(DayPlan(
                branch=branch, date=self.today, status="published", solve_status="done",
                solved_at=published, published_at=published,
                published_by=self.coordinators[branch.pk],
                created_by=self.coordinators[branch.pk], created_at=published,
                updated_at=published))
            served = 0
            for volunteer in volunteers:
                mine = []
                for household in list(households):
                    if household.head.language in volunteer.languages:
                        mine.append(household)
                        households.remove(household)
                        if len(mine) == self.scale.stops_per_route:
                            break
                if not mine:
                    continue
                route = self.add(Route(plan=plan, volunteer=volunteer, status="published",
                                       created_at=published, updated_at=published))
                self.add(RouteChange(route=route, volunteer=volunteer, kind="published",
                                     at=published, data={}))
                arrival = self.at(self.today, 9, 20)
                distance = 0.0
                where = (branch.lat, branch.lon)
                load = 0
                for sequence, household in enumerate(mine, start=1):
                    address = household.address
                    leg = _km(where, (address.lat, address.lon)) * 1.3
                    distance += leg
                    where = (address.lat, address.lon)
                    # A window agreed on the phone for some, around the expected time.
                    agreed = self.rng.random() < 0.4 and arrival.hour <= 17
                    window = ((datetime.time(max(9, arrival.hour - 1)),
                               datetime.time(arrival.hour + 2)) if agreed
                              else (datetime.time(9), datetime.time(18)))
                    order = self.open_order(household, status="scheduled", day=self.today,
                                            window=window if agreed else None)
                    out = order.items_out
                    back = sum(due[m.pk] for m in household.members)
                    load += out
                    service = 10 + 2 * (out + back)
                    stop = self.add(Stop(
                        plan=plan, route=route, sequence=sequence, kind="delivery",
                        reader=household.head, family_card=household.family,
                        household=household.key, lat=address.lat, lon=address.lon,
                        window_start=window[0], window_end=window[1], service_minutes=service,
                        load_out=out, load_back=back, languages=[household.head.language],
                        expected_arrival=arrival,
                        expected_departure=arrival + datetime.timedelta(minutes=service),
                        created_at=published, updated_at=published))
                    links.append(Stop.orders.through(stop_id=stop.pk, order_id=order.pk))
                    arrival += datetime.timedelta(minutes=service + 15)
                    served += 1
                route.departure = self.at(self.today, 9)
                route.end = arrival
                route.distance_m = round((distance + _km(where, (branch.lat, branch.lon)))
                                         * 1000)
                route.duration_s = round((route.end - route.departure).total_seconds())
                route.travel_s = round(route.distance_m / 1000 / volunteer.speed * 3600)
                route.max_load = load
            plan.figures = {"stops": served, "served": served, "unserved": 0,
                            "volunteers": len(volunteers), "volunteers_free": len(volunteers),
                            "generated": True}
        self.flush(DayPlan, Route, RouteChange, self.Order, self.OrderLine)
        from backend.orders.models import OrderEvent

        self.flush(OrderEvent, Stop)
        Stop.orders.through.objects.bulk_create(links, batch_size=BATCH)
        self.counts["routing.Stop_orders"] += len(links)

    def upcoming(self) -> None:
        """Orders ready for the next working day, new orders still being picked, and
        standing plans."""
        from backend.orders.demo import PATTERNS
        from backend.orders.models import OrderEvent
        from backend.plans.models import StandingPlan, StandingPlanPause

        for branch in self.branch_list:
            for household in self.ready_of[branch.pk]:
                start = self.rng.choice([9, 10, 11, 13, 14, 15])
                window = ((datetime.time(start), datetime.time(start + 3))
                          if self.rng.random() < 0.5 else None)
                self.open_order(household, status="ready", day=self.next_day, window=window)
            quiet = [h for h in self.households_of[branch.pk]
                     if not any(m.pk in self.busy for m in h.members)]
            for household in quiet[: max(1, len(quiet) // 50)]:
                self.open_order(household, status="new",
                                day=self.next_day + datetime.timedelta(days=7), window=None)
                self.busy.update(m.pk for m in household.members)
            for index, household in enumerate(self.households_of[branch.pk][::10]):
                rule, (start, end), items, note = PATTERNS[index % len(PATTERNS)]
                since = self.days_ago(30, 300)
                owner = ({"family_card": household.family} if household.family is not None
                         else {"reader": household.head})
                made = self.at(since, 12)
                plan = self.add(StandingPlan(
                    **owner, rrule=rule, starts_on=since,
                    window_start=datetime.time.fromisoformat(start),
                    window_end=datetime.time.fromisoformat(end), items_per_visit=items,
                    note=note, created_at=made, updated_at=made))
                if index % 20 == 7:
                    self.add(StandingPlanPause(
                        plan=plan, starts_on=self.today + datetime.timedelta(days=10),
                        ends_on=self.today + datetime.timedelta(days=40), reason="В больнице"))
        self.flush(self.Order, self.OrderLine, OrderEvent, StandingPlan, StandingPlanPause)

    def finish(self) -> None:
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


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111.0
    dlon = (a[1] - b[1]) * 111.0 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def generate_city(scale: CityScale | None = None, *,
                  out: Callable[[str], None] | None = None) -> CityReport:
    """Generate the city in one transaction; nothing is written if any part fails."""
    from django.apps import apps

    scale = scale or CityScale()
    say = out or (lambda line: None)
    started = time.monotonic()
    city = _City(scale, say)
    stamped = [m for m in apps.get_models()
               if any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                      for f in m._meta.concrete_fields)]
    phases = (("branches", city.branches), ("staff and volunteers", city.staff),
              ("readers", city.readers), ("catalog", city.catalog),
              ("the days", city.plan_days), ("history and loans", city.history),
              ("today's routes", city.routes), ("coming orders", city.upcoming),
              ("copies", city.finish))
    with transaction.atomic(), own_timestamps(stamped):
        for name, phase in phases:
            begun = time.monotonic()
            phase()
            say(f"  {name:<22} {time.monotonic() - begun:6.1f} s")
    # A live database has its planner statistics kept up to date by autovacuum; right after
    # a bulk load there are none yet, and PostgreSQL would plan for a 300,000-row table as
    # for an empty one.
    begun = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  {'statistics':<22} {time.monotonic() - begun:6.1f} s")
    report = CityReport(scale=scale, today=city.today, next_day=city.next_day,
                        seconds=time.monotonic() - started, counts=city.counts)
    return report
