"""A staff API request reads the token's user once, with their roles: a trivial read is that
query and its own. Roles still count from the moment they change (read on every request)."""
import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from backend.accounts.tokens import StaffAccessToken
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db
BRANCHES = "/api/v1/branches/"


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {StaffAccessToken.for_user(user)}")
    return client


def test_a_trivial_staff_read_is_the_user_and_its_own_queries(django_assert_max_num_queries):
    BranchFactory(name="Бишкуль")
    client = bearer(UserFactory(role="librarian"))
    # The user with their role names; the page's count and rows.
    with django_assert_max_num_queries(3):
        response = client.get(BRANCHES)
    assert response.status_code == 200
    assert [b["name"] for b in response.json()["results"]] == ["Бишкуль"]
    with django_assert_max_num_queries(1):
        me = client.get("/api/v1/auth/me/")
    assert me.json()["roles"] == ["librarian"]


def test_every_role_of_the_user_counts():
    user = UserFactory(role="volunteer")
    user.groups.add(Group.objects.get_or_create(name="coordinator")[0])
    client = bearer(user)
    assert client.get(BRANCHES).status_code == 200
    assert client.get("/api/v1/auth/me/").json()["roles"] == ["coordinator", "volunteer"]


def test_a_role_taken_away_is_refused_at_once():
    user = UserFactory(role="operator")
    client = bearer(user)
    assert client.get(BRANCHES).status_code == 200
    user.groups.clear()
    refused = client.get(BRANCHES)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert client.get("/api/v1/auth/me/").json()["roles"] == []


def test_a_superuser_without_roles_and_a_volunteer():
    assert bearer(UserFactory(is_superuser=True)).get(BRANCHES).status_code == 200
    assert bearer(UserFactory(role="volunteer")).get(BRANCHES).status_code == 403


def test_a_deleted_user_is_refused_by_both_apis():
    from tests.mobile_api.conftest import app_for, make_volunteer

    staff, volunteer = UserFactory(role="librarian"), make_volunteer()
    clients = (bearer(staff), app_for(volunteer))
    volunteer.delete()
    staff.delete()
    volunteer.user.delete()
    for client, url in zip(clients, (BRANCHES, "/api/mobile/v1/me/")):
        refused = client.get(url)
        assert refused.status_code == 401
        assert refused.json()["code"] == "auth.token_invalid"
