"""The report's figures: each one against a small history with known counts, the period
before, period bounds in Almaty time, a fixed number of queries, and the demo district."""
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from backend.circulation.models import Loan
from backend.orders.models import OrderEvent
from backend.readers.models import Reader
from backend.reports.figures import (
    Period,
    default_period,
    period_bounds,
    previous_bounds,
    report,
    summary,
)
from tests.factories import BranchFactory, FamilyCardFactory, LoanFactory, ReaderFactory
from tests.reports.factories import (
    DayPlanFactory,
    OrderFactory,
    RouteFactory,
    StopFactory,
    VolunteerFactory,
)

ALMATY = ZoneInfo("Asia/Almaty")


def at(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=ALMATY)


def created(reader, when):
    Reader.objects.filter(pk=reader.pk).update(created_at=when)


def loan(reader, issued, returned=None, channel="", **kwargs):
    made = LoanFactory(reader=reader, issued_at=issued, **kwargs)
    if returned:
        Loan.objects.filter(pk=made.pk).update(status="returned", returned_at=returned,
                                               return_channel=channel)
    return made


def event(order, to_status, when, note=""):
    made = OrderEvent.objects.create(order=order, to_status=to_status, note=note)
    OrderEvent.objects.filter(pk=made.pk).update(at=when)


@pytest.fixture
def history(db):
    """October 2026 against September 2026 in branch `b`; a second branch `o`."""
    b = BranchFactory(code="RB")
    o = BranchFactory(code="RO")
    fc = FamilyCardFactory(branch=b)
    fc2 = FamilyCardFactory(branch=b)
    r1 = ReaderFactory(branch=b, category="elderly", family_card=fc)
    r2 = ReaderFactory(branch=b, category="veteran")
    r3 = ReaderFactory(branch=b, category="disability_1", status="closed",
                       closed_at=at(10, 25))
    r4 = ReaderFactory(branch=b, category="elderly")
    r5 = ReaderFactory(branch=o, category="veteran")
    r6 = ReaderFactory(branch=b, category="housebound")
    for reader in (r1, r3, r5, r6):
        created(reader, at(1, 10))
    created(r2, at(10, 5))
    created(r4, at(9, 10))

    # Loans: issued and returned inside and outside October, both edges in local time.
    loan(r1, at(10, 2))
    loan(r1, at(10, 31, 23, 30))
    loan(r2, at(10, 10), at(10, 20), "visit", family_card=fc2)
    loan(r3, at(9, 15), at(10, 1, 0, 30), "desk")
    loan(r4, at(9, 5), at(9, 30, 23, 30), "desk")
    loan(r1, at(11, 1, 0, 10))
    loan(r5, at(10, 12))

    # Orders and their history.
    o1 = OrderFactory(reader=r1, status="delivered")
    event(o1, "scheduled", at(10, 1))
    event(o1, "delivered", at(10, 2))
    event(OrderFactory(reader=r2, status="partially_delivered"), "partially_delivered",
          at(10, 10))
    o3 = OrderFactory(reader=r3, status="delivered", fail_reason="refused")
    event(o3, "failed", at(10, 5), "not_home")
    event(o3, "failed", at(10, 8), "refused: a dog at the door")
    event(o3, "delivered", at(10, 12))
    event(OrderFactory(reader=r6, status="ready", fail_reason="unreachable"), "failed",
          at(10, 15))
    o5 = OrderFactory(reader=r4, status="delivered")
    event(o5, "failed", at(9, 3), "not_home")
    event(o5, "delivered", at(9, 5))
    event(OrderFactory(reader=r1, status="delivered"), "delivered", at(11, 1, 0, 10))
    event(OrderFactory(reader=r5, status="delivered"), "delivered", at(10, 12))

    # Stops: two volunteers in October, one of them in September too.
    v1 = VolunteerFactory(branch=b, user__first_name="Айгуль", user__last_name="Серикова")
    v2 = VolunteerFactory(branch=b, user__first_name="Ерлан", user__last_name="Аманов")
    route_a = RouteFactory(plan=DayPlanFactory(branch=b, date=datetime.date(2026, 10, 6)),
                           volunteer=v1, status="finished", duration_s=999,
                           started_at=at(10, 6, 10), finished_at=at(10, 6, 13, 30))
    StopFactory(route=route_a, reader=r3, status="completed", completed_at=at(10, 6, 11))
    StopFactory(route=route_a, reader=r6, status="completed", completed_at=at(10, 6, 12))
    StopFactory(route=route_a, reader=r1, status="failed", fail_reason="not_home")
    route_b = RouteFactory(plan=DayPlanFactory(branch=b, date=datetime.date(2026, 10, 7)),
                           volunteer=v2, status="published", duration_s=5400)
    StopFactory(route=route_b, reader=r1, status="completed", completed_at=at(10, 7, 10, 30))
    route_c = RouteFactory(plan=DayPlanFactory(branch=b, date=datetime.date(2026, 9, 20)),
                           volunteer=v1, status="published", duration_s=3600)
    StopFactory(route=route_c, reader=r4, status="completed", completed_at=at(9, 20, 11))
    return {"b": b, "o": o, "v1": v1, "v2": v2}


