"""Where a card is visited, in the librarians' admin: the status in words, the pin on the map
(hidden inputs the map fills), choosing among the geocoder's places, and the cards without
coordinates flagged and filtered in the list."""
import pytest
from django.urls import reverse

from backend.readers.models import CardChange, FamilyCard, GeocodeStatus, Reader
from tests.factories import FamilyCardFactory, ReaderFactory, UserFactory
from tests.readers.test_admin import ADD, CHANGELIST, change_url, family_form, reader_form

FAR = (54.9, 69.3)
HOME = (54.78, 69.1)


@pytest.fixture
def librarian(client, db):
    client.user = UserFactory(role="librarian", is_staff=True)
    client.force_login(client.user)
    return client


def added_reader(client, branch, **overrides) -> Reader:
    response = client.post(ADD, reader_form(branch, **overrides))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Reader.objects.get(last_name="Ахметова")


def edit(client, reader, branch, **overrides):
    phone = reader.phones.get()
    data = reader_form(branch, **{"phones-INITIAL_FORMS": "1", "phones-0-id": str(phone.pk),
                                  "phones-0-reader": str(reader.pk), **overrides})
    return client.post(change_url(reader), data)


def test_card_without_coordinates_is_flagged_and_shows_the_map(librarian, branch, settings):
    settings.GEOCODER_URL = ""
    client = librarian
    reader = added_reader(client, branch, lat="", lon="")
    assert reader.lat is None and reader.geocode_status == GeocodeStatus.PENDING
    html = client.get(change_url(reader)).content.decode()
    assert "Нет координат: визиты нельзя запланировать" in html
    assert "data-card-map" in html and "js/card_map.js" in html
    assert 'type="hidden" name="lat"' in html and 'type="hidden" name="lon"' in html
    # No coordinate is typed: there is no visible latitude input.
    assert 'type="number" name="lat"' not in html


def test_a_pin_on_the_map_is_a_place_set_by_hand(librarian, branch, settings):
    settings.GEOCODER_URL = ""
    client = librarian
    reader = added_reader(client, branch, lat="", lon="")
    # What the map writes into the hidden inputs when the librarian clicks it.
    response = edit(client, reader, branch, lat="54.781234", lon="69.104321")
    assert response.status_code == 302, response.context["adminform"].form.errors
    reader.refresh_from_db()
    assert (reader.lat, reader.lon) == (54.781234, 69.104321)
    assert reader.geocode_status == GeocodeStatus.MANUAL
    change = CardChange.objects.filter(reader=reader).first()
    assert change.actor == client.user and set(change.changes) == {"lat", "lon"}
    html = client.get(change_url(reader)).content.decode()
    assert "Отмечено на карте вручную." in html
    assert "Нет координат" not in html


def test_saving_without_touching_the_map_keeps_the_found_place(librarian, branch):
    client = librarian
    reader = added_reader(client, branch, lat="", lon="")
    Reader.objects.filter(pk=reader.pk).update(lat=HOME[0], lon=HOME[1],
                                               geocode_status=GeocodeStatus.FOUND)
    response = edit(client, reader, branch, lat=str(HOME[0]), lon=str(HOME[1]),
                    landmark="Синие ворота")
    assert response.status_code == 302, response.context["adminform"].form.errors
    reader.refresh_from_db()
    assert reader.geocode_status == GeocodeStatus.FOUND and reader.landmark == "Синие ворота"


def test_librarian_chooses_one_of_the_places_in_the_form(librarian, branch):
    client = librarian
    reader = added_reader(client, branch, lat="", lon="")
    Reader.objects.filter(pk=reader.pk).update(
        geocode_status=GeocodeStatus.AMBIGUOUS,
        geocode_candidates=[{"lat": HOME[0], "lon": HOME[1], "label": "Абая 12, Бишкуль"},
                            {"lat": FAR[0], "lon": FAR[1], "label": "Абая 12, Соколовка"}])
    html = client.get(change_url(reader)).content.decode()
    assert "Геокодер нашёл несколько мест" in html
    assert "Абая 12, Соколовка" in html and 'name="geocode_choice"' in html
    response = edit(client, reader, branch, lat="", lon="", geocode_choice="1")
    assert response.status_code == 302, response.context["adminform"].form.errors
    reader.refresh_from_db()
    assert (reader.lat, reader.lon, reader.geocode_status) == (*FAR, "found")
    assert reader.geocode_candidates == []
    assert CardChange.objects.filter(reader=reader).first().changes == {
        "lat": [None, FAR[0]], "lon": [None, FAR[1]]}


