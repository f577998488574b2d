"""Orders and their lines answered as plain dicts are what DRF writes field by field with
OrderOutputSerializer (librarians, operators, no request), PlanningOrderOutputSerializer
(coordinators: the lines' counts, no lines) and OrderLineOutputSerializer (a line's
actions), for lists and single orders alike."""
import datetime

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from backend.orders.apis import order_serializer
from backend.orders.models import Order, OrderLine
from backend.orders.selectors import order_queryset
from backend.orders.serializers import (
    OrderLineOutputSerializer,
    OrderOutputSerializer,
    PlanningOrderOutputSerializer,
)
from backend.plans.models import StandingPlan
from tests.answer_shape import as_json, assert_same_answer, field_by_field
from tests.factories import (
    FamilyCardFactory,
    ItemFactory,
    ReaderFactory,
    TitleFactory,
    UserFactory,
)

# Whole orders for those who choose books; counts for coordinators (and anyone else).
SERIALIZER = {"librarian": OrderOutputSerializer, "operator": OrderOutputSerializer,
              "superuser": OrderOutputSerializer, "coordinator": PlanningOrderOutputSerializer,
              "volunteer": PlanningOrderOutputSerializer}


def _request(who: str):
    if who == "superuser":
        user = UserFactory(is_superuser=True, is_staff=True)
    else:
        user = UserFactory(role=who)
    request = APIRequestFactory().get("/api/v1/orders/")
    request.user = user
    return request


@pytest.fixture
def full_order(branch, make_user):
    """Every field set; lines of both kinds in four statuses, with and without a copy, one
    for another member of the family."""
    family = FamilyCardFactory(branch=branch)
    reader = ReaderFactory(branch=branch, family_card=family)
    member = ReaderFactory(branch=branch, family_card=family, first_name="Асель")
    plan = StandingPlan.objects.create(
        reader=reader, rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=datetime.date(2026, 1, 5),
        window_start=datetime.time(10), window_end=datetime.time(12))
    order = Order.objects.create(
        reader=reader, family_card=family, branch=branch, channel="standing_plan",
        status="failed", preferred_date=datetime.date(2026, 12, 8),
        window_start=datetime.time(9, 30), window_end=datetime.time(13, 15, 20),
        scheduled_date=datetime.date(2026, 12, 9), note="Позвонить за час",
        standing_plan=plan, fail_reason="not_home", fail_note="Не открыли",
        failed_attempts=2, created_by=make_user("operator"))
    abai = TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов", "Ғабит Мүсірепов"],
                        format="large_print", language="kk")
    copy = ItemFactory(title=abai, branch=branch, status="reserved")
    delivered = ItemFactory(title=TitleFactory(authors=[]), branch=branch, status="on_loan")
    lines = [
        {"kind": "title", "title": abai, "item": copy, "status": "reserved", "reader": reader},
        {"kind": "title", "title": delivered.title, "item": delivered, "status": "delivered",
         "reader": member},
        {"kind": "wish", "wish_text": "Есенберлин", "wish_format": "audio",
         "wish_language": "kk", "wish_subject": "история", "status": "waiting",
         "reader": reader},
        {"kind": "wish", "wish_text": "Про войну", "status": "cancelled", "reader": reader},
        {"kind": "title", "title": abai, "status": "waiting", "reader": member},
    ]
    for position, line in enumerate(lines):
        OrderLine.objects.create(order=order, position=position, **line)
    return order_queryset().get(pk=order.pk)


@pytest.fixture
def sparse_order(branch):
    """No family, plan, dates, window, note or failure; no lines."""
    order = Order.objects.create(reader=ReaderFactory(branch=branch), branch=branch)
    return order_queryset().get(pk=order.pk)


def _reference(serializer_class, order, **kwargs) -> dict:
    return field_by_field(serializer_class, order, **kwargs)


@pytest.mark.parametrize("who", list(SERIALIZER))
@pytest.mark.parametrize("which", ["full_order", "sparse_order"])
def test_an_order_is_what_the_fields_write_for_each_role(request, which, who):
    order = request.getfixturevalue(which)
    http = _request(who)
    serializer_class = order_serializer(http)
    assert serializer_class is SERIALIZER[who]
    for context in ({"request": http}, {}):  # the detail answer is given no context
        plain = serializer_class(order, context=context).data
        assert_same_answer(plain, _reference(serializer_class, order, context=context))


