"""A card without consent starts paused, in the admin form as in the API: the form leaves a
new card's status to the rule (active with a consent date, paused without), says so, and
after saving tells the librarian the card is paused until the consent is recorded."""
import pytest
from django.contrib import messages
from django.urls import reverse
from django.utils.translation import override

from backend.readers.models import Reader
from tests.factories import UserFactory
from tests.readers.test_admin import reader_form
from tests.readers.test_reader_api import reader_payload

ADD = reverse("admin:readers_reader_add")


@pytest.fixture
def librarian_client(client, db):
    client.force_login(UserFactory(role="librarian", is_staff=True))
    return client


def test_api_card_without_consent_starts_paused(api, branch):
    payload = reader_payload(branch)
    del payload["consent"]
    response = api.as_role("librarian").post("/api/v1/readers/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "paused"
    assert response.json()["consent"]["date"] is None


def test_api_card_with_consent_starts_active(api, branch):
    response = api.as_role("librarian").post("/api/v1/readers/", reader_payload(branch),
                                             format="json")
    assert response.json()["status"] == "active"


def test_new_card_form_leaves_the_status_to_the_consent(librarian_client):
    form = librarian_client.get(ADD).context["adminform"].form
    status = form["status"]
    assert status.value() == ""
    with override("en"):
        assert "consent" in str(form.fields["status"].help_text)
    assert not form.fields["status"].required


def test_form_card_without_consent_is_saved_paused_with_a_message(librarian_client, branch):
    response = librarian_client.post(ADD, reader_form(branch, status="", consent_date=""),
                                     follow=True)
    assert response.status_code == 200
    reader = Reader.objects.get()
    assert (reader.status, reader.consent_date) == ("paused", None)
    warnings = [str(m) for m in response.context["messages"] if m.level == messages.WARNING]
    assert any(reader.card_number in note for note in warnings), warnings


def test_form_card_with_consent_is_saved_active_without_the_message(librarian_client, branch):
    response = librarian_client.post(ADD, reader_form(branch, status=""), follow=True)
    reader = Reader.objects.get()
    assert reader.status == "active"
    warnings = [str(m) for m in response.context["messages"] if m.level == messages.WARNING]
    assert not any(reader.card_number in note for note in warnings), warnings


def test_form_card_made_active_without_consent_is_refused(librarian_client, branch):
    response = librarian_client.post(ADD, reader_form(branch, status="active", consent_date=""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Reader.objects.exists()
