"""`manage.py bench_mobile`: time GET /api/mobile/v1/routes/{id}/ on a 40-stop published route,
built afresh (the cache emptied before each request) and kept (mobile_api.route_cache).

Everything it makes is rolled back at the end. The requests go through Django's test
client with a real JWT, so authentication, permissions, the queries and the JSON are all
timed. Target: under 50 ms on average.

`--actions` times the volunteer's writes instead (`time_actions`): CPU and statements per
request of arrive, complete, fail and finish.
"""
from __future__ import annotations

import datetime
import statistics
import time
import uuid

from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone


class _Rollback(Exception):
    pass


def build_route(stops: int):
    """A branch, a volunteer and a published route of `stops` readers for today, each with
    two copies to hand over and one to collect."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from backend.branches.models import Branch
    from backend.catalog.models import Item, ItemStatus, Title
    from backend.circulation.models import Loan, LoanStatus
    from backend.orders.models import LineStatus, Order, OrderLine, OrderStatus
    from backend.readers.models import Reader, ReaderPhone, ReaderStatus
    from backend.routing.models import DayPlan, PlanStatus, Route, RouteStatus, SolveStatus, Stop
    from backend.volunteers.models import Volunteer

    tag = uuid.uuid4().hex[:6].upper()
    branch = Branch.objects.create(code=f"BM{tag[:4]}", name=f"Bench {tag}", settlement="Бишкуль",
                                   lat=54.0, lon=69.0)
    user = get_user_model().objects.create_user(username=f"bench-{tag}", first_name="Bench",
                                                phone=None, branch=branch)
    user.groups.add(Group.objects.get_or_create(name="volunteer")[0])
    volunteer = Volunteer.objects.create(user=user, branch=branch, languages=["kk", "ru"])
    day = branch.today()
    plan = DayPlan.objects.create(branch=branch, date=day, status=PlanStatus.PUBLISHED,
                                  solve_status=SolveStatus.DONE, published_at=timezone.now())
    route = Route.objects.create(plan=plan, volunteer=volunteer, status=RouteStatus.PUBLISHED)
    title = Title.objects.create(title="Абай жолы", authors=["Мұхтар Әуезов"], language="kk")
    start = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0)
    for number in range(1, stops + 1):
        reader = Reader.objects.create(
            branch=branch, card_number=f"BM-{tag}-{number}", last_name=f"Оқырман{number}",
            first_name="Айгүл", category="elderly", status=ReaderStatus.ACTIVE,
            language="kk",
            settlement="Бишкуль", street="Абая", house=str(number), entrance="1", floor=2,
            door_code="12К", landmark="у аптеки", lat=54.0, lon=69.0 + number / 1000,
            access_notes="Позвонить за 10 минут", consent_date=day)
        ReaderPhone.objects.create(reader=reader, number=f"+7701{number:07d}")
        order = Order.objects.create(reader=reader, branch=branch, status=OrderStatus.SCHEDULED,
                                     scheduled_date=day, preferred_date=day)
        for copy in range(2):
            item = Item.objects.create(title=title, barcode=f"BM{tag}{number:03d}{copy}",
                                       branch=branch, status=ItemStatus.RESERVED)
            OrderLine.objects.create(order=order, reader=reader, kind="title", item=item,
                                     title=title, status=LineStatus.RESERVED)
        back = Item.objects.create(title=title, barcode=f"BM{tag}{number:03d}R", branch=branch,
                                   status=ItemStatus.ON_LOAN)
        Loan.objects.create(item=back, title=title, reader=reader, branch=branch,
                            status=LoanStatus.ACTIVE, issued_at=timezone.now(),
                            due_date=day - datetime.timedelta(days=1))
        stop = Stop.objects.create(
            plan=plan, route=route, sequence=number, reader=reader, household=f"R{reader.pk}",
            lat=reader.lat, lon=reader.lon, window_start=datetime.time(9),
            window_end=datetime.time(18), load_out=2, load_back=1,
            expected_arrival=start + datetime.timedelta(minutes=12 * number))
        stop.orders.add(order)
    return user, route


AFTER = {
    "arrive": "after an arrive (the stop's own columns read, every door kept)",
    "complete": "after a complete (that stop's door read again, the rest kept)",
}


def time_actions(requests: int, stops: int) -> dict[str, tuple[list[float], list[int]]]:
    """The volunteer's writes as the app sends them, on fresh routes of `stops` stops until
    `requests` doors are done: at each door arrive, then complete (two copies handed over, one
    taken back; three doors in four) or fail; each route finished when its doors are done.
    Answers CPU ms and queries (savepoints included) per request, by action."""
    from backend.circulation.models import Loan
    from backend.orders.models import OrderLine
    from mobile_api.auth import tokens_for

    by_kind: dict[str, tuple[list[float], list[int]]] = {}
    keys = iter(range(10 ** 9))

    def post(client, url: str, kind: str, body: dict) -> None:
        queries: list[str] = []

        def counter(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            started = time.process_time()
            answer = client.post(url, body, content_type="application/json",
                                 HTTP_IDEMPOTENCY_KEY=f"bench-{next(keys)}")
            cpu = (time.process_time() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{url} answered {answer.status_code}: {answer.content[:200]}")
        cpu_ms, counts = by_kind.setdefault(kind, ([], []))
        cpu_ms.append(cpu)
        counts.append(len(queries))

    done = 0
    while done < requests:
        user, route = build_route(stops)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
        for number, stop in enumerate(route.stops.order_by("sequence"), start=1):
            url = f"/api/mobile/v1/stops/{stop.pk}/"
            post(client, url + "arrive/", "arrive" if number > 1 else "arrive (first door)", {})
            if number % 4:
                lines = OrderLine.objects.filter(order__stops=stop).select_related("item")
                back = Loan.objects.filter(reader_id=stop.reader_id, status="active")
                post(client, url + "complete/", "complete", {
                    "delivered": [line.item.barcode for line in lines],
                    "collected": list(back.values_list("item__barcode", flat=True))})
            else:
                post(client, url + "fail/", "fail", {"reason": "not_home"})
            done += 1
        post(client, f"/api/mobile/v1/routes/{route.pk}/finish/", "finish", {})
    return by_kind


class Command(BaseCommand):
    help = ("Time GET /api/mobile/v1/routes/{id}/ for a 40-stop route, or with --actions the "
            "volunteer's writes (rolled back afterwards).")

    def add_arguments(self, parser):
        parser.add_argument("-n", "--requests", type=int, default=200)
        parser.add_argument("--stops", type=int, default=40)
        parser.add_argument(
            "--actions", action="store_true",
            help="Time arrive, complete, fail and finish instead (-n doors, --stops a route). "
                 "Each runs in a savepoint of the rolled-back transaction, not a transaction "
                 "of its own: two statements more than in service, and nothing run on commit.")

    def handle(self, *args, **options):
        if options["actions"]:
            return self.handle_actions(max(1, options["requests"]), max(1, options["stops"]))
        from backend.routing.door_stamps import doors_changed
        from backend.routing.models import Route, Stop
        from mobile_api.auth import tokens_for

        count, stops = max(1, options["requests"]), options["stops"]
        try:
            with transaction.atomic():
                user, route = build_route(stops)
                client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
                url = f"/api/mobile/v1/routes/{route.pk}/"
                queries = []

                def counter(execute, sql, params, many, context):
                    queries.append(sql)
                    return execute(sql, params, many, context)

                # Django clears connection.queries when a request starts: count with a wrapper.
                with connection.execute_wrapper(counter):
                    first = client.get(url)
                query_count = len(queries)
                if first.status_code != 200:
                    raise RuntimeError(f"{url} answered {first.status_code}: {first.content[:200]}")
                etag = first["ETag"]
                for _ in range(5):  # warm up
                    client.get(url)
                timings, cpu = [], []
                for _ in range(count):
                    cache.clear()  # the answer built each time, as after every change
                    started, started_cpu = time.perf_counter(), time.process_time()
                    client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                kept, kept_cpu = [], []
                for _ in range(count):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    client.get(url)
                    kept.append((time.perf_counter() - started) * 1000)
                    kept_cpu.append((time.process_time() - started_cpu) * 1000)
                # Right after an action, as the app re-reads its route after each: one stop
                # changed and the route's version moved. An arrive changes the stop's row
                # only; a complete also what its door shows (its token dropped on commit).
                stop_ids = list(route.stops.values_list("pk", flat=True))
                after = {"arrive": ([], []), "complete": ([], [])}
                for kind, (changed, changed_cpu) in after.items():
                    for number in range(count):
                        stop_id = stop_ids[number % len(stop_ids)]
                        Stop.objects.filter(pk=stop_id).update(
                            status="arrived" if number % 2 == 0 else "planned",
                            arrived_at=timezone.now(), updated_at=timezone.now())
                        if kind == "complete":
                            doors_changed([stop_id])
                        Route.objects.filter(pk=route.pk).update(version=F("version") + 1,
                                                                 updated_at=timezone.now())
                        started, started_cpu = time.perf_counter(), time.process_time()
                        client.get(url)
                        changed.append((time.perf_counter() - started) * 1000)
                        changed_cpu.append((time.process_time() - started_cpu) * 1000)
                not_modified = []
                for _ in range(min(count, 50)):
                    started = time.perf_counter()
                    client.get(url, HTTP_IF_NONE_MATCH=etag)
                    not_modified.append((time.perf_counter() - started) * 1000)
                # The app's other frequent reads, and the kept route answer again: queries
                # and CPU a request.
                reads = {}
                for path in (url, "/api/mobile/v1/me/routes/", "/api/mobile/v1/changes/"):
                    queries.clear()
                    with connection.execute_wrapper(counter):
                        client.get(path)
                    read_cpu = []
                    for _ in range(count):
                        started_cpu = time.process_time()
                        client.get(path)
                        read_cpu.append((time.process_time() - started_cpu) * 1000)
                    reads[path] = (len(queries), statistics.fmean(read_cpu))
                raise _Rollback((timings, not_modified, query_count, len(first.content), cpu,
                                 kept, kept_cpu, after, reads))
        except _Rollback as done:
            (timings, not_modified, query_count, size, cpu, kept, kept_cpu, after,
             reads) = done.args[0]
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        mean = statistics.fmean(timings)
        self.stdout.write(
            f"routes/{{id}}/ with {stops} stops: {count} requests, {query_count} queries, "
            f"{size} bytes\n"
            f"  mean {mean:.1f} ms, p95 {p95:.1f} ms, min {timings[0]:.1f} ms "
            f"(target mean < 50 ms: {'ok' if mean < 50 else 'SLOW'})\n"
            f"  CPU {statistics.fmean(cpu):.1f} ms a request\n"
            f"  kept answer (mobile_api.route_cache): mean {statistics.fmean(kept):.1f} ms, "
            f"CPU {statistics.fmean(kept_cpu):.1f} ms\n"
            + "".join(f"  {AFTER[kind]}: mean {statistics.fmean(ms):.1f} ms, "
                      f"CPU {statistics.fmean(ms_cpu):.1f} ms\n"
                      for kind, (ms, ms_cpu) in after.items()) +
            f"  304 with If-None-Match (kept): mean {statistics.fmean(not_modified):.1f} ms\n"
            + "".join(f"  GET {path}: {n} queries, CPU {ms:.2f} ms a request\n"
                      for path, (n, ms) in reads.items()).rstrip("\n"))

    def handle_actions(self, requests: int, stops: int) -> None:
        try:
            with transaction.atomic():
                raise _Rollback(time_actions(requests, stops))
        except _Rollback as done:
            by_kind = done.args[0]
        for kind, (cpu, counts) in by_kind.items():
            self.stdout.write(
                f"{kind}: {len(cpu)} requests, CPU mean {statistics.fmean(cpu):.1f} ms, "
                f"median {statistics.median(cpu):.1f} ms, queries {statistics.fmean(counts):.1f} "
                f"(min {min(counts)}, max {max(counts)})")
