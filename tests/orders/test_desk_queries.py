"""What one phone call costs the database: the four requests the desk makes on a call (the
caller found by number, their desk card, the catalog searched, the order taken) each run a
fixed, small number of queries however much the household has, and taking an order answers
with the order as it is stored.

The budgets count the queries a test sees: it runs in a transaction, so the card access log
and the order's message (each in a transaction of its own) add a SAVEPOINT and its RELEASE
that a request on its own does not send. The message's row itself is written by one INSERT
with no savepoint around it (backend.core.inserts)."""
import datetime

import pytest
from django.db import connection
from django.utils import timezone

from backend.orders.models import CallLog, Order
from backend.orders.services import order_create
from backend.readers.models import CardAccess
from tests.factories import (
    FamilyCardFactory,
    ItemFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
)

PHONE = "8 701 123 45 67"


def _visited(reader, title, days_ago: int, status: str = "delivered", failed: int = 0) -> Order:
    order = order_create(reader=reader, lines=[{"title": title}, {"wish_text": "стихи"}])
    Order.objects.filter(pk=order.pk).update(
        status=status, failed_attempts=failed,
        updated_at=timezone.now() - datetime.timedelta(days=days_ago))
    return order


@pytest.fixture
def household(branch):
    """A caller on a family card with a sister: loans of both (one overdue), visits made and
    failed, an open order, a standing plan of the caller's and one of the family's."""
    from backend.plans.models import StandingPlan

    family = FamilyCardFactory(branch=branch)
    caller = ReaderFactory(branch=branch, family_card=family, last_name="Ахметова",
                           availability=[{"weekday": d, "start": "10:00", "end": "13:00"}
                                         for d in range(5)])
    sister = ReaderFactory(branch=branch, family_card=family, last_name="Ахметова")
    family.head = caller
    family.save(update_fields=["head"])
    ReaderPhoneFactory(reader=caller, number="+77011234567")
    for reader in (caller, sister):
        LoanFactory(reader=reader)
        LoanFactory(reader=reader, due_date=datetime.date.today() - datetime.timedelta(days=3))
    title = TitleFactory(title="Абай жолы")
    for copy in range(4):
        ItemFactory(branch=branch, title=title, barcode=f"AJ-{copy}")
    for days in range(3):
        _visited(caller, title, days)
    _visited(caller, title, 5, status="failed", failed=1)
    _visited(caller, title, 6, status="cancelled", failed=1)
    order_create(reader=caller, lines=[{"title": title}],
                 preferred_date=datetime.date.today() + datetime.timedelta(days=2))
    for owner in ({"reader": caller}, {"family_card": family}):
        StandingPlan.objects.create(**owner, rrule="FREQ=WEEKLY;BYDAY=TU",
                                    starts_on=datetime.date.today(),
                                    window_start=datetime.time(10), window_end=datetime.time(12))
    return caller


def order_with_the_call(household) -> dict:
    """An order of one title with a copy on the shelf, taken with the call logged."""
    title = TitleFactory(title="Көшпенділер")
    ItemFactory(branch=household.branch, title=title)
    return {"reader": household.id, "lines": [{"title": title.id}],
            "preferred_date": (datetime.date.today() + datetime.timedelta(days=3)).isoformat(),
            "window_start": "10:00", "window_end": "13:00",
            "call": {"phone": "+77011234567", "duration_seconds": 120}}


@pytest.fixture
def operator(api):
    return api.as_role("operator")


def test_finding_the_caller_by_number_runs_few_queries(operator, household,
                                                     django_assert_max_num_queries):
    # Roles, the cards found (a page that is not full is not counted again), their phones,
    # their categories, and the access log (a row and its links, in a savepoint here).
    with django_assert_max_num_queries(8):
        response = operator.get("/api/v1/readers/", {"q": PHONE, "page_size": 10})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [household.id]
    assert response.json()["count"] == 1


