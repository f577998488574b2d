"""The city's coming days: today's published routes, the orders ready for the next working
day, new orders and standing plans."""
from __future__ import annotations

import datetime
import math
from collections import defaultdict
from typing import Any

from backend.demo.city.base import (
    BATCH,
    CityBase,
    Household,
    distance_km,
)
from backend.demo.city.words import (
    WISHES,
)


class Routes(CityBase):
    """The phases that write today's routes and the orders to come."""

    def open_order(self, household: Household, *, status: str, day: datetime.date,
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
                    leg = distance_km(where, (address.lat, address.lon)) * 1.3
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
                route.distance_m = round((distance + distance_km(where, (branch.lat, branch.lon)))
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
        from backend.demo.orders import PATTERNS
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
