"""The suggestion never proposes what the household had within the window."""
import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.circulation.models import Loan
from backend.orders.suggestions import suggest
from tests.factories import (
    BranchFactory,
    FamilyCardFactory,
    ItemFactory,
    ReaderFactory,
    TitleFactory,
)


def make_history(reader, member, titles, events, branch):
    """events: (title index, months ago, whose) -> loans in the past."""
    now = timezone.now()
    for index, months_ago, whose in events:
        title = titles[index]
        item = ItemFactory(title=title, branch=branch, status="available")
        Loan.objects.create(
            item=item, title=title, reader=reader if whose == 0 else member, branch=branch,
            status="returned", issued_at=now - relativedelta(months=months_ago, days=1),
            due_date=datetime.date.today(), returned_at=now,
        )


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    window=st.integers(min_value=1, max_value=24),
    events=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 30), st.integers(0, 1)), max_size=12
    ),
    never=st.sets(st.integers(0, 7), max_size=2),
)
def test_suggestions_skip_household_history_within_window(db, window, events, never):
    # Each example runs in its own transaction, rolled back, so examples do not mix.
    with transaction.atomic():
        check_one_example(window, events, never)
        transaction.set_rollback(True)


def check_one_example(window, events, never):
    branch = BranchFactory(code=f"H{window}", history_months=window)
    family = FamilyCardFactory(branch=branch)
    titles = [TitleFactory(title=f"Книга {i}", language="ru") for i in range(8)]
    reader = ReaderFactory(branch=branch, family_card=family, preferences={
        "never_send": [titles[i].title for i in never],
    })
    member = ReaderFactory(branch=branch, family_card=family)
    for title in titles:
        ItemFactory(title=title, branch=branch)
    make_history(reader, member, titles, events, branch)

    proposed = {s.title.id for s in suggest(reader=reader, branch=branch, limit=20)}

    recent = {titles[i].id for i, months, _ in events if months < window}
    assert not proposed & recent
    assert not proposed & {titles[i].id for i in never}
    # Everything else on the shelf is proposed: the filter removes no more than it should.
    assert proposed == {t.id for t in titles} - recent - {titles[i].id for i in never}


def test_large_print_reader_gets_large_print_first(db, branch):
    reader = ReaderFactory(branch=branch, language="kk",
                           preferences={"formats": ["large_print"], "subjects": ["поэзия"]})
    big = ItemFactory(branch=branch, title=TitleFactory(format="large_print", language="kk",
                                                        subjects=["поэзия"]))
    ItemFactory(branch=branch, title=TitleFactory(format="print", language="kk",
                                                  subjects=["поэзия"]))
    other = ItemFactory(branch=branch, title=TitleFactory(format="large_print", language="ru",
                                                          subjects=["история"]))
    ranked = [s.item.id for s in suggest(reader=reader, branch=branch)]
    assert ranked == [big.id, other.id]


def test_assigning_a_recently_read_title_is_refused(api, branch):
    reader = ReaderFactory(branch=branch)
    title = TitleFactory()
    old = ItemFactory(title=title, branch=branch)
    Loan.objects.create(item=old, title=title, reader=reader, branch=branch, status="returned",
                        issued_at=timezone.now() - relativedelta(months=2),
                        due_date=datetime.date.today())
    copy = ItemFactory(title=title, branch=branch)
    order = api.as_role("operator").post(
        "/api/v1/orders/", {"reader": reader.id, "lines": [{"wish": {"text": "что-нибудь"}}]},
        format="json").json()
    line = order["lines"][0]["id"]
    librarian = api.as_role("librarian")
    refused = librarian.post(f"/api/v1/order-lines/{line}/assign/", {"barcode": copy.barcode},
                             format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "line.recently_read"
    allowed = librarian.post(f"/api/v1/order-lines/{line}/assign/",
                             {"barcode": copy.barcode, "allow_reread": True}, format="json")
    assert allowed.status_code == 200
