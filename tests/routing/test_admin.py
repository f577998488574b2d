"""Routing's part of the librarians' admin: the reader's card lists the volunteers' concerns."""
from django.urls import reverse

from backend.routing.models import Concern
from tests.factories import ReaderFactory, UserFactory


def test_the_reader_card_shows_the_volunteers_concerns(client, db):
    librarian = UserFactory(role="librarian", is_staff=True)
    client.force_login(librarian)
    reader = ReaderFactory()
    Concern.objects.create(reader=reader, kind="unwell", note="Дверь долго не открывала")

    page = client.get(reverse("admin:readers_reader_change", args=[reader.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Дверь долго не открывала" in html
    assert html.index("Дверь долго не открывала") < html.index('name="_save"')
