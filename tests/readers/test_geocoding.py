"""Addresses that find themselves: the geocoder gateway (geopy's Nominatim client against a
fake Nominatim on 127.0.0.1, tests/readers/fake_nominatim.py), the card's status, the
`geocode_readers` command and the list filter."""
import io
import time

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


def test_server_down_the_card_saves_and_a_later_run_fills_it(
        api, branch, fake_nominatim, django_capture_on_commit_callbacks):
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME]
    fake_nominatim.fail_next(1, status=503)
    reader = create(api, branch, django_capture_on_commit_callbacks)
    # Without a worker the look-up runs inside the save: one try, no retry held in the request.
    assert len(fake_nominatim.requests) == 1
    assert reader.geocode_status == GeocodeStatus.UNAVAILABLE and reader.lat is None
    body = api.as_role("librarian").get(f"{URL}{reader.pk}/").json()
    assert body["geocode_status"] == "unavailable"
    out = io.StringIO()
    call_command("geocode_readers", "--no-progress", "--per-second", "100", stdout=out)
    reader.refresh_from_db()
    assert reader.geocode_status == GeocodeStatus.FOUND
    assert (reader.lat, reader.lon) == HOME
    assert "found: 1" in out.getvalue()


def test_a_worker_retries_while_the_server_is_down(branch, fake_nominatim, settings):
    """With a worker (not eager) the job asks Celery to try again later, waiting longer each
    time, and a later try fills the card."""
    from celery.exceptions import Retry

    from backend.readers.tasks import reader_geocode_task
    from tests.broker import celery_on
    from tests.factories import ReaderFactory

    settings.GEOCODER_RETRY_BACKOFF = 60
    reader = ReaderFactory(branch=branch, settlement="Бишкуль", street="Абая", house="12",
                           lat=None, lon=None)
    fake_nominatim.places[("Бишкуль", "12 Абая")] = [HOME]
    fake_nominatim.fail_next(1, status=500)

    def run(retries):
        reader_geocode_task.push_request(args=[reader.pk], kwargs={}, retries=retries,
                                         is_eager=False, called_directly=False)
        try:
            return reader_geocode_task.run(reader.pk)
        finally:
            reader_geocode_task.pop_request()

    with celery_on("memory://"), pytest.raises(Retry) as retry:
        run(1)
    assert retry.value.when == 120  # the backoff doubled for the second retry
    reader.refresh_from_db()
    assert reader.geocode_status == GeocodeStatus.UNAVAILABLE
    assert run(2) == GeocodeStatus.FOUND
    reader.refresh_from_db()
    assert (reader.lat, reader.lon) == HOME