def test_the_desk_card_runs_few_queries_whatever_the_household_has(
        operator, household, django_assert_max_num_queries):
    # Roles; the cards, their phones, categories and family members; the households'
    # loans; open and failed orders, visits and the lines of all of them; the plans and
    # their pauses; the access log (a row, its links to the cards and to the family card,
    # in a savepoint here).
    with django_assert_max_num_queries(16):
        response = operator.get("/api/v1/desk/lookup/", {"phone": PHONE})
    assert response.status_code == 200
    match = response.json()["matches"][0]
    assert match["reader"]["id"] == household.id
    assert len(match["loans"]) == 2
    assert len(match["due_back"]) == 2  # the caller's overdue loan and the sister's
    assert len(match["open_orders"]) == 2  # the order taken and the failed visit
    assert len(match["last_visits"]) == 5  # three made, one failed, one failed then cancelled
    assert [len(visit["lines"]) for visit in match["last_visits"]] == [2] * 5
    assert [plan["id"] for plan in match["standing_plans"]] == sorted(
        plan["id"] for plan in match["standing_plans"])
    assert len(match["standing_plans"]) == 2
    assert CardAccess.objects.filter(action="lookup", readers=household).count() == 1


def test_searching_the_catalog_runs_few_queries(operator, household, branch,
                                               django_assert_max_num_queries):
    # Roles, whether the words are a barcode, and the page: a full page counts the titles
    # with its rows, each once however many copies it has on the shelf.
    for number in range(25):
        title = TitleFactory(title=f"Абай туралы {number}")
        for _copy in range(1 + number % 3):
            ItemFactory(branch=branch, title=title)
    with django_assert_max_num_queries(3):
        response = operator.get("/api/v1/titles/", {"q": "абай", "language": "ru",
                                                    "available_at": branch.id,
                                                    "page_size": 20})
    assert response.status_code == 200
    assert response.json()["count"] == 25  # "Абай жолы": every copy taken by the orders
    assert len(response.json()["results"]) == 20
    last = operator.get("/api/v1/titles/", {"q": "абай", "language": "ru",
                                            "available_at": branch.id, "page_size": 20,
                                            "page": 2}).json()
    assert last["count"] == 25
    assert len({t["id"] for t in response.json()["results"] + last["results"]}) == 25


def test_taking_an_order_with_the_call_runs_few_queries(operator, household, reserving,
                                                         django_assert_num_queries):
    body = order_with_the_call(household)
    # Roles; the card (with its branch and family card, the items promised, on loan and the
    # household's loans: one query) and the title; the copy chosen and reserved (one
    # UPDATE); the order, its line, event and call (one statement on PostgreSQL, four
    # elsewhere); the message (the household's home hours, the phones with whether their
    # numbers said STOP, the template, the row: one INSERT, no savepoint of its own). The
    # savepoints of the request and of the message hook are the transactions a request
    # has too, but for the outermost. One more where an UPDATE cannot return rows (the
    # free copies are read first).
    written = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(12 + written + (reserving != "update-returning")):
        response = operator.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["status"] == "reserved"
    assert CallLog.objects.filter(order_id=response.json()["id"], reader=household).exists()


@pytest.mark.django_db(transaction=True)
def test_an_order_taken_on_its_own_opens_only_the_message_hooks_savepoint(operator, household):
    """A request with no test transaction around it: BEGIN, the order's statements, COMMIT,
    and one SAVEPOINT and its RELEASE, the message hook's (a message that cannot be written
    never undoes the order). The outbox writes its row with no savepoint of its own."""
    import importlib

    from django.apps import apps
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.notifications.models import Message, MessageTemplate

    # The default message texts come from a data migration that a flushed database lacks
    # (a test with transaction=True before this one empties every table).
    if not MessageTemplate.objects.filter(code="order_confirmed").exists():
        importlib.import_module("backend.notifications.migrations.0003_default_templates"
                                ).add_defaults(apps, None)

    body = order_with_the_call(household)
    with CaptureQueriesContext(connection) as captured:
        response = operator.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    statements = [query["sql"] for query in captured.captured_queries]
    # The request's transaction (a message due now is sent after it, in transactions of
    # the sending's own).
    statements = statements[:statements.index("COMMIT") + 1]
    assert len([sql for sql in statements if sql.startswith("SAVEPOINT")]) == 1
    assert len([sql for sql in statements if sql.startswith("RELEASE SAVEPOINT")]) == 1
    assert not [sql for sql in statements if sql.startswith("ROLLBACK")]
    assert any(sql.startswith('INSERT INTO "notifications_message"') for sql in statements)
    message = Message.objects.get(order_id=response.json()["id"])
    assert message.template == "order_confirmed"


