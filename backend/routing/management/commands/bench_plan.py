"""`manage.py bench_plan`: time the coordinator's plan read, GET /api/v1/plans/{id}/, on a
city-sized day (by default 30 routes of 10 stops, 40 stops left unserved with their
reasons, a few cancelled), and the planner's state, GET .../progress/, which the plan page
asks for every second while the planner runs.

Everything it makes is rolled back at the end. The requests go through Django's test client
with a real coordinator's JWT, so authentication, permissions, the queries, the card access
log (one row and its links a request) and the JSON are all timed. It prints the queries, the
answer's size and the CPU time of a request (the thread's CPU: what this process spends, not
the database's); `--list` also times the plans list of that day (GET /api/v1/plans/?date=).
"""
from __future__ import annotations

import datetime
import statistics
import time
import uuid

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone


class _Rollback(Exception):
    pass


REASONS = ("no_vehicle_in_window", "too_heavy", "no_coordinates", "unreachable",
           "no_language", "pinned_vehicle_unavailable", "not_routed", "no_volunteers")


def build_city_plan(*, routes: int, stops_per_route: int, unserved: int, cancelled: int):
    """A branch, a coordinator and a day plan the planner is working on: `routes` volunteers'
    routes of `stops_per_route` stops and `unserved` stops it could not place, each stop with
    an order or two; one stop in five a family card's; `cancelled` stops cancelled (not
    shown). Answers the coordinator and the plan."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from backend.branches.models import Branch
    from backend.orders.models import Order, OrderStatus
    from backend.readers.models import FamilyCard, Reader, ReaderStatus
    from backend.routing.models import (
        DayPlan,
        PlanStatus,
        Route,
        RouteStatus,
        SolveStatus,
        Stop,
        StopKind,
        StopStatus,
    )
    from backend.volunteers.models import Volunteer

    tag = uuid.uuid4().hex[:6].upper()
    users = get_user_model().objects
    branch = Branch.objects.create(code=f"BP{tag[:4]}", name=f"Bench {tag}", settlement="Астана",
                                   lat=51.16, lon=71.45)
    coordinator = users.create_user(username=f"bench-plan-{tag}", first_name="Bench",
                                    phone=None, branch=branch)
    coordinator.groups.add(Group.objects.get_or_create(name="coordinator")[0])
    volunteer_group = Group.objects.get_or_create(name="volunteer")[0]
    volunteers = []
    for number in range(routes):
        # Some volunteers have no name: they are shown by their user name.
        user = users.create_user(username=f"bench-plan-{tag}-{number}", phone=None,
                                 first_name="Айгерим" if number % 4 else "",
                                 last_name=f"Ерікті{number}" if number % 4 else "")
        user.groups.add(volunteer_group)
        volunteers.append(Volunteer.objects.create(
            user=user, branch=branch, transport=("foot", "bicycle", "car")[number % 3],
            capacity=20 + number % 3 * 10, languages=[["kk", "ru"], ["ru"], ["kk"]][number % 3]))
    day = branch.today() + datetime.timedelta(days=1)
    now = timezone.now()
    plan = DayPlan.objects.create(
        branch=branch, date=day, status=PlanStatus.DRAFT, solve_status=SolveStatus.RUNNING,
        progress={"phase": "search", "percent": 40, "served": routes * stops_per_route},
        figures={"served": routes * stops_per_route, "unserved": unserved,
                 "distance_km": 812.4, "volunteers": routes},
        solved_at=now)
    start = now.replace(hour=4, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    route_rows = Route.objects.bulk_create([
        Route(plan=plan, volunteer=v, status=RouteStatus.DRAFT, departure=start,
              end=start + datetime.timedelta(hours=6), distance_m=25000 + number * 100,
              duration_s=21600, travel_s=7200, max_load=12)
        for number, v in enumerate(volunteers)])
    total = routes * stops_per_route + unserved + cancelled
    families = FamilyCard.objects.bulk_create([
        FamilyCard(number=f"BPF-{tag}-{number}", name=f"Семья {number}", branch=branch,
                   settlement="Астана", street="Кенесары", house=str(number), apartment="4")
        for number in range(0, total, 5)])
    readers = Reader.objects.bulk_create([
        Reader(branch=branch, card_number=f"BP-{tag}-{number}", last_name=f"Оқырман{number}",
               first_name="Айгүл", patronymic="Сериковна" if number % 2 else "",
               category="elderly", status=ReaderStatus.ACTIVE, language="kk",
               settlement="Астана", street="Абая", house=str(number),
               apartment=str(number % 40) if number % 3 else "", lat=51.1, lon=71.4,
               consent_date=day)
        for number in range(total)])
    orders = Order.objects.bulk_create([
        Order(reader=reader, branch=branch, status=OrderStatus.READY, preferred_date=day)
        for number, reader in enumerate(readers) for _ in range(1 + (number % 4 == 0))])
    stops = []
    for number, reader in enumerate(readers):
        family = families[number // 5] if number % 5 == 0 else None
        routed = number < routes * stops_per_route
        route = route_rows[number // stops_per_route] if routed else None
        sequence = number % stops_per_route + 1 if routed else 0
        located = number % 17 != 0
        stops.append(Stop(
            plan=plan, route=route, sequence=sequence,
            kind=StopKind.PICKUP if number % 6 == 0 else StopKind.DELIVERY,
            status=(StopStatus.CANCELLED if number >= total - cancelled
                    else StopStatus.PLANNED),
            reader=reader, family_card=family,
            household=f"F{family.pk}" if family else f"R{reader.pk}",
            lat=reader.lat if located else None, lon=reader.lon if located else None,
            window_start=datetime.time(9 + number % 4), window_end=datetime.time(14 + number % 4),
            expected_arrival=(start + datetime.timedelta(minutes=20 * sequence)
                              if routed else None),
            service_minutes=10, load_out=2, load_back=number % 2,
            languages=["kk"] if number % 3 == 0 else [],
            pinned_volunteer=volunteers[number % routes] if number % 11 == 0 else None,
            unserved_reason="" if routed else REASONS[number % len(REASONS)]))
    Stop.objects.bulk_create(stops)
    by_reader: dict[int, list[int]] = {}
    for order in orders:
        by_reader.setdefault(order.reader_id, []).append(order.pk)
    through = Stop.orders.through
    through.objects.bulk_create([through(stop_id=stop.pk, order_id=pk) for stop in stops
                                 for pk in by_reader[stop.reader_id]])
    return coordinator, plan


class Command(BaseCommand):
    help = ("Time GET /api/v1/plans/{id}/ and .../progress/ on a city-sized day plan (rolled "
            "back afterwards): queries, bytes and CPU a request.")

    def add_arguments(self, parser):
        parser.add_argument("-n", "--requests", type=int, default=50)
        parser.add_argument("--routes", type=int, default=30)
        parser.add_argument("--stops-per-route", type=int, default=10)
        parser.add_argument("--unserved", type=int, default=40)
        parser.add_argument("--cancelled", type=int, default=5)
        parser.add_argument("--language", default="ru", help="Accept-Language (ru, kk, en).")
        parser.add_argument("--list", action="store_true",
                            help="Also time the plans list of the day (GET /api/v1/plans/?date=).")

    def handle(self, *args, **options):
        from backend.accounts.tokens import StaffRefreshToken, tokens_issue

        count, warm = max(1, options["requests"]), 5
        try:
            with transaction.atomic():
                user, plan = build_city_plan(
                    routes=max(1, options["routes"]),
                    stops_per_route=max(1, options["stops_per_route"]),
                    unserved=max(0, options["unserved"]), cancelled=max(0, options["cancelled"]))
                token = tokens_issue(user=user, token_class=StaffRefreshToken)["access"]
                client = Client(HTTP_AUTHORIZATION=f"Bearer {token}",
                                HTTP_ACCEPT_LANGUAGE=options["language"])
                # The whole plan, and the planner's state a page asks for while it runs.
                urls = {"plans/{id}/": f"/api/v1/plans/{plan.pk}/",
                        "plans/{id}/progress/": f"/api/v1/plans/{plan.pk}/progress/"}
                if options["list"]:
                    urls["plans/?date="] = f"/api/v1/plans/?date={plan.date.isoformat()}"
                figures = {}
                for name, url in urls.items():
                    queries: list[str] = []

                    def counter(execute, sql, params, many, context, queries=queries):
                        queries.append(sql)
                        return execute(sql, params, many, context)

                    cpu = []
                    for number in range(warm + count):
                        queries.clear()
                        # Django clears connection.queries when a request starts: count with
                        # a wrapper.
                        with connection.execute_wrapper(counter):
                            started = time.thread_time()
                            response = client.get(url)
                            spent = (time.thread_time() - started) * 1000
                        if response.status_code != 200:
                            raise RuntimeError(f"{url} answered {response.status_code}: "
                                               f"{response.content[:300]}")
                        if number >= warm:
                            cpu.append(spent)
                    savepoints = sum("SAVEPOINT" in q.upper() for q in queries)
                    figures[name] = (len(queries) - savepoints, savepoints,
                                     len(response.content), cpu)
                shown = plan.stops.exclude(status="cancelled").count()
                raise _Rollback((figures, shown, plan.routes.count()))
        except _Rollback as done:
            figures, shown, route_count = done.args[0]
        self.stdout.write(f"A day plan of {route_count} routes and {shown} stops shown, "
                          f"{count} requests each ({connection.vendor}; CPU: this process's "
                          f"thread):")
        for name, (queries, savepoints, size, cpu) in figures.items():
            self.stdout.write(f"  GET {name:20} {queries} queries + {savepoints} savepoint "
                              f"statements, {size / 1024:.0f} KB, CPU mean "
                              f"{statistics.fmean(cpu):6.1f} ms, median "
                              f"{statistics.median(cpu):6.1f} ms")