def test_a_choice_that_is_not_offered_is_a_form_error(librarian, branch):
    client = librarian
    reader = added_reader(client, branch, lat="", lon="")
    Reader.objects.filter(pk=reader.pk).update(
        geocode_status=GeocodeStatus.AMBIGUOUS,
        geocode_candidates=[{"lat": HOME[0], "lon": HOME[1], "label": "Абая 12"},
                            {"lat": FAR[0], "lon": FAR[1], "label": "Абая 12 бис"}])
    response = edit(client, reader, branch, lat="", lon="", geocode_choice="7")
    assert response.status_code == 200
    assert "geocode_choice" in response.context["adminform"].form.errors
    reader.refresh_from_db()
    assert reader.lat is None and reader.geocode_status == GeocodeStatus.AMBIGUOUS


def test_list_flags_and_filters_cards_without_coordinates(librarian, branch):
    placed = ReaderFactory(branch=branch)
    lost = ReaderFactory(branch=branch, lat=None, lon=None, last_name="Безкоординатова")
    family = FamilyCardFactory(branch=branch, lat=None, lon=None)
    member = ReaderFactory(branch=branch, family_card=family)  # own place, family has none
    client = librarian
    response = client.get(CHANGELIST, {"coordinates": "missing"})
    assert set(response.context["cl"].result_list) == {lost, member}
    assert "нет координат" in response.content.decode()
    response = client.get(CHANGELIST, {"coordinates": "set"})
    assert set(response.context["cl"].result_list) == {placed}


def test_family_card_pin_and_status(librarian, branch, settings):
    settings.GEOCODER_URL = ""
    first = ReaderFactory(branch=branch)
    client = librarian
    response = client.post(reverse("admin:readers_familycard_add"),
                           family_form(branch, [], head=first))
    assert response.status_code == 302, response.context["adminform"].form.errors
    family = FamilyCard.objects.get()
    url = reverse("admin:readers_familycard_change", args=[family.pk])
    html = client.get(url).content.decode()
    assert "Нет координат" in html and "data-card-map" in html
    response = client.post(url, family_form(branch, [first], head=first, lat="54.7", lon="69.2",
                                            status="open"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    family.refresh_from_db()
    assert (family.lat, family.lon, family.geocode_status) == (54.7, 69.2, "manual")
    # The member's card says it is visited at the family's address.
    assert "Посещают по адресу семейной карты" in client.get(change_url(first)).content.decode()


def test_family_list_filters_cards_without_coordinates(librarian, branch):
    placed = FamilyCardFactory(branch=branch, lat=54.7, lon=69.1)
    lost = FamilyCardFactory(branch=branch, lat=None, lon=None)
    url = reverse("admin:readers_familycard_changelist")
    response = librarian.get(url, {"coordinates": "missing"})
    assert list(response.context["cl"].result_list) == [lost]
    assert "нет координат" in response.content.decode()
    assert list(librarian.get(url, {"coordinates": "set"}).context["cl"].result_list) == [placed]


def test_a_place_name_from_the_geocoder_is_shown_as_text(librarian, branch):
    reader = ReaderFactory(branch=branch, lat=None, lon=None,
                           geocode_status=GeocodeStatus.AMBIGUOUS,
                           geocode_candidates=[
                               {"lat": 54.7, "lon": 69.1, "label": "<img src=x onerror=alert(1)>"},
                               {"lat": 54.9, "lon": 69.3, "label": 'Абая" data-x="1'}])
    html = librarian.get(change_url(reader)).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'data-x="1' not in html