def test_a_hanging_geocoder_does_not_hold_the_save(api, branch, fake_nominatim, settings,
                                                   django_capture_on_commit_callbacks):
    settings.GEOCODER_TIMEOUT = 30
    settings.GEOCODER_INLINE_TIMEOUT = 1
    settings.GEOCODER_RETRIES = 5
    fake_nominatim.hang = True
    started = time.monotonic()
    reader = create(api, branch, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 5
    assert len(fake_nominatim.requests) == 1
    assert reader.geocode_status == GeocodeStatus.UNAVAILABLE


def test_connection_refused_is_unavailable(api, branch, settings,
                                           django_capture_on_commit_callbacks):
    fake = FakeNominatim().start()
    settings.GEOCODER_URL = fake.url
    fake.stop()  # nobody listens there any more
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


# Family cards: the members are visited at the family's address, looked up the same way.

FAMILY_URL = "/api/v1/family-cards/"


def create_family(api, branch, capture, **address):
    from tests.factories import ReaderFactory

    members = [ReaderFactory(branch=branch), ReaderFactory(branch=branch)]
    address = {"settlement": "Соколовка", "street": "Школьная", "house": "7", **address}
    client = api.as_role("librarian")
    with capture(execute=True):
        response = client.post(FAMILY_URL, {
            "name": "Семья Ахметовых", "branch": branch.id, "members": [m.id for m in members],
            "head": members[0].id, "address": address}, format="json")
    assert response.status_code == 201, response.json()
    from backend.readers.models import FamilyCard

    return FamilyCard.objects.get(pk=response.json()["id"])


def test_family_address_found(api, branch, fake_nominatim, django_capture_on_commit_callbacks):
    fake_nominatim.places[("Соколовка", "7 Школьная")] = [HOME]
    family = create_family(api, branch, django_capture_on_commit_callbacks)
    assert family.geocode_status == GeocodeStatus.FOUND
    assert (family.lat, family.lon) == HOME
    body = api.as_role("librarian").get(f"{FAMILY_URL}{family.pk}/").json()
    assert body["geocode_status"] == "found" and body["address"]["lat"] == HOME[0]
    member = family.members.first()
    reader = api.as_role("librarian").get(f"{URL}{member.pk}/").json()
    assert reader["delivery_address"]["lat"] == HOME[0]


def test_family_address_not_found(api, branch, fake_nominatim,
                                  django_capture_on_commit_callbacks):
    family = create_family(api, branch, django_capture_on_commit_callbacks)
    assert family.geocode_status == GeocodeStatus.NOT_FOUND
    assert family.lat is None
    # Its members are flagged: their visits cannot be planned.
    client = api.as_role("librarian")
    ids = {r["id"] for r in client.get(URL, {"has_coordinates": "false"}).json()["results"]}
    assert set(family.members.values_list("pk", flat=True)) <= ids


def test_family_address_ambiguous_and_chosen(api, branch, fake_nominatim,
                                             django_capture_on_commit_callbacks):
    from backend.readers.geocoding import reader_geocode_choose

    fake_nominatim.places[("Соколовка", "7 Школьная")] = [HOME, FAR]
    family = create_family(api, branch, django_capture_on_commit_callbacks)
    assert family.geocode_status == GeocodeStatus.AMBIGUOUS
    assert [(c["lat"], c["lon"]) for c in family.geocode_candidates] == [HOME, FAR]
    family = reader_geocode_choose(reader=family, candidate=1)
    family.refresh_from_db()
    assert (family.lat, family.lon, family.geocode_status) == (*FAR, "found")
    assert family.changes.latest("pk").changes == {"lat": [None, FAR[0]],
                                                   "lon": [None, FAR[1]]}


def test_family_server_down_saves_and_the_command_fills_it(
        api, branch, fake_nominatim, django_capture_on_commit_callbacks):
    fake_nominatim.places[("Соколовка", "7 Школьная")] = [HOME]
    fake_nominatim.fail_next(1, status=503)
    family = create_family(api, branch, django_capture_on_commit_callbacks)
    assert family.geocode_status == GeocodeStatus.UNAVAILABLE and family.lat is None
    out = io.StringIO()
    call_command("geocode_readers", "--no-progress", "--per-second", "100", stdout=out)
    family.refresh_from_db()
    assert (family.lat, family.lon, family.geocode_status) == (*HOME, "found")


def test_family_typed_place_is_manual_and_kept(api, branch, fake_nominatim,
                                               django_capture_on_commit_callbacks):
    fake_nominatim.places[("Соколовка", "7 Школьная")] = [HOME]
    family = create_family(api, branch, django_capture_on_commit_callbacks, lat=50.0, lon=70.0)
    assert family.geocode_status == GeocodeStatus.MANUAL
    with django_capture_on_commit_callbacks(execute=True):
        api.as_role("librarian").patch(f"{FAMILY_URL}{family.pk}/", {"address": {
            "settlement": "Соколовка", "street": "Школьная", "house": "9"}}, format="json")
    family.refresh_from_db()
    assert (family.lat, family.lon, family.geocode_status) == (50.0, 70.0, "manual")
    assert fake_nominatim.requests == []