def rows_of(data):
    return {row["key"]: row for row in data["rows"]}


def test_period_bounds_are_local_midnights():
    start, end = period_bounds("month", 2026, 10)
    assert start == at(10, 1, 0) and end == at(11, 1, 0)
    assert start.utcoffset() == datetime.timedelta(hours=5)
    assert period_bounds("quarter", 2026, 4) == (at(10, 1, 0), at(1, 1, 0, year=2027))
    assert period_bounds("year", 2026, 7) == (at(1, 1, 0), at(1, 1, 0, year=2027))
    assert period_bounds("month", 2026, 12)[1] == at(1, 1, 0, year=2027)
    with pytest.raises(ValueError):
        period_bounds("quarter", 2026, 5)


def test_the_period_before():
    assert Period.of("month", 2026, 1).previous().start == at(12, 1, 0, year=2025)
    assert Period.of("quarter", 2026, 1).previous().start == at(10, 1, 0, year=2025)
    assert Period.of("year", 2026).previous().start == at(1, 1, 0, year=2025)
    assert previous_bounds(at(3, 1, 0), at(4, 1, 0)) == (at(2, 1, 0), at(3, 1, 0))
    assert default_period("month", datetime.date(2026, 11, 25)) == (2026, 10)
    assert default_period("quarter", datetime.date(2026, 2, 1)) == (2025, 4)


def test_readers_served_new_active_and_by_category(history):
    rows = rows_of(summary(history["b"], "month", 2026, 10))
    assert rows["readers.served"]["value"] == 4  # r1, r2 (loans), r3, r6 (visits)
    assert rows["readers.new"]["value"] == 1  # r2
    assert rows["readers.active"]["value"] == 3  # r3 closed in October
    assert rows["readers.category.elderly"]["value"] == 1
    assert rows["readers.category.veteran"]["value"] == 1
    assert rows["readers.category.disability_1"]["value"] == 1
    assert rows["readers.category.housebound"]["value"] == 1
    assert rows["readers.category.other"]["value"] == 0
    # September: r3 and r4; r4 new; r3 still active at the end of September.
    assert rows["readers.served"]["previous"] == 2
    assert rows["readers.new"]["previous"] == 1
    assert rows["readers.active"]["previous"] == 2
    assert rows["readers.category.elderly"]["previous"] == 1
    assert rows["readers.served"]["change"] == 2


def test_visits_made_and_failed_by_reason(history):
    rows = rows_of(summary(history["b"], "month", 2026, 10))
    assert rows["visits.made"]["value"] == 3
    assert rows["visits.delivered"]["value"] == 2
    assert rows["visits.partial"]["value"] == 1
    assert rows["visits.failed"]["value"] == 3
    assert rows["visits.failed.not_home"]["value"] == 1
    assert rows["visits.failed.refused"]["value"] == 1
    assert rows["visits.failed.unreachable"]["value"] == 1  # from the order's reason
    assert rows["visits.failed.other"]["value"] == 0
    assert (rows["visits.made"]["previous"], rows["visits.failed"]["previous"]) == (1, 1)
    assert rows["visits.failed.not_home"]["change"] == 0
    assert rows["visits.made"]["change"] == 2


def test_items_delivered_and_returned_by_channel(history):
    rows = rows_of(summary(history["b"], "month", 2026, 10))
    assert rows["items.delivered"]["value"] == 3
    assert rows["items.returned"]["value"] == 2
    assert rows["items.returned.visit"]["value"] == 1
    assert rows["items.returned.desk"]["value"] == 1
    assert rows["items.delivered"]["previous"] == 2
    assert rows["items.returned"]["previous"] == 1
    assert rows["items.returned.desk"]["previous"] == 1
    assert rows["items.returned"]["change"] == 1


