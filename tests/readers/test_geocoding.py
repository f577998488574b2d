"""Addresses that find themselves: the geocoder gateway (geopy's Nominatim client against a
fake Nominatim on 127.0.0.1, tests/readers/fake_nominatim.py), the card's status, the
`geocode_readers` command and the list filter."""
import io

import pytest
from django.core.management import CommandError, call_command

from backend.readers import geocoder
from backend.readers.geocoding import readers_geocode
from backend.readers.models import GeocodeStatus, Reader
from tests.openapi import assert_documented
from tests.readers.fake_nominatim import FakeNominatim
from tests.readers.test_reader_api import URL, reader_payload

HOME = (54.78, 69.1)
NEAR = (54.7801, 69.1001)  # ~13 m away: the same house twice
FAR = (54.9, 69.3)  # another town


@pytest.fixture
def fake_nominatim(settings):
    fake = FakeNominatim().start()
    settings.GEOCODER_URL = fake.url
    settings.GEOCODER_TIMEOUT = 2
    settings.GEOCODER_RETRIES = 2
    settings.GEOCODER_RETRY_BACKOFF = 0
    settings.GEOCODER_COUNTRY_CODES = "kz"
    try:
        yield fake
    finally:
        fake.stop()


def payload(branch, **address):
    address = {"settlement": "Бишкуль", "street": "Абая", "house": "12", **address}
    return reader_payload(branch, address=address)


def create(api, branch, capture, **address):
    client = api.as_role("librarian")
    with capture(execute=True):
        response = client.post(URL, payload(branch, **address), format="json")
    assert response.status_code == 201, response.json()
    return Reader.objects.get(pk=response.json()["id"])


def test_found_address_gets_its_coordinates(api, branch, fake_nominatim,
                                            django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME, NEAR]
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert reader.geocode_status == GeocodeStatus.FOUND
    assert (reader.lat, reader.lon) == HOME
    request = fake_nominatim.requests[0]
    assert request["format"] == "jsonv2" and request["countrycodes"] == "kz"
    assert fake_nominatim.agents[0] == geocoder.USER_AGENT
    body = api.as_role("coordinator").get(f"{URL}{reader.pk}/").json()
    assert body["geocode_status"] == "found"
    assert body["address"]["lat"] == HOME[0]


def test_not_found(api, branch, fake_nominatim, django_capture_on_commit_callbacks):
    reader = create(api, branch, django_capture_on_commit_callbacks, street="Нет такой")
    assert reader.geocode_status == GeocodeStatus.NOT_FOUND
    assert reader.lat is None


def test_ambiguous_keeps_the_places_to_choose_from(api, branch, fake_nominatim,
                                                    django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME, NEAR, FAR]
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert reader.geocode_status == GeocodeStatus.AMBIGUOUS
    assert reader.lat is None
    assert [(c["lat"], c["lon"]) for c in reader.geocode_candidates] == [HOME, FAR]


