"""A card's concerns: librarians read them (written in the card access log) and close them
with what was done; every other role is refused."""
import pytest

from backend.readers.models import CardAccess
from backend.routing import concerns
from backend.routing.models import Concern
from tests.mobile_api.conftest import make_volunteer, published_route, stops_of
from tests.openapi import assert_documented

NOTE = "Жаловалась на давление, просила позвонить дочери"


@pytest.fixture
def concern(db):
    volunteer = make_volunteer()
    stop = stops_of(published_route(volunteer, stops=1))[0]
    return concerns.concern_raise(stop=stop, volunteer=volunteer, kind="unwell", note=NOTE)


def test_a_librarian_reads_a_cards_concerns_and_it_is_logged(api, concern):
    librarian = api.as_role("librarian")
    url = f"/api/v1/readers/{concern.reader_id}/concerns/"
    response = librarian.get(url)
    assert response.status_code == 200, response.content
    assert_documented(response, "get", "/api/v1/readers/{id}/concerns/")
    [row] = response.json()["results"]
    assert row["note"] == NOTE and row["kind"] == "unwell" and row["closed_at"] is None
    assert row["stop"] == concern.stop_id and row["raised_by"]
    access = CardAccess.objects.get(path=url)
    assert access.user == librarian.user
    assert list(access.readers.values_list("id", flat=True)) == [concern.reader_id]


def test_a_librarian_closes_a_concern_with_what_was_done(api, concern):
    librarian = api.as_role("librarian")
    url = f"/api/v1/concerns/{concern.pk}/close/"
    response = librarian.post(url, {"note": "Позвонили дочери, вызвали врача"}, format="json")
    assert response.status_code == 200, response.content
    assert_documented(response, "post", "/api/v1/concerns/{id}/close/")
    assert response.json()["closing_note"] == "Позвонили дочери, вызвали врача"
    concern.refresh_from_db()
    assert concern.closed_at is not None and concern.closed_by == librarian.user
    again = librarian.post(url, {"note": "ещё раз"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "concern.closed"
    assert_documented(again, "post", "/api/v1/concerns/{id}/close/")
    empty = librarian.post(f"/api/v1/concerns/{concern.pk}/close/", {}, format="json")
    assert empty.status_code == 400


@pytest.mark.parametrize("role", ["operator", "coordinator", "volunteer"])
def test_other_roles_get_403(api, concern, role):
    client = api.as_role(role)
    assert client.get(f"/api/v1/readers/{concern.reader_id}/concerns/").status_code == 403
    response = client.post(f"/api/v1/concerns/{concern.pk}/close/", {"note": "x"},
                           format="json")
    assert response.status_code == 403
    assert Concern.objects.get().closed_at is None


def test_open_concerns_come_first(api, concern):
    concerns.concern_close(concern=concern, note="Всё в порядке", by=None)
    newer = concerns.concern_raise(stop=concern.stop, volunteer=concern.raised_by,
                                   kind="other", note="Дверь не заперта")
    rows = api.as_role("librarian").get(
        f"/api/v1/readers/{concern.reader_id}/concerns/").json()["results"]
    assert [r["id"] for r in rows] == [newer.pk, concern.pk]


def test_the_reader_admin_page_lists_concerns_for_librarians(client, concern):
    from tests.factories import UserFactory

    librarian = UserFactory(role="librarian", is_staff=True)
    client.force_login(librarian)
    response = client.get(f"/admin/readers/reader/{concern.reader_id}/change/")
    assert response.status_code == 200
    assert NOTE in response.content.decode()