def test_deliveries_and_hours_per_volunteer(history):
    v1, v2 = history["v1"].pk, history["v2"].pk
    rows = rows_of(summary(history["b"], "month", 2026, 10))
    assert rows[f"volunteer.{v1}.deliveries"]["value"] == 2
    assert rows[f"volunteer.{v1}.hours"]["value"] == 3.5  # recorded start to finish
    assert rows[f"volunteer.{v2}.deliveries"]["value"] == 1
    assert rows[f"volunteer.{v2}.hours"]["value"] == 1.5  # planned duration
    assert rows[f"volunteer.{v1}.deliveries"]["previous"] == 1
    assert rows[f"volunteer.{v1}.hours"]["previous"] == 1.0
    assert rows[f"volunteer.{v2}.hours"]["previous"] == 0
    assert rows[f"volunteer.{v1}.hours"]["change"] == 2.5
    assert "Серикова Айгуль" in rows[f"volunteer.{v1}.deliveries"]["label"]


def test_family_cards_served(history):
    rows = rows_of(summary(history["b"], "month", 2026, 10))
    assert rows["family_cards.served"]["value"] == 2  # one by a member, one by the card
    assert rows["family_cards.served"]["previous"] == 0


def test_whole_district_and_other_branch(history):
    everything = rows_of(summary(None, "month", 2026, 10))
    assert everything["readers.served"]["value"] == 5
    assert everything["items.delivered"]["value"] == 4
    assert everything["visits.made"]["value"] == 4
    other = rows_of(summary(history["o"], "month", 2026, 10))
    assert other["readers.served"]["value"] == 1
    assert other["items.returned"]["value"] == 0


def test_quarter_and_year_add_up(history):
    quarter = rows_of(summary(history["b"], "quarter", 2026, 4))
    assert quarter["items.delivered"]["value"] == 4  # October and the 1st of November
    assert quarter["items.delivered"]["previous"] == 2
    year = rows_of(summary(history["b"], "year", 2026))
    assert year["items.delivered"]["value"] == 6
    assert year["visits.failed"]["value"] == 4


def test_report_takes_any_bounds(history):
    data = report(history["b"], at(10, 1, 0), at(11, 1, 0))
    assert data["previous_start"] == at(9, 1, 0)
    assert rows_of(data)["items.delivered"]["value"] == 3


def test_a_fixed_number_of_queries(history):
    with CaptureQueriesContext(connection) as few:
        summary(history["b"], "month", 2026, 10)
    b = history["b"]
    for n in range(5):
        reader = ReaderFactory(branch=b, category="veteran")
        loan(reader, at(10, 3 + n))
        route = RouteFactory(plan=DayPlanFactory(branch=b, date=datetime.date(2026, 10, 20 + n)),
                             volunteer=VolunteerFactory(branch=b), duration_s=600)
        StopFactory(route=route, reader=reader, status="completed", completed_at=at(10, 20 + n))
    with CaptureQueriesContext(connection) as many:
        data = summary(history["b"], "month", 2026, 10)
    assert len(many) == len(few) <= 20
    assert rows_of(data)["readers.served"]["value"] == 9


@pytest.mark.django_db
def test_figures_match_direct_counts_for_the_demo_district():
    call_command("seed_demo", stdout=io.StringIO())
    year, month = default_period("month")
    start, end = period_bounds("month", year, month)
    rows = rows_of(summary(None, "month", year, month))
    issued = Loan.objects.filter(issued_at__gte=start, issued_at__lt=end)
    returned = Loan.objects.filter(returned_at__gte=start, returned_at__lt=end)
    assert issued.exists(), "the demo should have visits last month"
    assert rows["items.delivered"]["value"] == issued.count()
    assert rows["items.returned"]["value"] == returned.count()
    assert rows["items.returned.visit"]["value"] == returned.filter(return_channel="visit").count()
    made = OrderEvent.objects.filter(at__gte=start, at__lt=end,
                                     to_status__in=["delivered", "partially_delivered"])
    assert rows["visits.made"]["value"] == len(set(made.values_list("order_id", flat=True)))
    served = set(issued.values_list("reader_id", flat=True))
    from backend.routing.models import Stop

    served |= set(Stop.objects.filter(status="completed", completed_at__gte=start,
                                      completed_at__lt=end).values_list("reader_id", flat=True))
    assert rows["readers.served"]["value"] == len(served)
    families = {fc for pair in issued.values_list("family_card_id", "reader__family_card_id")
                for fc in pair if fc}
    assert rows["family_cards.served"]["value"] == len(families)
    before = Period.of("month", year, month).previous()
    previously = Loan.objects.filter(Q(issued_at__gte=before.start, issued_at__lt=before.end))
    assert rows["items.delivered"]["previous"] == previously.count()
