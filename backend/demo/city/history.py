"""The city's past: who is visited today and next, past visits and the books still out."""
from __future__ import annotations

import datetime
from collections import Counter

from backend.demo.city.base import (
    ACTIVE_LOAN_SHARE,
    HISTORY_DAYS,
    MAX_ACTIVE_PER_READER,
    OVERDUE_SHARE,
    CityBase,
    Household,
)


class History(CityBase):
    """The phases that plan the days and write the reading history."""

    def plan_days(self) -> None:
        """Who is visited today (on the volunteers' routes) and who is ready for the next
        working day; everyone else is left for the operators' calls."""
        from backend.core.calendar import working_days

        self.next_day = next(working_days(self.today + datetime.timedelta(days=1), 30))
        self.today_of: dict[int, list[Household]] = {}
        self.ready_of: dict[int, list[Household]] = {}
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
