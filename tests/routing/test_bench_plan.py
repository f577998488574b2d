"""`manage.py bench_plan` times the coordinator's plan read on a city-sized day and leaves
nothing behind."""
import re
from io import StringIO

import pytest
from django.core.management import call_command

from backend.readers.models import CardAccess, Reader
from backend.routing.models import DayPlan, Stop

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_bench_times_the_plan_read_and_rolls_back():
    out = StringIO()
    call_command("bench_plan", "-n", "2", "--routes", "3", "--stops-per-route", "4",
                 "--unserved", "5", "--cancelled", "2", "--list", stdout=out)
    head, *lines = out.getvalue().splitlines()
    assert "3 routes and 17 stops shown" in head
    assert [line.split()[1] for line in lines] == ["plans/{id}/", "plans/{id}/progress/",
                                                     "plans/?date="]
    for line in lines:
        queries = int(re.search(r"(\d+) queries", line).group(1))
        assert 0 < queries < 20
        assert float(re.search(r"CPU mean +([\d.]+) ms", line).group(1)) > 0
    assert not DayPlan.objects.exists()
    assert not Stop.objects.exists()
    assert not Reader.objects.exists()
    assert not CardAccess.objects.exists()
