"""The demo's standing plans: about a third of the active households get a visit schedule."""
import datetime

import pytest

from backend.demo.orders import load_demo_standing_plans
from backend.plans.models import StandingPlan
from tests.factories import ReaderFactory


@pytest.fixture
def frozen_today(db, monkeypatch):
    """Today is 2026-12-10 in Almaty, so the plans' dates mean the same on any day."""
    moment = datetime.datetime(2026, 12, 10, 4, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    return moment.date()


def test_demo_plans_for_a_third_of_households(frozen_today):
    readers = [ReaderFactory(preferences={"subjects": ["поэзия"]}) for _ in range(9)]
    ReaderFactory(status="paused")
    lines = []
    assert load_demo_standing_plans(lines.append) == 3
    assert StandingPlan.objects.count() == 3
    assert {p.reader_id for p in StandingPlan.objects.all()} == {
        readers[0].id, readers[3].id, readers[6].id}
    assert StandingPlan.objects.filter(pauses__isnull=False).count() == 1
    assert load_demo_standing_plans(lines.append) == 0
    assert StandingPlan.objects.count() == 3
    assert "0 created, 3 already there" in lines[-1]
