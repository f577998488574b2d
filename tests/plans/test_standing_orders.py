"""The daily job that turns standing plans into orders."""
import datetime
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.calendar import is_holiday
from backend.orders.models import Order, OrderLine, OrderStatus
from backend.orders.services import order_create
from backend.plans.models import StandingPlan
from backend.plans.orders import standing_orders_generate
from backend.plans.services import (
    standing_plan_create,
    standing_plan_pause_add,
    standing_plan_pause_remove,
    standing_plan_update,
)
from tests.factories import FamilyCardFactory, ReaderFactory

D = datetime.date
T = datetime.time
TODAY = D(2026, 12, 10)


@pytest.fixture
def frozen_today(db, monkeypatch):
    """Today is 2026-12-10 in Almaty: order_create refuses dates before the branch's today,
    so the clock is fixed for these tests to mean the same on any day they run."""
    moment = datetime.datetime(2026, 12, 10, 4, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    return TODAY


def make_plan(owner=None, **overrides):
    owner = owner if owner is not None else {"reader": ReaderFactory()}
    data = {"rrule": "FREQ=DAILY", "starts_on": D(2026, 12, 1), "window_start": T(10, 0),
            "window_end": T(12, 0), "items_per_visit": 1, **owner, **overrides}
    return standing_plan_create(data=data)


def plan_orders(plan=None):
    qs = Order.objects.filter(standing_plan__isnull=False)
    if plan is not None:
        qs = qs.filter(standing_plan=plan)
    return set(qs.values_list("standing_plan_id", "preferred_date"))


def test_daily_plan_makes_orders_but_none_on_independence_day(frozen_today):
    plan = make_plan()
    result = standing_orders_generate(days=10, today=TODAY)
    dates = sorted(d for _p, d in plan_orders(plan))
    assert D(2026, 12, 16) not in dates
    assert D(2026, 12, 15) in dates and D(2026, 12, 17) in dates
    # From tomorrow through today + 10; today itself is not generated.
    assert dates == [D(2026, 12, d) for d in (11, 12, 13, 14, 15, 17, 18, 19, 20)]
    assert len(result.created) == 9 and not result.existed and not result.skipped
    order = Order.objects.get(standing_plan=plan, preferred_date=D(2026, 12, 15))
    assert order.channel == "standing_plan" and order.status == OrderStatus.NEW
    assert (order.window_start, order.window_end) == (T(10, 0), T(12, 0))
    assert order.lines.count() == 1


def test_running_twice_makes_the_same_orders_as_running_once(frozen_today):
    make_plan()
    make_plan(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    make_plan(rrule="FREQ=WEEKLY;BYDAY=WE,TH")
    first = standing_orders_generate(days=10, today=TODAY)
    once = plan_orders()
    counts = (Order.objects.count(), OrderLine.objects.count())
    second = standing_orders_generate(days=10, today=TODAY)
    assert plan_orders() == once
    assert (Order.objects.count(), OrderLine.objects.count()) == counts
    assert not second.created
    assert sorted(second.existed) == sorted(first.created)
    # Every second Tuesday from 12-01: 12-15 is the one in range.
    assert {d for p, d in once if StandingPlan.objects.get(pk=p).rrule.endswith("TU")} == {
        D(2026, 12, 15)
    }


def test_a_concurrent_run_loses_the_race_without_undoing_the_rest(frozen_today, monkeypatch):
    """Another worker makes (plan, 12-12) after our look at the existing orders and before
    our insert: the unique constraint refuses ours, and the other dates are still made."""
    import backend.plans.orders as standing

    plan = make_plan()
    real_calendar = standing.standing_plan_calendar

    def calendar_while_another_worker_runs(plan, start, end):
        order_create(reader=plan.reader, lines=[{"wish_text": "x"}], channel="standing_plan",
                     standing_plan=plan, preferred_date=D(2026, 12, 12))
        return real_calendar(plan, start, end)

    monkeypatch.setattr(standing, "standing_plan_calendar",
                        calendar_while_another_worker_runs)
    result = standing_orders_generate(days=3, today=TODAY)
    assert (plan.pk, D(2026, 12, 12)) in result.existed
    assert sorted(result.created) == [(plan.pk, D(2026, 12, 11)), (plan.pk, D(2026, 12, 13))]
    assert Order.objects.filter(standing_plan=plan).count() == 3


def test_the_constraint_holds_one_order_per_plan_and_date(frozen_today):
    plan = make_plan()
    line = [{"wish_text": "x"}]
    order_create(reader=plan.reader, lines=line, standing_plan=plan, preferred_date=D(2026, 12, 20))
    with pytest.raises(IntegrityError):
        order_create(reader=plan.reader, lines=line, standing_plan=plan,
                     preferred_date=D(2026, 12, 20))


def test_pauses_give_no_orders(frozen_today):
    plan = make_plan()
    standing_plan_pause_add(plan=plan, starts_on=D(2026, 12, 12), ends_on=D(2026, 12, 14))
    standing_orders_generate(days=7, today=TODAY)
    assert sorted(d for _p, d in plan_orders(plan)) == [
        D(2026, 12, 11), D(2026, 12, 15), D(2026, 12, 17),
    ]


def test_a_paused_reader_gets_none(frozen_today):
    plan = make_plan()
    reader = plan.reader
    reader.status = "paused"
    reader.save()
    result = standing_orders_generate(days=7, today=TODAY)
    assert not plan_orders(plan)
    assert not result.created


def test_an_inactive_plan_gets_none(frozen_today):
    plan = make_plan(active=False)
    standing_orders_generate(days=7, today=TODAY)
    assert not plan_orders(plan)


def test_a_family_plan_makes_one_order_for_the_household(frozen_today):
    head = ReaderFactory(preferences={"subjects": ["поэзия"], "languages": ["kk"],
                                      "formats": ["large_print"]})
    member = ReaderFactory(language="ru", preferences={"formats": ["audio"]})
    family = FamilyCardFactory(head=head)
    for reader in (head, member):
        reader.family_card = family
        reader.save()
    plan = make_plan({"family_card": family}, rrule="FREQ=WEEKLY;BYDAY=TU", items_per_visit=3)
    standing_orders_generate(days=7, today=TODAY)
    orders = list(Order.objects.filter(standing_plan=plan))
    assert len(orders) == 1
    order = orders[0]
    assert order.preferred_date == D(2026, 12, 15)
    assert order.reader == head and order.family_card == family
    lines = list(order.lines.order_by("position"))
    assert [line.reader for line in lines] == [head, member, head]
    assert (lines[0].wish_language, lines[0].wish_format, lines[0].wish_subject) == (
        "kk", "large_print", "поэзия")
    assert (lines[1].wish_language, lines[1].wish_format) == ("ru", "audio")
    assert not Order.objects.filter(reader=member).exists()


def test_wishes_rotate_over_the_readers_subjects(frozen_today):
    reader = ReaderFactory(preferences={"subjects": ["поэзия", "история", "детективы"],
                                        "languages": ["kk", "ru"], "formats": ["print"]})
    plan = make_plan({"reader": reader}, rrule="FREQ=WEEKLY;BYDAY=FR", items_per_visit=2)
    standing_orders_generate(days=14, today=TODAY)
    visits = [
        [(line.wish_subject, line.wish_language, line.wish_format)
         for line in order.lines.order_by("position")]
        for order in Order.objects.filter(standing_plan=plan).order_by("preferred_date")
    ]
    assert visits == [
        [("поэзия", "kk", ""), ("история", "ru", "")],
        [("детективы", "kk", ""), ("поэзия", "ru", "")],
    ]


def test_refusals_are_skipped_with_their_code_and_the_rest_is_made(frozen_today):
    limited = ReaderFactory()
    limited.branch.reader_loan_limit = 2
    limited.branch.save()
    bad = make_plan({"reader": limited}, items_per_visit=3)
    good = make_plan()
    result = standing_orders_generate(days=3, today=TODAY)
    assert not plan_orders(bad)
    assert len(plan_orders(good)) == 3
    assert {(s.plan_id, s.code) for s in result.skipped} == {(bad.pk, "loan.reader_limit")}
    assert len(result.skipped) == 3


def test_a_new_pause_withdraws_untouched_orders_and_removing_it_brings_them_back(frozen_today):
    plan = make_plan()
    standing_orders_generate(days=5, today=TODAY)
    pause = standing_plan_pause_add(plan=plan, starts_on=D(2026, 12, 12),
                                    ends_on=D(2026, 12, 13))
    assert sorted(d for _p, d in plan_orders(plan)) == [
        D(2026, 12, 11), D(2026, 12, 14), D(2026, 12, 15),
    ]
    withdrawn = Order.objects.filter(channel="standing_plan", standing_plan__isnull=True)
    assert sorted(withdrawn.values_list("status", flat=True)) == ["cancelled", "cancelled"]
    standing_plan_pause_remove(pause=pause)
    result = standing_orders_generate(days=5, today=TODAY)
    assert sorted(result.created) == [(plan.pk, D(2026, 12, 12)), (plan.pk, D(2026, 12, 13))]


def test_stopping_a_plan_withdraws_its_new_orders(frozen_today):
    plan = make_plan()
    standing_orders_generate(days=3, today=TODAY)
    standing_plan_update(plan=plan, data={"active": False})
    assert not plan_orders(plan)
    assert Order.objects.filter(status="cancelled").count() == 3


def test_command_prints_a_summary(frozen_today):
    make_plan()
    out = io.StringIO()
    call_command("generate_standing_orders", "--days", "10", "--today", "2026-12-10", stdout=out)
    assert "9 created, 0 already existed, 0 skipped" in out.getvalue()
    out = io.StringIO()
    call_command("generate_standing_orders", "--days", "10", "--today", "2026-12-10", stdout=out)
    assert "0 created, 9 already existed, 0 skipped" in out.getvalue()


def test_celery_task_runs_eagerly_and_makes_the_orders(frozen_today):
    from backend.plans.tasks import generate_standing_orders_task

    plan = make_plan()
    assert generate_standing_orders_task.name == "plans.generate_standing_orders"
    summary = generate_standing_orders_task.delay(days=10).get()
    assert summary["created"] == 9 and summary["start"] == "2026-12-11"
    assert len(plan_orders(plan)) == 9
    assert generate_standing_orders_task.delay(days=10).get()["created"] == 0


WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

rules = st.one_of(
    st.builds(
        lambda days, interval: f"FREQ=WEEKLY;INTERVAL={interval};"
                               f"BYDAY={','.join(WEEKDAYS[d] for d in sorted(days))}",
        st.sets(st.integers(0, 6), min_size=1, max_size=7), st.integers(1, 3),
    ),
    st.builds(lambda day: f"FREQ=MONTHLY;BYMONTHDAY={day}", st.integers(1, 28)),
)
pause_lists = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 10)), max_size=3,
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=rules, pauses=pause_lists, start_offset=st.integers(0, 30))
def test_generated_dates_avoid_pauses_and_holidays_and_reruns_add_nothing(
    frozen_today, rule, pauses, start_offset
):
    # Every example shares the test's transaction, so it cleans up after itself.
    reader = ReaderFactory()
    plan = make_plan({"reader": reader}, rrule=rule,
                     starts_on=TODAY - datetime.timedelta(days=start_offset))
    kept = []
    for offset, length in pauses:
        first = TODAY + datetime.timedelta(days=offset)
        last = first + datetime.timedelta(days=length)
        if any(a <= last and b >= first for a, b in kept):
            continue
        standing_plan_pause_add(plan=plan, starts_on=first, ends_on=last)
        kept.append((first, last))
    try:
        standing_orders_generate(days=45, today=TODAY)
        once = plan_orders(plan)
        for _plan_id, day in once:
            assert TODAY < day <= TODAY + datetime.timedelta(days=45)
            assert not is_holiday(day)
            assert not any(a <= day <= b for a, b in kept)
        again = standing_orders_generate(days=45, today=TODAY)
        assert not again.created
        assert plan_orders(plan) == once
    finally:
        OrderLine.objects.filter(order__standing_plan=plan).delete()
        Order.objects.filter(reader=reader).delete()
        plan.delete()
        reader.changes.all().delete()
        reader.delete()
