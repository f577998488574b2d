"""The routes a change shows on are touched (routing.receivers.routes_touch): their
`updated_at` moves, so the app's kept answer (keyed by it) is built again, and the doors of
the stops found are dropped. On PostgreSQL the stops are read and their routes updated in one
statement; elsewhere a read and an UPDATE. Both ways touch the same routes and drop the same
doors."""
import datetime

import pytest
from django.db import connection

from backend.routing import receivers
from backend.routing.models import Route, RouteStatus, Stop
from tests.mobile_api.conftest import make_volunteer, published_route


def _day(vendor: str, monkeypatch):
    """Three routes: one shown with the reader's stop, one shown without it, and a draft
    with a stop of the same reader (a draft is not in the app). The doors dropped are kept.
    `vendor`: the way routes_touch takes ("postgresql": one statement, on PostgreSQL only)."""
    if vendor == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL only")
    # Made first, so that no stop of the route shown has its route's id.
    other = published_route(make_volunteer())
    shown = published_route(make_volunteer())
    draft = published_route(make_volunteer(), stops=1)
    draft.status = RouteStatus.DRAFT
    draft.save(update_fields=["status"])
    first = Stop.objects.filter(route=shown).order_by("sequence").first()
    Stop.objects.filter(route=draft).update(reader=first.reader)
    past = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    Route.objects.filter(pk__in=[shown.pk, other.pk, draft.pk]).update(updated_at=past)
    dropped: list[list[int]] = []
    monkeypatch.setattr(receivers, "doors_changed", lambda ids: dropped.append(sorted(ids)))
    monkeypatch.setattr(connection, "vendor", vendor)
    return shown, other, draft, first, past, dropped


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_the_routes_of_a_reader_are_touched_either_way(monkeypatch, vendor,
                                                       django_assert_num_queries):
    shown, other, draft, first, past, dropped = _day(vendor, monkeypatch)
    with django_assert_num_queries(1 if vendor == "postgresql" else 2):
        receivers.routes_touch(readers=[first.reader_id])
    monkeypatch.undo()
    touched = {route.pk: route.updated_at > past
               for route in Route.objects.filter(pk__in=[shown.pk, other.pk, draft.pk])}
    assert touched == {shown.pk: True, other.pk: False, draft.pk: False}
    assert dropped == [[first.pk]]


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_nothing_found_touches_nothing_and_drops_no_door(monkeypatch, vendor):
    shown, other, draft, first, past, dropped = _day(vendor, monkeypatch)
    receivers.routes_touch(orders=[0])
    monkeypatch.undo()
    assert not Route.objects.filter(pk__in=[shown.pk, other.pk, draft.pk],
                                    updated_at__gt=past).exists()
    assert dropped == []


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_a_route_found_through_several_stops_is_touched_once(monkeypatch, vendor):
    """The orders of all three stops of one route: three doors dropped, one route touched."""
    shown, other, draft, first, past, dropped = _day(vendor, monkeypatch)
    stops = list(Stop.objects.filter(route=shown).prefetch_related("orders"))
    receivers.routes_touch(orders=[order.pk for stop in stops for order in stop.orders.all()])
    monkeypatch.undo()
    assert list(Route.objects.filter(updated_at__gt=past).values_list("pk", flat=True)) \
        == [shown.pk]
    assert dropped == [sorted(stop.pk for stop in stops)]


def _households(vendor: str, monkeypatch):
    """A shown route of four stops, the second and fourth on a family card with a second
    member who is not the stop's reader; the doors dropped are kept."""
    if vendor == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("one statement on PostgreSQL only")
    route = published_route(make_volunteer(), stops=4, family_every=2)
    stops = list(Stop.objects.filter(route=route).order_by("sequence"))
    dropped: list[list[int]] = []
    monkeypatch.setattr(receivers, "doors_changed", lambda ids: dropped.append(sorted(ids)))
    monkeypatch.setattr(connection, "vendor", vendor)
    return stops, dropped


def _member_not_on_stop(stop):
    from backend.readers.models import Reader

    return Reader.objects.filter(family_card=stop.family_card).exclude(pk=stop.reader_id).get()


@pytest.mark.django_db
@pytest.mark.parametrize("vendor", ["postgresql", "other"])
@pytest.mark.parametrize("changed", ["member", "family", "order", "line title", "copy title",
                                     "loan title", "several"])
def test_each_way_a_stop_shows_a_change_finds_that_stop_alone(monkeypatch, vendor, changed):
    """A family member who is not the stop's reader finds the family's stop; a title finds the
    stops that hand over a copy of it (named on the line, or only through the copy) or collect
    one; several names find each of their stops once."""
    from backend.circulation.models import Loan
    from backend.orders.models import OrderLine

    stops, dropped = _households(vendor, monkeypatch)
    first, second, third, fourth = stops
    if changed == "member":
        receivers.routes_touch(readers=[_member_not_on_stop(fourth).pk])
        expected = [fourth]
    elif changed == "family":
        receivers.routes_touch(families=[second.family_card_id])
        expected = [second]
    elif changed == "order":
        receivers.routes_touch(orders=[third.orders.get().pk])
        expected = [third]
    elif changed == "line title":
        line = OrderLine.objects.filter(order__stops=first).first()
        receivers.routes_touch(titles=[line.title_id])
        expected = [first]
    elif changed == "copy title":
        line = OrderLine.objects.filter(order__stops=third).select_related("item").first()
        # A wish filled with a copy: the line names no title, its copy does.
        OrderLine.objects.filter(pk=line.pk).update(kind="wish", title=None,
                                                    wish_text="что-нибудь о степи")
        receivers.routes_touch(titles=[line.item.title_id])
        expected = [third]
    elif changed == "loan title":
        loan = Loan.objects.filter(reader=second.reader, status="active").get()
        receivers.routes_touch(titles=[loan.title_id])
        expected = [second]
    else:
        receivers.routes_touch(readers=[first.reader_id, _member_not_on_stop(second).pk],
                               orders=[first.orders.get().pk, third.orders.get().pk])
        expected = [first, second, third]
    assert dropped == [sorted(stop.pk for stop in expected)]


@pytest.mark.django_db
def test_the_stops_are_found_by_their_own_columns_not_through_joins(monkeypatch):
    """The stops are matched by their reader, family card and id against the rows named, with
    the route the only join: an OR across joins to family members and order links makes the
    database read every stop and every member for each change."""
    from django.test.utils import CaptureQueriesContext

    stops, dropped = _households(connection.vendor, monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        receivers.routes_touch(readers=[stops[0].reader_id], orders=[stops[2].orders.get().pk])
    read = next(query["sql"] for query in captured.captured_queries
                if 'FROM "routing_stop"' in query["sql"])
    joins = read.split(' FROM "routing_stop" ', 1)[1].split(" WHERE ", 1)[0]
    assert joins.count("JOIN") == 1 and '"routing_route"' in joins
    assert dropped == [sorted([stops[0].pk, stops[2].pk])]