def test_more_titles_in_an_order_add_only_their_copies_reserved(
        operator, household, reserving, django_assert_num_queries):
    # The titles the lines name are read in one query: a second title adds the UPDATE that
    # chooses and reserves its copy, nothing else (where an UPDATE cannot return rows, the
    # free copies of both are read in one query first).
    titles = [TitleFactory(title=f"Көшпенділер {number}") for number in range(2)]
    for title in titles:
        ItemFactory(branch=household.branch, title=title)
    body = {"reader": household.id, "lines": [{"title": title.id} for title in titles],
            "preferred_date": (datetime.date.today() + datetime.timedelta(days=3)).isoformat(),
            "window_start": "10:00", "window_end": "13:00",
            "call": {"phone": "+77011234567", "duration_seconds": 120}}
    written = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(13 + written + (reserving != "update-returning")):
        response = operator.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 201, response.json()
    assert [line["title"]["id"] for line in response.json()["lines"]] == [t.id for t in titles]
    assert [line["status"] for line in response.json()["lines"]] == ["reserved"] * 2


def test_titles_read_together_are_refused_as_before(operator, household):
    """An unknown title or one that is not an id is refused on its own line, in the words
    of a title looked up alone; a known title beside it changes nothing."""
    title = TitleFactory(title="Көшпенділер")
    for lines, line, words in (
            ([{"title": str(title.id)}, {"title": 999998}], "1",
             'Недопустимый первичный ключ "999998" - объект не существует.'),
            ([{"title": "abc"}], "0",
             "Некорректный тип. Ожидалось значение первичного ключа, получен str."),
            ([{"title": True}], "0",
             "Некорректный тип. Ожидалось значение первичного ключа, получен bool.")):
        refused = operator.post("/api/v1/orders/", {"reader": household.id, "lines": lines},
                                format="json")
        assert refused.status_code == 400
        assert refused.json()["code"] == "validation_error"
        assert refused.json()["fields"] == {"lines": {line: {"title": [words]}}}
    assert not Order.objects.filter(lines__title=title).exists()