def test_librarian_chooses_among_ambiguous_places(api, branch, fake_nominatim,
                                                  django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME, FAR]
    reader = create(api, branch, django_capture_on_commit_callbacks)
    choose = f"{URL}{reader.pk}/geocode/choose/"
    assert api.as_role("operator").post(choose, {"candidate": 1}, format="json"
                                        ).status_code == 403
    client = api.as_role("librarian")
    assert client.post(choose, {"candidate": 5}, format="json").status_code == 400
    response = client.post(choose, {"candidate": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert_documented(response, "post", "/api/v1/readers/{id}/geocode/choose/")
    body = response.json()
    assert (body["address"]["lat"], body["address"]["lon"]) == FAR
    assert body["geocode_status"] == "found" and body["geocode_candidates"] == []
    assert reader.changes.latest("pk").changes == {"lat": [None, FAR[0]], "lon": [None, FAR[1]]}
    assert client.post(choose, {"candidate": 0}, format="json").json()["code"] == "not_ambiguous"


def test_server_down_the_card_saves_and_a_retry_fills_it(
        api, branch, fake_nominatim, django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME]
    fake_nominatim.fail_next(1, status=503)
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert len(fake_nominatim.requests) == 2  # the task tried again
    assert reader.geocode_status == GeocodeStatus.FOUND


def test_server_down_for_good_says_so_and_the_command_fills_it_later(
        api, branch, fake_nominatim, settings, django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME]
    fake_nominatim.fail_next(3, status=500)  # the first try and both retries
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert reader.geocode_status == GeocodeStatus.UNAVAILABLE
    assert reader.lat is None
    out = io.StringIO()
    call_command("geocode_readers", "--no-progress", "--per-second", "100", stdout=out)
    reader.refresh_from_db()
    assert reader.geocode_status == GeocodeStatus.FOUND
    assert "found: 1" in out.getvalue()


def test_connection_refused_is_unavailable(api, branch, settings,
                                           django_capture_on_commit_callbacks):
    fake = FakeNominatim().start()
    settings.GEOCODER_URL = fake.url
    fake.stop()  # nobody listens there any more
    settings.GEOCODER_RETRIES = 0
    settings.GEOCODER_TIMEOUT = 1
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert reader.geocode_status == GeocodeStatus.UNAVAILABLE


def test_typed_coordinates_are_manual_and_never_replaced(
        api, branch, fake_nominatim, django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME]
    reader = create(api, branch, django_capture_on_commit_callbacks, lat=50.0, lon=70.0)
    assert reader.geocode_status == GeocodeStatus.MANUAL
    client = api.as_role("librarian")
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(f"{URL}{reader.pk}/", {"address": {
            "settlement": "Бишкуль", "street": "Абая", "house": "14"}}, format="json")
    reader.refresh_from_db()
    assert (reader.lat, reader.lon, reader.geocode_status) == (50.0, 70.0, "manual")
    assert fake_nominatim.requests == []


def test_a_changed_address_is_looked_up_again(api, branch, fake_nominatim,
                                              django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME]
    fake_nominatim.places[("Бишкуль", "14 Абая")] = [FAR]
    reader = create(api, branch, django_capture_on_commit_callbacks)
    client = api.as_role("librarian")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"{URL}{reader.pk}/", {"address": {
            "settlement": "Бишкуль", "street": "Абая", "house": "14",
            "lat": HOME[0], "lon": HOME[1]}}, format="json")
    assert response.status_code == 200, response.json()
    reader.refresh_from_db()
    assert (reader.lat, reader.lon, reader.geocode_status) == (*FAR, "found")


def test_without_geocoder_url_nothing_is_looked_up(api, branch, settings,
                                                   django_capture_on_commit_callbacks):
    settings.GEOCODER_URL = ""
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert reader.geocode_status == GeocodeStatus.PENDING
    with pytest.raises(CommandError):
        call_command("geocode_readers", "--no-progress")


def test_command_keeps_the_rate(branch, fake_nominatim):
    from tests.factories import ReaderFactory

    for house in ("1", "2", "3"):
        ReaderFactory(branch=branch, settlement="Бишкуль", street="Абая", house=house,
                      lat=None, lon=None)
        fake_nominatim.places[("Бишкуль", f"{house} Абая")] = [HOME]
    waits = []
    progress = []
    counts = readers_geocode(readers=Reader.objects.order_by("pk"), total=3, per_second=0.5,
                             sleep=waits.append,
                             progress=lambda phase, done, total: progress.append(done))
    assert counts == {"found": 3}
    assert len(waits) == 2 and all(1.5 < w <= 2 for w in waits)
    assert progress == [0, 1, 2, 3]


def test_list_filter_cards_without_coordinates(api, branch):
    from tests.factories import ReaderFactory

    with_coordinates = ReaderFactory(branch=branch, lat=54.0, lon=69.0)
    without = ReaderFactory(branch=branch, lat=None, lon=None)
    client = api.as_role("librarian")
    ids = lambda **q: {r["id"] for r in client.get(URL, q).json()["results"]}  # noqa: E731
    assert ids(has_coordinates="false") == {without.pk}
    assert ids(has_coordinates="true") == {with_coordinates.pk}
    assert ids() == {without.pk, with_coordinates.pk}
