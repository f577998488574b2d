"""A national-scale library service for the lookup benchmark (`manage.py bench_scale`):
hundreds of thousands of reader cards and millions of loans, generated in minutes.

`generate_national(NationalScale(...))` first makes a small generated city (`generate_city`:
branches, staff, volunteers, a catalog, orders and routes, everything the desk card reads),
then adds the mass on top of it:

- reader cards with a mobile phone each (a home phone on about a third), Kazakh and Russian
  names in the city's mix (45 % Kazakh), their search columns made by the readers' own
  `reader_search_fields`, written in chunks;
- a copy for each loan still out (about 4 % of the loans), and the loans: years of returned
  ones and the ones still out, spread over the new readers.

Loans are plain tuples, not model instances (ten million of those would take an hour and
gigabytes). On PostgreSQL every table goes in with COPY while its secondary indexes are set
aside and its foreign keys not checked row by row (`_bulk_load`); on SQLite (the small test)
with bulk_create and executemany. The same rows either way. Last, the report's figures are
counted and stored (`reports.services.report_figures_refresh`), as the nightly job would have.
"""
from __future__ import annotations

import datetime
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from backend.demo.city.base import HISTORY_DAYS, CityBase, CityScale, own_timestamps
from backend.demo.city.words import (
    KK_FATHER,
    KK_FEMALE,
    KK_LAST,
    KK_MALE,
    RU_FATHER,
    RU_FEMALE,
    RU_LAST,
    RU_MALE,
    STREETS,
)

# More surnames than the city's, so that a surname is shared by a few thousand cards in the
# nation, as it is, rather than by tens of thousands.
KK_LAST_MORE = ("Абдрахманов", "Әлібеков", "Бейсенов", "Дүйсенов", "Ермеков", "Жексенбаев",
                "Кенжебаев", "Қожахметов", "Мамыров", "Нұрпейісов", "Сәрсенбаев", "Тоқтаров",
                "Уәлиханов", "Шәкенов", "Ыбыраев", "Іскаков", "Рахымжанов", "Смағұлов",
                "Тілеубердиев", "Өтегенов", "Жанұзақов", "Құрманғалиев", "Есқараев")
RU_LAST_MORE = ("Алексеев", "Борисов", "Васильев", "Гаврилов", "Дмитриев", "Егоров",
                "Жуков", "Зайцев", "Ильин", "Комаров", "Лазарев", "Макаров", "Никитин",
                "Орлов", "Павлов", "Романов", "Степанов", "Тихонов", "Ушаков", "Фролов",
                "Харитонов", "Цветков", "Шестаков")
KK_SURNAMES = KK_LAST + KK_LAST_MORE
RU_SURNAMES = RU_LAST + RU_LAST_MORE
ACTIVE_SHARE = 0.04  # of the loans, still out
CHUNK = 20_000
LOAN_COLUMNS = ("item_id", "title_id", "reader_id", "family_card_id", "branch_id", "status",
                "issued_at", "due_date", "renewals", "returned_at", "return_channel")


@dataclass(frozen=True)
class NationalScale:
    readers: int = 500_000
    loans: int = 10_000_000
    seed: int = 1
    # The city underneath: what the desk card reads besides loans.
    base_readers: int = 2_000
    base_loans: int = 20_000
    volunteers: int = 20

    @property
    def active_loans(self) -> int:
        return min(int(self.loans * ACTIVE_SHARE), self.readers * 4)


