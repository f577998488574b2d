"""What happens at a door is read once (routing.doors) for the route sheet and the app."""
import pytest
from django.core.cache import cache

from backend.reports.route_sheet import route_sheet_data, routes_for_sheet
from backend.routing.door_stamps import door_stamps
from backend.routing.doors import Door, live_stop_rows, route_doors
from backend.routing.models import Route
from mobile_api.selectors import route_body
from tests.factories import ItemFactory, LoanFactory
from tests.mobile_api.conftest import make_volunteer, published_route


def a_day(stops: int) -> Route:
    route = published_route(make_volunteer(), stops=stops, family_every=2)
    # A member's loan on the family card is collected at the family's stop.
    for stop in route.stops.filter(family_card__isnull=False):
        member = stop.family_card.members.exclude(pk=stop.reader_id).first()
        LoanFactory(reader=member, family_card=stop.family_card,
                    item=ItemFactory(branch=route.plan.branch, status="on_loan"),
                    due_date=route.plan.date)
    return route


def test_the_route_sheet_and_the_app_show_the_same_doors(db):
    route = routes_for_sheet().get(pk=a_day(4).pk)
    sheet = route_sheet_data(route)["stops"]
    app = route_body(route)["stops"]
    assert len(sheet) == len(app) == 4
    assert any(row["members"] for row in sheet)
    for paper, phone in zip(sheet, app, strict=True):
        assert phone["details"] is True
        for key in ("id", "number", "sequence", "kind", "status", "window_start", "window_end",
                    "name", "members", "address", "access_notes", "phone", "lat", "lon"):
            assert paper[key] == phone[key], key
        assert paper["note"] == phone["note"]
        assert [(b["barcode"], b["title"], b["authors"], b["format"], b["reader"])
                for b in paper["hand_over"]] == [
            (b["barcode"], b["title"], b["authors"], b["format"], b["for"])
            for b in phone["hand_over"]]
        assert [(b["barcode"], b["title"], b["due_date"], b["reader"])
                for b in paper["collect"]] == [
            (b["barcode"], b["title"], b["due_date"], b["from"]) for b in phone["collect"]]
        assert len(paper["hand_over"]) == phone["items_to_hand_over"]
        assert len(paper["collect"]) == phone["items_to_collect"]
    family = next(row for row in sheet if row["family_card_id"])
    assert len(family["collect"]) == 2  # the reader's own loan and the member's


def test_a_door_is_a_frozen_answer(db):
    [door] = route_doors(a_day(1))
    assert isinstance(door, Door)
    with pytest.raises(AttributeError):
        door.name = "someone else"  # type: ignore[misc]


@pytest.mark.parametrize("stops", [2, 30])
def test_the_queries_do_not_grow_with_the_stops(db, django_assert_max_num_queries, stops):
    route = Route.objects.select_related("plan").get(pk=a_day(stops).pk)
    with django_assert_max_num_queries(6):
        doors = route_doors(route)
    assert len(doors) == stops
    assert sum(len(door.hand_over) for door in doors) == 2 * stops
    assert [door.number for door in doors] == list(range(1, stops + 1))


def test_no_stops_no_doors(db):
    volunteer = make_volunteer()
    route = published_route(volunteer, stops=0)
    assert route_doors(route) == []


def test_some_doors_are_read_as_in_the_whole_route(db):
    route = Route.objects.select_related("plan").get(pk=a_day(4).pk)
    whole = route_doors(route)
    rows = live_stop_rows(route)
    assert [row["id"] for row in rows] == [door.stop_id for door in whole]
    numbers = {rows[1]["id"]: 2, rows[3]["id"]: 4}
    assert route_doors(route, numbers=numbers) == [whole[1], whole[3]]
    assert route_doors(route, numbers={}) == []


def test_a_changed_household_drops_the_tokens_of_its_doors(db, django_capture_on_commit_callbacks):
    from backend.readers import services as reader_services

    with django_capture_on_commit_callbacks(execute=True):  # what making the day noted
        route = a_day(2)
    first, second = route.stops.order_by("sequence")
    before = door_stamps([first.pk, second.pk])
    assert door_stamps([first.pk, second.pk]) == before  # kept while nothing changes
    with django_capture_on_commit_callbacks(execute=True):
        reader_services.reader_update(reader=first.reader, data={"last_name": "Жаңабаева"})
    after = door_stamps([first.pk, second.pk])
    assert after[first.pk] != before[first.pk]
    assert after[second.pk] == before[second.pk]


def test_an_order_put_on_a_stop_drops_its_token(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # what making the day noted
        route = a_day(2)
    first, second = route.stops.order_by("sequence")
    before = door_stamps([first.pk, second.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first.orders.add(*second.orders.all())
    after = door_stamps([first.pk, second.pk])
    assert after[first.pk] != before[first.pk]
    assert after[second.pk] == before[second.pk]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
