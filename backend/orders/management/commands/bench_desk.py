"""`manage.py bench_desk`: time the phone desk's four requests on a call, as the load test's
operators make them: the caller found by number (GET /api/v1/readers/?q=), their desk card
(GET /api/v1/desk/lookup/?phone=), the catalog searched (GET /api/v1/titles/?q=) and the
order taken with the call (POST /api/v1/orders/).

Everything it makes is rolled back at the end. The requests go through Django's test
client with a real staff JWT, so authentication, permissions, the queries, the access log
and the JSON are all timed. It prints the queries and the CPU time of a request of each kind
(the thread's CPU: what this process spends, not the database's). The savepoint
statements are counted apart: inside the bench's own transaction each transaction of a
request is a SAVEPOINT and its RELEASE (two statements a request on its own does not send),
and each one nested in it (an order's message) is one in production too.
"""
from __future__ import annotations

import datetime
import json
import statistics
import time
import uuid
from urllib.parse import quote

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone


class _Rollback(Exception):
    pass


WORDS = ("Абай", "Дала", "Көктем", "Жол", "Өмір", "Тау", "Әке", "Ана")


def build_desk(callers: int):
    """A branch, an operator, a catalog with copies on the shelf and `callers` readers
    with a mobile phone, two loans (one overdue) and five past visits each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from backend.branches.models import Branch
    from backend.catalog.models import Item, ItemStatus, Title
    from backend.catalog.selectors import title_search_fields
    from backend.circulation.models import Loan, LoanStatus
    from backend.orders.models import LineStatus, Order, OrderLine, OrderStatus
    from backend.readers.models import Reader, ReaderPhone, ReaderStatus

    tag = uuid.uuid4().hex[:6].upper()
    branch = Branch.objects.create(code=f"BD{tag[:4]}", name=f"Bench {tag}", settlement="Бишкуль",
                                   lat=54.0, lon=69.0)
    user = get_user_model().objects.create_user(username=f"bench-desk-{tag}", first_name="Bench",
                                                phone=None, branch=branch)
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    titles = []
    for number in range(len(WORDS) * 5):
        title = Title(title=f"{WORDS[number % len(WORDS)]} {tag} {number}",
                      authors=["Мұхтар Әуезов"], language="ru")
        title_search_fields(title)
        title.save()
        titles.append(title)
        Item.objects.bulk_create([Item(title=title, barcode=f"BD{tag}{number:03d}{copy}",
                                       branch=branch, status=ItemStatus.AVAILABLE)
                                  for copy in range(callers // 10 + 2)])
    today = branch.today()
    phones = []
    for number in range(1, callers + 1):
        reader = Reader.objects.create(
            branch=branch, card_number=f"BD-{tag}-{number}", last_name=f"Оқырман{number}",
            first_name="Айгүл", category="elderly", status=ReaderStatus.ACTIVE, language="ru",
            settlement="Бишкуль", street="Абая", house=str(number), lat=54.0, lon=69.0,
            consent_date=today,
            availability=[{"weekday": day, "start": "10:00", "end": "13:00"} for day in range(5)])
        phone = f"+7702{number:07d}"
        ReaderPhone.objects.create(reader=reader, number=phone)
        phones.append((reader, phone))
        for days, title in ((-3, titles[0]), (20, titles[1])):
            item = Item.objects.create(title=title, barcode=f"BD{tag}L{number:04d}{days}",
                                       branch=branch, status=ItemStatus.ON_LOAN)
            Loan.objects.create(item=item, title=title, reader=reader, branch=branch,
                                status=LoanStatus.ACTIVE, issued_at=timezone.now(),
                                due_date=today + datetime.timedelta(days=days))
        for visit in range(5):
            order = Order.objects.create(reader=reader, branch=branch,
                                         status=OrderStatus.DELIVERED, preferred_date=today)
            OrderLine.objects.create(order=order, reader=reader, kind="title",
                                     title=titles[visit], status=LineStatus.DELIVERED)
    return user, branch, phones


class Command(BaseCommand):
    help = "Time the phone desk's four requests on a call (rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("-n", "--calls", type=int, default=100)

    def handle(self, *args, **options):
        from backend.accounts.tokens import StaffRefreshToken, tokens_issue

        calls = max(1, options["calls"])
        warm = 5
        try:
            with transaction.atomic():
                user, branch, phones = build_desk(calls + warm)
                token = tokens_issue(user=user, token_class=StaffRefreshToken)["access"]
                client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
                day = (branch.today() + datetime.timedelta(days=3)).isoformat()
                figures: dict[str, tuple[list, list]] = {}

                def timed(name: str, number: int, url: str, body: dict | None = None):
                    queries = []

                    def counter(execute, sql, params, many, context):
                        queries.append(sql)
                        return execute(sql, params, many, context)

                    # Django clears connection.queries when a request starts: count with a
                    # wrapper.
                    with connection.execute_wrapper(counter):
                        started = time.thread_time()
                        if body is None:
                            response = client.get(url)
                        else:
                            response = client.post(url, json.dumps(body),
                                                   content_type="application/json")
                        spent = (time.thread_time() - started) * 1000
                    if response.status_code not in (200, 201):
                        raise RuntimeError(f"{name} answered {response.status_code}: "
                                           f"{response.content[:300]}")
                    if number >= warm:
                        savepoints = sum("SAVEPOINT" in q.upper() for q in queries)
                        kept = figures.setdefault(name, ([], [], []))
                        kept[0].append(len(queries) - savepoints)
                        kept[1].append(savepoints)
                        kept[2].append(spent)
                    return response

                for number, (reader, phone) in enumerate(phones):
                    said = quote(f"8 {phone[2:5]} {phone[5:8]} {phone[8:10]} {phone[10:]}",
                                 safe="")
                    word = quote(WORDS[number % len(WORDS)].lower())
                    timed("readers/?q=<phone>", number, f"/api/v1/readers/?q={said}&page_size=10")
                    timed("desk/lookup/?phone=", number, f"/api/v1/desk/lookup/?phone={said}")
                    found = timed("titles/?q=", number,
                                  f"/api/v1/titles/?q={word}&language=ru"
                                  f"&available_at={branch.pk}&page_size=20").json()["results"]
                    timed("POST orders/", number, "/api/v1/orders/", {
                        "reader": reader.pk, "preferred_date": day,
                        "lines": [{"title": title["id"]} for title in found[:1 + number % 2]],
                        "window_start": "10:00", "window_end": "13:00",
                        "call": {"phone": phone, "duration_seconds": 120},
                    })
                raise _Rollback(figures)
        except _Rollback as done:
            figures = done.args[0]
        self.stdout.write(f"The desk's requests, {calls} calls (CPU: this process's thread):")
        for name, (counts, savepoints, cpu) in figures.items():
            self.stdout.write(f"  {name:22} {statistics.fmean(counts):5.1f} queries "
                              f"+ {statistics.fmean(savepoints):3.1f} savepoint statements, "
                              f"CPU mean {statistics.fmean(cpu):5.1f} ms, "
                              f"median {statistics.median(cpu):5.1f} ms")
