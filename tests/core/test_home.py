"""Where each role lands after signing in on the staff sign-in page."""
import pytest

from tests.factories import UserFactory
from tests.volunteers.factories import VolunteerFactory

PASSWORD = "correct-horse-battery"


def sign_in(client, user):
    response = client.post("/accounts/login/", {"username": user.username,
                                                 "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client.get(response["Location"])


def test_a_volunteer_lands_in_the_app(client, db):
    volunteer = VolunteerFactory()
    response = sign_in(client, volunteer.user)
    assert response.status_code == 302
    assert response["Location"] == "/app/"


@pytest.mark.parametrize("role, page", [("operator", "/desk/"), ("coordinator", "/plan/")])
def test_staff_still_land_on_their_page(client, db, role, page):
    response = sign_in(client, UserFactory(role=role))
    assert response["Location"] == page


def test_a_volunteer_who_is_also_staff_lands_on_the_staff_page(client, db):
    volunteer = VolunteerFactory()
    from django.contrib.auth.models import Group

    volunteer.user.groups.add(Group.objects.get_or_create(name="operator")[0])
    assert sign_in(client, volunteer.user)["Location"] == "/desk/"