@pytest.mark.parametrize("which", ["full_order", "sparse_order"])
def test_an_order_with_nobody_to_ask_is_the_whole_order(request, which):
    order = request.getfixturevalue(which)
    assert order_serializer(None) is OrderOutputSerializer
    plain = OrderOutputSerializer(order, context={"request": None}).data
    assert_same_answer(plain, _reference(OrderOutputSerializer, order))


def test_a_page_of_orders_is_what_the_fields_write(full_order, sparse_order):
    orders = [full_order, sparse_order]
    for serializer_class in (OrderOutputSerializer, PlanningOrderOutputSerializer):
        page = serializer_class(orders, many=True).data
        assert len(page) == 2
        for plain, order in zip(page, orders, strict=True):
            assert_same_answer(plain, _reference(serializer_class, order))


def test_each_line_is_what_the_fields_write(full_order):
    lines = list(full_order.lines.all())
    assert {line.status for line in lines} == {"reserved", "delivered", "waiting", "cancelled"}
    for line in lines:
        assert_same_answer(OrderLineOutputSerializer(line).data,
                           _reference(OrderLineOutputSerializer, line))


def test_the_full_order_sets_every_field(full_order):
    whole = _reference(OrderOutputSerializer, full_order)
    assert all(value not in (None, "", [], {}) for value in whole.values()), whole
    assert (whole["window_start"], whole["window_end"]) == ("09:30", "13:15")
    lines = whole["lines"]
    assert [line["barcode"] is None for line in lines] == [False, False, True, True, True]
    assert [line["wish"] is None for line in lines] == [True, True, False, False, True]
    assert lines[0]["title"]["authors"] == ["Мұхтар Әуезов", "Ғабит Мүсірепов"]
    counts = _reference(PlanningOrderOutputSerializer, full_order)
    assert "lines" not in counts and list(counts)[-1] == "items"
    assert counts["items"] == {"reserved": 1, "delivered": 1, "waiting": 2, "cancelled": 1}


@pytest.mark.parametrize("who", ["librarian", "operator", "coordinator"])
def test_the_api_sends_the_fields_answer(api, full_order, who):
    client = api.as_role(who)
    serializer_class = SERIALIZER[who]
    reference = as_json(_reference(serializer_class, order_queryset().get(pk=full_order.pk)))
    detail = client.get(f"/api/v1/orders/{full_order.id}/").json()
    assert list(detail.items()) == list(reference.items())
    listed = client.get("/api/v1/orders/", {"reader": full_order.reader_id}).json()["results"]
    assert [list(order.items()) for order in listed] == [list(reference.items())]


@pytest.mark.parametrize("who", ["operator", "coordinator"])
def test_an_action_answers_the_fields_answer(api, full_order, who):
    """An order moved by an action is answered as it is read again, in the role's shape."""
    client = api.as_role(who)
    if who == "operator":
        Order.objects.filter(pk=full_order.pk).update(status="new")
        answer = client.post(f"/api/v1/orders/{full_order.id}/cancel/")
    else:
        Order.objects.filter(pk=full_order.pk).update(status="scheduled")
        answer = client.post(f"/api/v1/orders/{full_order.id}/fail/",
                             {"reason": "refused", "note": "Отказ"}, format="json")
    assert answer.status_code == 200, answer.json()
    reference = _reference(SERIALIZER[who], order_queryset().get(pk=full_order.pk))
    assert list(answer.json().items()) == list(as_json(reference).items())


def test_a_new_order_answer_is_what_the_fields_write(api, branch):
    """The order as written (not read back) is answered as DRF writes it read back."""
    reader = ReaderFactory(branch=branch)
    copy = ItemFactory(branch=branch, title=TitleFactory(authors=["Абай"]))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    answer = api.as_role("operator").post("/api/v1/orders/", {
        "reader": reader.id, "preferred_date": tomorrow.isoformat(),
        "window_start": "10:00", "window_end": "12:00", "note": "Домофон",
        "lines": [{"title": copy.title_id}, {"wish": {"text": "Стихи", "format": "audio"}}],
    }, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    reference = _reference(OrderOutputSerializer, order_queryset().get(pk=body["id"]))
    assert list(body.items()) == list(as_json(reference).items())


def test_a_field_added_to_the_serializers_shows_in_the_reference(full_order):
    """The comparison catches a field the plain dicts do not write, on the order and on
    its lines."""

    class LineWithMore(OrderLineOutputSerializer):
        position = serializers.IntegerField()

    class WithMore(OrderOutputSerializer):
        lines = LineWithMore(many=True, source="lines.all")

    reference = _reference(WithMore, full_order)
    assert list(reference["lines"][0])[-1] == "position"
    with pytest.raises(AssertionError):
        assert_same_answer(WithMore(full_order).data, reference)
