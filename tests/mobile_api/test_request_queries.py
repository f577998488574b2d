"""What a read of the app costs in queries, the token's user included: the user is read once,
with the volunteer profile and its branch, so the volunteer check and the branch's time zone
cost no query of their own. A change that adds a query to these reads fails here."""
import datetime

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.routing.models import RouteChange
from tests.factories import BranchFactory, UserFactory
from tests.mobile_api.conftest import (
    app_for,
    make_volunteer,
    post,
    published_route,
    route_reads,
    stops_of,
)

API = "/api/mobile/v1/"


def test_a_route_read_fresh_kept_and_after_an_arrive(app, route,
                                                     django_capture_on_commit_callbacks):
    """Each read also writes the card access log (`route_reads` leaves it out)."""
    url = f"{API}routes/{route.pk}/"
    cache.clear()
    # The user with volunteer and branch, the route, the stops' own columns and the six
    # queries of their doors (routing.doors.route_doors).
    with CaptureQueriesContext(connection) as captured:
        first = app.get(url)
    assert first.status_code == 200 and len(first.json()["stops"]) == 3
    assert len(route_reads(captured)) <= 9
    # Kept: the user and the route (ownership and version), nothing else.
    with CaptureQueriesContext(connection) as captured:
        kept = app.get(url)
    assert kept.json() == first.json()
    assert len(route_reads(captured)) <= 2
    with django_capture_on_commit_callbacks(execute=True):
        assert post(app, f"{API}stops/{stops_of(route)[0].pk}/arrive/").status_code == 200
    # After an arrive: the user, the route and the stops' own columns; every door kept.
    with CaptureQueriesContext(connection) as captured:
        after = app.get(url)
    assert after.json()["stops"][0]["status"] == "arrived"
    assert len(route_reads(captured)) <= 3


def test_the_days_routes_and_the_changes(app, route, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        routes = app.get(f"{API}me/routes/")
    assert [r["id"] for r in routes.json()["routes"]] == [route.pk]
    assert routes.json()["routes"][0]["stops_total"] == 3
    RouteChange.objects.create(route=route, volunteer=route.volunteer, kind="published")
    with django_assert_max_num_queries(2):
        changes = app.get(f"{API}changes/")
    assert [c["route"] for c in changes.json()["changes"]] == [route.pk]
    assert changes.json()["changes"][0]["date"] == route.plan.date.isoformat()


def test_the_profile_is_one_query(app, volunteer, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        me = app.get(f"{API}me/")
    assert me.status_code == 200
    assert me.json()["branch"]["id"] == volunteer.branch_id


def test_a_volunteer_profile_deactivated_is_refused_at_once(app, volunteer, route):
    assert app.get(f"{API}routes/{route.pk}/").status_code == 200
    volunteer.active = False
    volunteer.save(update_fields=["active"])
    refused = app.get(f"{API}routes/{route.pk}/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


def test_an_account_without_a_volunteer_profile_is_refused(db):
    refused = app_for(UserFactory()).get(f"{API}me/routes/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"


def test_a_volunteer_with_a_branch_of_their_own_reads_its_clock(db):
    """A volunteer account tied to a branch (user.branch) reads that branch's time, as before
    the volunteer's home branch was read with the user."""
    volunteer = make_volunteer(BranchFactory(lat=54.0, lon=69.0, time_zone="Asia/Almaty"))
    volunteer.user.branch = BranchFactory(time_zone="Asia/Omsk")
    volunteer.user.save(update_fields=["branch"])
    route = published_route(volunteer, stops=1)
    moment = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=datetime.UTC)
    route.stops.update(expected_arrival=moment)
    body = app_for(volunteer).get(f"{API}routes/{route.pk}/").json()
    assert body["stops"][0]["expected_arrival"].endswith("+06:00")
    assert timezone.get_current_timezone_name() != "Asia/Omsk"  # not left behind
