"""The volunteer's route shows the readers at its doors (names, addresses, phones, what to
hand over): each answer that sends them is written in the card access log, naming the
readers and family cards of its stops, whether the answer was built or kept. A 304 sends
nothing again, and a route whose details are hidden shows no card."""
import datetime

from backend.readers.models import CardAccess
from tests.mobile_api.conftest import published_route, stops_of

API = "/api/mobile/v1/"


def logged() -> list[tuple]:
    return [(row.user_id, row.action, row.channel, row.count, row.path,
             set(row.readers.values_list("pk", flat=True)),
             set(row.family_cards.values_list("pk", flat=True)))
            for row in CardAccess.objects.order_by("id")]


def test_each_route_sent_names_its_readers_and_households(volunteer, app):
    route = published_route(volunteer, stops=4, family_every=2)
    stops = stops_of(route)
    readers = {stop.reader_id for stop in stops}
    families = {stop.family_card_id for stop in stops if stop.family_card_id}
    assert len(families) == 2
    url = f"{API}routes/{route.pk}/"
    first = app.get(url)  # built
    assert first.status_code == 200 and first.json()["details_visible"] is True
    again = app.get(url)  # kept: the same bytes, logged all the same
    assert again.content == first.content
    row = (volunteer.user_id, "route", "api", 6, url, readers, families)
    assert logged() == [row, row]
    assert app.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert len(logged()) == 2  # the app shows its own copy: nothing sent, nothing logged


def test_a_cancelled_stop_is_not_named(volunteer, app):
    route = published_route(volunteer, stops=3)
    gone = stops_of(route)[1]
    gone.status = "cancelled"
    gone.save(update_fields=["status"])
    route.version += 1
    route.save(update_fields=["version"])
    assert app.get(f"{API}routes/{route.pk}/").status_code == 200
    [(_, _, _, count, _, readers, families)] = logged()
    assert readers == {stop.reader_id for stop in stops_of(route)} - {gone.reader_id}
    assert (count, families) == (2, set())


def test_a_route_with_its_details_hidden_logs_nothing(volunteer, app):
    from mobile_api.selectors import branch_today

    later = branch_today(volunteer.branch) + datetime.timedelta(days=3)
    route = published_route(volunteer, day=later, stops=2)
    body = app.get(f"{API}routes/{route.pk}/").json()
    assert body["details_visible"] is False
    assert logged() == []


def test_another_volunteers_route_logs_nothing(volunteer, app):
    from tests.mobile_api.conftest import make_volunteer

    theirs = published_route(make_volunteer(branch=volunteer.branch), stops=2)
    assert app.get(f"{API}routes/{theirs.pk}/").status_code == 404
    assert logged() == []
