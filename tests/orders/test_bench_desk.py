"""`manage.py bench_desk` times the desk's four requests and leaves nothing behind."""
import re
from io import StringIO

import pytest
from django.core.management import call_command

from backend.orders.models import CallLog, Order
from backend.readers.models import CardAccess, Reader

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_bench_times_the_four_requests_and_rolls_back():
    out = StringIO()
    call_command("bench_desk", "--calls", "2", stdout=out)
    lines = out.getvalue().splitlines()[1:]
    assert [line.split()[0] for line in lines] == [
        "readers/?q=<phone>", "desk/lookup/?phone=", "titles/?q=", "POST"]
    for line in lines:
        queries = float(re.search(r"([\d.]+) queries", line).group(1))
        assert 0 < queries < 30
    assert not Reader.objects.exists()
    assert not Order.objects.exists()
    assert not CallLog.objects.exists()
    assert not CardAccess.objects.exists()