class _Nation(CityBase):
    """The mass added on top of the city."""

    def __init__(self, scale: NationalScale, say: Callable[[str], None]) -> None:
        super().__init__(CityScale(seed=scale.seed), say)
        self.national = scale
        self.rng = random.Random(scale.seed + 1)
        # The city's own mobiles are numbered from 1: these start far above them.
        self.phone_serial = 5_000_000

    def readers(self) -> None:
        from backend.branches.models import Branch
        from backend.readers.cards import card_number_format
        from backend.readers.models import Reader, ReaderPhone
        from backend.readers.services import reader_search_fields

        branches = list(Branch.objects.order_by("pk"))
        consent = self.today - datetime.timedelta(days=400)
        created = self.at(consent, 10)
        self.reader_ids: list[int] = []
        self.reader_branch: list[int] = []
        rng = self.rng
        for start in range(0, self.national.readers, CHUNK):
            for n in range(start, min(start + CHUNK, self.national.readers)):
                branch = branches[n % len(branches)]
                kazakh = rng.random() < 0.45
                female = rng.random() < 0.68
                if kazakh:
                    last = rng.choice(KK_SURNAMES) + ("а" if female else "")
                    first = rng.choice(KK_FEMALE if female else KK_MALE)
                    patronymic = rng.choice(KK_FATHER) + ("қызы" if female else "ұлы")
                else:
                    last = rng.choice(RU_SURNAMES) + ("а" if female else "")
                    first = rng.choice(RU_FEMALE if female else RU_MALE)
                    patronymic = rng.choice(RU_FATHER)[1 if female else 0]
                reader = self.add(Reader(
                    branch_id=branch.pk, last_name=last, first_name=first,
                    patronymic=patronymic,
                    birth_date=datetime.date(rng.randint(1930, 1965), rng.randint(1, 12),
                                             rng.randint(1, 28)),
                    category="elderly", status="active", language="kk" if kazakh else "ru",
                    settlement="Астана", street=rng.choice(STREETS),
                    house=str(rng.randint(1, 120)), apartment=str(rng.randint(1, 160)),
                    consent_date=consent, created_at=created, updated_at=created))
                reader.card_number = card_number_format(branch.code, reader.pk)
                reader_search_fields(reader)
                self.reader_ids.append(reader.pk)
                self.reader_branch.append(branch.pk)
                self.add(ReaderPhone(reader_id=reader.pk, number=self.mobile(), kind="mobile",
                                     position=0))
                if rng.random() < 0.35:
                    self.add(ReaderPhone(reader_id=reader.pk, number=self.home_phone(n),
                                         kind="home", sms_ok=False, position=1))
            self.flush(Reader, ReaderPhone)

    def copies(self) -> None:
        """A copy, on loan, for each loan still out: a copy is on one active loan at most."""
        from backend.catalog.models import Item, Title

        titles = list(Title.objects.order_by("pk").values_list("pk", flat=True))
        added = self.at(self.today - datetime.timedelta(days=HISTORY_DAYS + 10), 9)
        self.copy_ids: list[int] = []
        self.copy_title: list[int] = []
        for n in range(self.national.active_loans):
            title = titles[n % len(titles)]
            item = self.add(Item(title_id=title, barcode=f"NAT-{n:09d}",
                                 branch_id=self.reader_branch[n % len(self.reader_branch)],
                                 status="on_loan", created_at=added, updated_at=added))
            self.copy_ids.append(item.pk)
            self.copy_title.append(title)
            if len(self.pending[Item]) >= CHUNK:
                self.flush(Item)
        self.flush(Item)

    def loan_rows(self) -> Iterator[tuple]:
        """The loans: the first `active_loans` still out (one copy each, issued in the last
        six weeks, a few overdue), the rest returned over the past three years. Readers are
        walked with a stride prime to their number, so every reader gets a share."""
        readers = len(self.reader_ids)
        copies = len(self.copy_ids)
        active = self.national.active_loans
        stride = 7919 if readers % 7919 else 7907
        zone = self.zone
        day0 = self.today
        stamps = [(datetime.datetime.combine(day0 - datetime.timedelta(days=d),
                                             datetime.time(11), tzinfo=zone).isoformat(),
                   (day0 - datetime.timedelta(days=d - 30)).isoformat(),
                   datetime.datetime.combine(day0 - datetime.timedelta(days=d - 21),
                                             datetime.time(12), tzinfo=zone).isoformat())
                  for d in range(HISTORY_DAYS + 31)]
        for g in range(self.national.loans):
            r = (g * stride + 11) % readers
            reader, branch = self.reader_ids[r], self.reader_branch[r]
            if g < active:
                issued, due, _ = stamps[g % 42]
                yield (self.copy_ids[g], self.copy_title[g], reader, None, branch, "active",
                       issued, due, g % 2, None, "")
            else:
                c = g % copies
                issued, due, back = stamps[31 + (g * 31 + g // 97) % HISTORY_DAYS]
                yield (self.copy_ids[c], self.copy_title[c], reader, None, branch, "returned",
                       issued, due, 0, back, "visit")

    def loans(self) -> None:
        from backend.circulation.models import Loan

        table = Loan._meta.db_table
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in LOAN_COLUMNS)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                    for row in self.loan_rows():
                        copy.write_row(row)
            else:
                sql = (f"INSERT INTO {quote(table)} ({columns}) "
                       f"VALUES ({', '.join(['%s'] * len(LOAN_COLUMNS))})")
                batch: list[tuple] = []
                for row in self.loan_rows():
                    batch.append(row)
                    if len(batch) >= CHUNK:
                        cursor.executemany(sql, batch)
                        batch.clear()
                cursor.executemany(sql, batch)
        self.counts[Loan._meta.label] += self.national.loans

    def finish(self) -> None:
        from django.core.management.color import no_style

        self.flush()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.ids.models):
                cursor.execute(sql)


