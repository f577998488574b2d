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
