"""The demo's volunteer step: six profiles with shifts, made once."""
import datetime

import pytest

from backend.demo.base import load_demo, registered_steps
from backend.volunteers import selectors
from backend.volunteers.models import Absence, Shift, Volunteer

pytestmark = pytest.mark.django_db

NEEDED = ("branches", "staff", "volunteers")


def run():
    return load_demo([step for step in registered_steps() if step.name in NEEDED])


def test_the_demo_gives_the_six_volunteers_profiles_once():
    ctx = run()
    assert ctx.created["volunteers"] == 6
    volunteers = list(selectors.volunteer_queryset())
    assert sorted(v.user.username for v in volunteers) == [f"volunteer{i}" for i in range(1, 7)]
    transports = sorted(v.transport for v in volunteers)
    assert transports == ["bicycle", "car", "car", "foot", "foot", "public_transport"]
    assert all(8 <= v.capacity <= 25 and 8 <= v.max_stops <= 15 for v in volunteers)
    assert {tuple(v.languages) for v in volunteers} >= {("kk",), ("ru",)}
    at_home = [v for v in volunteers if v.starts_at == "home"]
    assert len(at_home) == 1 and at_home[0].home_lat is not None
    assert abs(at_home[0].home_lat - at_home[0].branch.lat) < 0.05
    assert all(v.shifts.all() for v in volunteers)
    assert Absence.objects.count() == 1

    counts = (Volunteer.objects.count(), Shift.objects.count(), Absence.objects.count())
    again = run()
    assert again.created["volunteers"] == 0 and again.found["volunteers"] == 6
    assert (Volunteer.objects.count(), Shift.objects.count(), Absence.objects.count()) == counts


def test_demo_volunteers_work_on_weekdays():
    ctx = run()
    branch = ctx.branches["BSH"]

    monday = ctx.today + datetime.timedelta(days=(7 - ctx.today.weekday()) % 7 or 7)
    monday += datetime.timedelta(days=14)  # past the demo's absence
    available = selectors.volunteers_available(branch, monday)
    assert len(available) == 2
    sunday = monday + datetime.timedelta(days=6)
    assert selectors.volunteers_available(branch, sunday) == []