def test_the_new_order_is_answered_as_it_is_stored(operator, household):
    """The answer to taking an order is built from what was written, not read back: it is
    what reading the order gives, for every kind of line and a family member's line."""
    branch = household.branch
    reserved = TitleFactory(title="Қара сөздер")
    ItemFactory(branch=branch, title=reserved)
    waiting = TitleFactory(title="Ботагөз")  # no free copy: the line waits
    ItemFactory(branch=branch, title=waiting, status="on_loan")
    copy = ItemFactory(branch=branch, title=TitleFactory(title="Абай жолы II"))
    sister = household.family_card.members.exclude(pk=household.pk).get()
    response = operator.post("/api/v1/orders/", {
        "reader": household.id,
        "lines": [{"title": reserved.id}, {"title": waiting.id}, {"barcode": copy.barcode},
                  {"wish": {"text": "Есенберлин", "language": "kk"}},
                  {"title": reserved.id, "reader": sister.id}],
        "preferred_date": (datetime.date.today() + datetime.timedelta(days=3)).isoformat(),
        "window_start": "10:00", "window_end": "13:00", "note": "домофон 12",
        "call": {"phone": PHONE, "duration_seconds": 95},
    }, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    stored = operator.get(f"/api/v1/orders/{created['id']}/").json()
    assert created == stored
    assert [line["status"] for line in created["lines"]] == [
        "reserved", "waiting", "reserved", "waiting", "waiting"]
    assert created["lines"][2]["barcode"] == copy.barcode
    assert created["family_card"]["id"] == household.family_card_id


def test_the_limit_counts_the_loans_and_the_items_promised(operator, branch):
    """The items on loan and those promised in open orders are counted together in one
    query: up to the limit an order is taken, one more is refused."""
    branch.reader_loan_limit = 4
    branch.save()
    reader = ReaderFactory(branch=branch)
    LoanFactory(reader=reader)
    order_create(reader=reader, lines=[{"barcode": ItemFactory(branch=branch).barcode}])
    copies = [ItemFactory(branch=branch).barcode for _ in range(3)]
    refused = operator.post("/api/v1/orders/", {
        "reader": reader.id, "lines": [{"barcode": code} for code in copies]}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "loan.reader_limit"
    taken = operator.post("/api/v1/orders/", {
        "reader": reader.id, "lines": [{"barcode": code} for code in copies[:2]]}, format="json")
    assert taken.status_code == 201, taken.json()


def _lone_caller(branch, **fields):
    """A caller on no family card and no standing plan (the load test's callers): two loans,
    visits made, an order open."""
    caller = ReaderFactory(branch=branch, last_name="Сейтова", **fields)
    ReaderPhoneFactory(reader=caller, number="+77011234567")
    LoanFactory(reader=caller)
    LoanFactory(reader=caller, due_date=datetime.date.today() - datetime.timedelta(days=3))
    title = TitleFactory(title="Абай жолы")
    for days in range(3):
        _visited(caller, title, days)
    order_create(reader=caller, lines=[{"title": title}])
    return caller


def test_the_desk_card_statements_are_counted_exactly(operator, household, is_postgres,
                                                      django_assert_num_queries):
    """Each statement of a lookup, so that one more is seen. Roles; the cards, with their
    phones and categories (on PostgreSQL in the cards' own statement, elsewhere two of
    their own); the family's members; the households' loans; the open and failed orders,
    the last visits and the lines of all of them (on PostgreSQL one statement, elsewhere
    three); the plans and their pauses; the access log (on PostgreSQL one statement,
    elsewhere a row and its links to the cards and to the family card in a transaction:
    here a savepoint and its release)."""
    with django_assert_num_queries(8 if is_postgres else 16):
        response = operator.get("/api/v1/desk/lookup/", {"phone": PHONE})
    assert response.status_code == 200
    match = response.json()["matches"][0]
    assert match["reader"]["id"] == household.id
    assert len(match["last_visits"]) == 5
    assert len(match["standing_plans"]) == 2


def test_a_lone_callers_card_statements_are_counted_exactly(operator, branch, is_postgres,
                                                            django_assert_num_queries):
    """A caller with no family card nor plan: no members nor pauses to read, and on
    PostgreSQL no plans either (the card says it has none). Roles; the card (with its phones
    and categories); the loans; the orders, visits and lines; elsewhere the plans; the access
    log (elsewhere a savepoint, the row, its link to the card, the release)."""
    caller = _lone_caller(branch, consent_recorded_by=operator.user)
    with django_assert_num_queries(5 if is_postgres else 13):
        response = operator.get("/api/v1/desk/lookup/", {"phone": PHONE})
    assert response.status_code == 200
    match = response.json()["matches"][0]
    assert match["reader"]["id"] == caller.id
    assert match["reader"]["consent"]["recorded_by"] == str(operator.user)
    assert len(match["loans"]) == 2
    assert len(match["last_visits"]) == 3
    assert [len(order["lines"]) for order in match["open_orders"]] == [1]
