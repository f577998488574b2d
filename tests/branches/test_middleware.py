"""Times in the branch's zone: pages, PDFs and the mobile API say the library's time, whatever
zone the server runs in (here UTC) and whichever branch the person works for."""
import datetime

import pytest
from django.test import Client
from django.utils import timezone

from backend.branches.middleware import zone_of_branch
from backend.notifications.models import InboxItem, InboxKind
from tests.factories import BranchFactory, UserFactory
from tests.mobile_api.conftest import app_for, make_volunteer, published_route

pytestmark = pytest.mark.django_db

# 08:00 UTC: 13:00 in Almaty and Aqtobe (UTC+5), 14:00 in Omsk (UTC+6).
MOMENT = datetime.datetime(2026, 12, 8, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def inbox_page(branch) -> str:
    item = InboxItem.objects.create(kind=InboxKind.CALL, phone="+77015551234")
    InboxItem.objects.filter(pk=item.pk).update(created_at=MOMENT)
    client = Client()
    client.force_login(UserFactory(role="operator", branch=branch))
    html = client.get("/desk/inbox/").content.decode()
    return html.split(f'id="item-{item.pk}"')[1].split("</h2>")[0]


@pytest.mark.urls("tests.orders.urls_desk_pages")
@pytest.mark.parametrize(("zone", "shown"), [("Asia/Almaty", "08.12.2026 13:00"),
                                             ("Asia/Aqtobe", "08.12.2026 13:00"),
                                             ("Asia/Omsk", "08.12.2026 14:00")])
def test_a_page_shows_the_time_of_the_staff_members_branch(zone, shown):
    assert shown in inbox_page(BranchFactory(time_zone=zone))


@pytest.mark.urls("tests.orders.urls_desk_pages")
def test_without_a_branch_the_page_uses_the_sites_zone(settings):
    settings.TIME_ZONE = "Asia/Almaty"
    assert "08.12.2026 13:00" in inbox_page(None)


@pytest.mark.urls("tests.orders.urls_desk_pages")
def test_a_branch_that_moves_zone_is_shown_in_its_new_zone():
    branch = BranchFactory(time_zone="Asia/Almaty")
    assert "13:00" in inbox_page(branch)
    branch.time_zone = "Asia/Omsk"
    branch.save()
    assert "14:00" in inbox_page(branch)


def test_the_zone_is_not_left_behind_after_the_request():
    client = Client()
    client.force_login(UserFactory(role="operator", branch=BranchFactory(time_zone="Asia/Omsk")))
    client.get("/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_zone_of_a_branch_is_read_once(django_assert_num_queries):
    branch = BranchFactory(time_zone="Asia/Omsk")
    with django_assert_num_queries(1):
        assert str(zone_of_branch(branch.pk)) == "Asia/Omsk"
    with django_assert_num_queries(0):
        assert str(zone_of_branch(branch.pk)) == "Asia/Omsk"
    assert str(zone_of_branch(None)) == "UTC"


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Almaty", "+05:00"),
                                              ("Asia/Omsk", "+06:00")])
def test_the_mobile_api_writes_times_in_the_volunteers_branch_zone(zone, offset):
    volunteer = make_volunteer(BranchFactory(lat=54.0, lon=69.0, time_zone=zone))
    route = published_route(volunteer, stops=1)
    stop = route.stops.get()
    stop.expected_arrival = MOMENT
    stop.save(update_fields=["expected_arrival"])
    body = app_for(volunteer).get(f"/api/mobile/v1/routes/{route.pk}/").json()
    expected = body["stops"][0]["expected_arrival"]
    assert expected.endswith(offset)
    assert datetime.datetime.fromisoformat(expected) == MOMENT
    local = "13:00" if offset == "+05:00" else "14:00"
    assert expected[11:16] == local  # what the app shows (it reads the time as written)