@contextmanager
def _bulk_load(models: list, say: Callable[[str], None], *,
               set_aside: bool = True) -> Iterator[None]:
    """On PostgreSQL, while millions of rows go in: the tables' indexes that back no
    constraint set aside and built again afterwards (one sort each instead of a b-tree
    insert per row and index), and the foreign keys not checked row by row at commit (the
    rows point at ids made here, and tests/demo/test_bench_scale.py checks them). Inside the
    caller's transaction. `set_aside=False` (a test's database, inside its transaction, where
    PostgreSQL builds no index over pending checks) writes with every index in place."""
    if connection.vendor != "postgresql" or not set_aside:
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint)", [tables])
        dropped = cursor.fetchall()
        for name, _ in dropped:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute("SET LOCAL session_replication_role = replica")
    yield
    begun = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in dropped:
            cursor.execute(definition)
    say(f"  {'indexes':<22} {time.monotonic() - begun:6.1f} s ({len(dropped)} built again)")


def generate_national(scale: NationalScale | None = None, *,
                      out: Callable[[str], None] | None = None,
                      set_aside_indexes: bool = True) -> Counter:
    """The city, then the national mass on top of it, each in one transaction. Returns the
    rows written by kind. `set_aside_indexes`: see `_bulk_load`."""
    from django.apps import apps

    from backend.demo.city import generate_city
    from backend.reports.services import report_figures_refresh

    scale = scale or NationalScale()
    say = out or (lambda line: None)
    # Today's routes take 6 stops a volunteer from 40 % of the city's readers at most.
    volunteers = max(1, min(scale.volunteers, scale.base_readers * 2 // 30))
    city = generate_city(CityScale(readers=scale.base_readers, volunteers=volunteers,
                                   loans=scale.base_loans, operators=2, seed=scale.seed),
                         out=say)
    counts = Counter(city.counts)
    nation = _Nation(scale, say)
    filled = [apps.get_model(*label.split(".")) for label in (
        "readers.Reader", "readers.ReaderPhone", "catalog.Item", "circulation.Loan")]
    with (transaction.atomic(), own_timestamps(filled[:1] + filled[2:3]),
          _bulk_load(filled, say, set_aside=set_aside_indexes)):
        for name, phase in (("national readers", nation.readers),
                            ("copies on loan", nation.copies), ("loans", nation.loans),
                            ("sequences", nation.finish)):
            begun = time.monotonic()
            phase()
            say(f"  {name:<22} {time.monotonic() - begun:6.1f} s")
    begun = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  {'statistics':<22} {time.monotonic() - begun:6.1f} s")
    begun = time.monotonic()
    # What the nightly job would have stored by morning: the report reads it.
    stored = report_figures_refresh()
    say(f"  {'report figures':<22} {time.monotonic() - begun:6.1f} s")
    counts.update(nation.counts)
    counts["reports.PeriodFigures"] = len(stored)
    return counts
