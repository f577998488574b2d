"""The city's people: branches, staff and volunteers, reader cards and family cards."""
from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.conf import settings

from backend.demo.city.base import (
    BATCH,
    BRANCHES,
    HISTORY_DAYS,
    READER_RADIUS_KM,
    CityBase,
    CityExistsError,
    Household,
    city_branch_code,
)
from backend.demo.city.words import (
    ACCESS_NOTES,
    AUTHORS,
    CATEGORIES,
    KK_FATHER,
    KK_FEMALE,
    KK_LAST,
    KK_MALE,
    RU_FATHER,
    RU_FEMALE,
    RU_LAST,
    RU_MALE,
    STREETS,
    SUBJECTS,
)
from backend.readers.cards import card_number_format, family_card_number_format


class People(CityBase):
    """The phases that make the branches, the accounts and the cards."""

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
        from backend.readers.services import reader_search_fields

        self.readers_of: dict[int, list] = defaultdict(list)
        self.households_of: dict[int, list[Household]] = defaultdict(list)
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
            reader.card_number = card_number_format(branch.code, reader.pk)
            reader_search_fields(reader)
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
                family.number = family_card_number_format(branch.code, family.pk)
                for member in members:
                    member.family_card = family
                    self.family_of[member.pk] = family
                self.add(CardChange(family_card=family, action=CardChange.Action.CREATED,
                                    at=head.created_at, changes={}))
                self.households_of[branch.pk].append(Household(head, family, members))
            for reader in pool[cursor:]:
                self.households_of[branch.pk].append(Household(reader, None, [reader]))
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
