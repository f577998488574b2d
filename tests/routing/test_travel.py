"""Travel times: straight line by default, an OSRM table server when configured.

The OSRM tests talk to a real HTTP server on 127.0.0.1 (tests/routing/fake_osrm.py) through
``requests``, the same client production uses.
"""

import time

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from backend.routing.travel import TravelError, travel_matrix
from tests.routing.fake_osrm import FakeOsrm

BISHKUL = (54.775, 69.1017)
PETROPAVL = (54.8667, 69.15)
# A few addresses around Petropavl, 5 decimals as the gateway sends them.
TOWN = [
    (54.86670, 69.15000),
    (54.87512, 69.13021),
    (54.85893, 69.16544),
    (54.88120, 69.17233),
    (54.86011, 69.12590),
    (54.77500, 69.10170),
    (54.84001, 69.20444),
    (54.89322, 69.11111),
    (54.87000, 69.14000),
    (54.85500, 69.15500),
    (54.86200, 69.18800),
]


@pytest.fixture
def straight(settings):
    """No routing server: the default straight-line estimate with its default factor."""
    settings.OSRM_URL = ""
    settings.ROUTING_DETOUR_FACTOR = 1.3
    return settings


def assert_no_none_except(matrix, missing):
    n = len(matrix)
    for i in range(n):
        for j in range(n):
            if i == j:
                assert matrix[i][j] == 0
            elif i in missing or j in missing:
                assert matrix[i][j] is None, (i, j)
            else:
                assert matrix[i][j] is not None, (i, j)


# -- straight line -------------------------------------------------------------------------------


def test_straight_line_bishkul_to_petropavl_matches_hand_computed_haversine(straight):
    # By hand, R = 6,371,008.8 m:
    #   Δφ = 0.0917° = 0.00160047 rad, Δλ = 0.0483° = 0.00084299 rad
    #   h = sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2) = 6.99344e-7
    #   d = 2R · asin(√h) = 10,655.7 m;  × 1.3 = 13,852.5 m
    #   on foot at 4.5 km/h = 1.25 m/s: 13,852.5 / 1.25 = 11,082.0 s (about 3 h 05 min)
    result = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)

    assert result.source == "straight_line"
    assert result.warnings == []
    assert not result.fallback
    assert result.distances[0][1] == pytest.approx(13_852.5, abs=0.5)
    assert result.distances[1][0] == result.distances[0][1]
    assert result.durations[0][1] == pytest.approx(11_082.0, abs=0.5)
    assert result.durations[0][0] == result.durations[1][1] == 0
    assert result.distances[0][0] == result.distances[1][1] == 0


def test_straight_line_duration_is_distance_at_the_given_speed(straight):
    slow = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)
    bike = travel_matrix([BISHKUL, PETROPAVL], transport="bicycle", speed_kmh=12)
    fast = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=9)

    assert bike.distances == slow.distances == fast.distances
    # 12 km/h = 3.333 m/s
    assert bike.durations[0][1] == pytest.approx(slow.distances[0][1] / (12 / 3.6))
    assert bike.durations[0][1] == pytest.approx(4_155.7, abs=0.5)
    assert fast.durations[0][1] == pytest.approx(slow.durations[0][1] / 2)


def test_detour_factor_comes_from_settings(straight):
    base = travel_matrix([BISHKUL, PETROPAVL], transport="car", speed_kmh=30)
    straight.ROUTING_DETOUR_FACTOR = 1.5

    wider = travel_matrix([BISHKUL, PETROPAVL], transport="car", speed_kmh=30)

    assert wider.distances[0][1] == pytest.approx(base.distances[0][1] / 1.3 * 1.5)


def test_points_without_coordinates_keep_their_index_and_are_unreachable(straight):
    pair = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)

    result = travel_matrix([None, BISHKUL, None, PETROPAVL, None], transport="foot", speed_kmh=4.5)

    assert len(result.durations) == len(result.distances) == 5
    assert all(len(row) == 5 for row in result.durations + result.distances)
    assert_no_none_except(result.durations, {0, 2, 4})
    assert_no_none_except(result.distances, {0, 2, 4})
    assert result.durations[1][3] == pytest.approx(pair.durations[0][1])
    assert result.distances[3][1] == pytest.approx(pair.distances[1][0])


def test_no_point_or_only_points_without_coordinates(straight):
    assert travel_matrix([], transport="foot", speed_kmh=4.5).durations == []
    result = travel_matrix([None, None], transport="foot", speed_kmh=4.5)
    assert result.durations == [[0.0, None], [None, 0.0]]
    assert result.distances == [[0.0, None], [None, 0.0]]


@pytest.mark.parametrize(
    ("points", "kwargs", "message"),
    [
        ([BISHKUL], {"transport": "horse", "speed_kmh": 10}, "unknown transport 'horse'"),
        ([BISHKUL], {"transport": "foot", "speed_kmh": 0}, "speed_kmh"),
        ([BISHKUL, (91.0, 69.0)], {"transport": "foot", "speed_kmh": 4.5}, "point 1: latitude"),
        ([BISHKUL, (54.0, 181.0)], {"transport": "foot", "speed_kmh": 4.5}, "point 1: longitude"),
        ([("a", 1)], {"transport": "foot", "speed_kmh": 4.5}, "point 0"),
    ],
)
def test_bad_input_is_refused_with_the_reason(straight, points, kwargs, message):
    with pytest.raises(ValueError, match=message):
        travel_matrix(points, **kwargs)


# -- OSRM ----------------------------------------------------------------------------------------


def test_osrm_matrix_is_the_servers_and_differs_from_straight_line(fake_osrm, settings):
    expected_durations, expected_distances = fake_osrm.expected(TOWN[:5], "foot")

    result = travel_matrix(TOWN[:5], transport="foot", speed_kmh=4.5)

    assert result.source == "osrm"
    assert result.warnings == []
    assert result.durations == expected_durations
    assert result.distances == expected_distances
    assert len(fake_osrm.table_requests) == 1
    request = fake_osrm.table_requests[0]
    assert request.startswith("/table/v1/foot/69.15000,54.86670;69.13021,54.87512;")
    assert "annotations=duration,distance" in request
    settings.OSRM_URL = ""
    estimate = travel_matrix(TOWN[:5], transport="foot", speed_kmh=4.5)
    assert estimate.source == "straight_line"
    assert estimate.distances[0][1] != pytest.approx(result.distances[0][1], rel=0.01)


@pytest.mark.parametrize(("transport", "profile"),
                         [("foot", "foot"), ("bicycle", "bike"), ("car", "car")])
def test_transport_picks_the_osrm_profile(fake_osrm, transport, profile):
    result = travel_matrix(TOWN[:3], transport=transport, speed_kmh=10)

    assert fake_osrm.table_requests[0].startswith(f"/table/v1/{profile}/")
    assert result.durations == fake_osrm.expected(TOWN[:3], profile)[0]


def test_public_transport_is_car_time_times_the_factor(fake_osrm, settings):
    settings.OSRM_PUBLIC_TRANSPORT_FACTOR = 2.5
    car_durations, car_distances = fake_osrm.expected(TOWN[:4], "car")

    result = travel_matrix(TOWN[:4], transport="public_transport", speed_kmh=15)

    assert fake_osrm.table_requests[0].startswith("/table/v1/car/")
    assert result.source == "osrm"
    assert result.distances == car_distances
    assert result.durations == [[d * 2.5 for d in row] for row in car_durations]


def test_points_without_coordinates_are_not_sent_and_stay_unreachable(fake_osrm):
    points = [TOWN[0], None, TOWN[1], TOWN[2], None]
    expected = fake_osrm.expected([TOWN[0], TOWN[1], TOWN[2]], "foot")[0]

    result = travel_matrix(points, transport="foot", speed_kmh=4.5)

    assert fake_osrm.table_requests[0].count(";") == 2  # three coordinates
    assert_no_none_except(result.durations, {1, 4})
    assert result.durations[0][2] == expected[0][1]
    assert result.durations[3][0] == expected[2][0]


def test_big_matrices_are_fetched_in_blocks_and_assembled(fake_osrm, settings):
    whole = fake_osrm.expected(TOWN, "car")
    fake_osrm.max_table_size = 4
    settings.OSRM_MAX_TABLE_SIZE = 4

    result = travel_matrix(TOWN, transport="car", speed_kmh=30)

    # 11 points in blocks of 4, 4 and 3: 3 x 3 requests, each within the server's limit.
    assert len(fake_osrm.table_requests) == 9
    assert all("sources=" in r or r.count(";") < 4 for r in fake_osrm.table_requests)
    assert (result.durations, result.distances) == whole
    assert result.source == "osrm"


def test_blocks_equal_one_request(fake_osrm, settings):
    one = travel_matrix(TOWN, transport="bicycle", speed_kmh=12)
    assert len(fake_osrm.table_requests) == 1
    fake_osrm.max_table_size = 2
    settings.OSRM_MAX_TABLE_SIZE = 2
    cache.clear()

    blocks = travel_matrix(TOWN, transport="bicycle", speed_kmh=12)

    assert len(fake_osrm.table_requests) == 1 + 36
    assert blocks == one


def test_a_server_with_a_smaller_table_limit_still_gives_the_whole_matrix(fake_osrm):
    fake_osrm.max_table_size = 3  # the gateway assumes osrm-routed's default of 100

    result = travel_matrix(TOWN[:8], transport="foot", speed_kmh=4.5)

    assert result.source == "osrm"
    assert (result.durations, result.distances) == fake_osrm.expected(TOWN[:8], "foot")


def test_matrices_are_cached(fake_osrm):
    first = travel_matrix(TOWN[:6], transport="car", speed_kmh=30)
    assert len(fake_osrm.table_requests) == 1

    again = travel_matrix(TOWN[:6], transport="car", speed_kmh=25)
    assert len(fake_osrm.table_requests) == 1
    assert again == first

    # Public transport uses the car profile: same server answer, scaled after the cache.
    bus = travel_matrix(TOWN[:6], transport="public_transport", speed_kmh=15)
    assert len(fake_osrm.table_requests) == 1
    assert bus.durations[0][1] == pytest.approx(first.durations[0][1] * 2.0)

    travel_matrix(TOWN[:6], transport="foot", speed_kmh=4.5)  # another profile
    travel_matrix(TOWN[1:7], transport="car", speed_kmh=30)  # other points
    assert len(fake_osrm.table_requests) == 3


def test_a_server_error_is_retried(fake_osrm):
    fake_osrm.fail_next(1, status=500)

    result = travel_matrix(TOWN[:4], transport="foot", speed_kmh=4.5)

    assert len(fake_osrm.table_requests) == 2
    assert result.source == "osrm"
    assert not result.fallback
    assert result.durations == fake_osrm.expected(TOWN[:4], "foot")[0]


def test_a_server_that_keeps_failing_falls_back_to_straight_line(fake_osrm, settings):
    fake_osrm.fail_next(10, status=503)
    settings.OSRM_URL = fake_osrm.url

    result = travel_matrix([BISHKUL, None, PETROPAVL], transport="foot", speed_kmh=4.5)

    assert len(fake_osrm.table_requests) == 3  # one try and two retries
    assert result.source == "straight_line"
    assert result.fallback
    assert [w.code for w in result.warnings] == ["osrm_fallback"]
    assert "HTTP 503" in result.warnings[0].message
    assert "straight-line" in result.warnings[0].message
    assert result.distances[0][2] == pytest.approx(13_852.5, abs=0.5)
    assert result.durations[1] == [None, 0.0, None]


def test_a_fallback_is_not_cached(fake_osrm):
    fake_osrm.fail_next(3)
    assert travel_matrix(TOWN[:3], transport="car", speed_kmh=30).fallback

    result = travel_matrix(TOWN[:3], transport="car", speed_kmh=30)

    assert result.source == "osrm"
    assert len(fake_osrm.table_requests) == 4


def test_a_hanging_server_times_out_and_falls_back(fake_osrm, settings):
    settings.OSRM_TIMEOUT = 0.3
    fake_osrm.hang_seconds = 10

    started = time.monotonic()
    result = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert len(fake_osrm.table_requests) == 1  # a timeout is not retried
    assert result.source == "straight_line"
    assert result.fallback
    assert "did not answer within 0.3 s" in result.warnings[0].message
    assert result.durations[0][1] == pytest.approx(11_082.0, abs=0.5)


def test_no_server_listening_falls_back(settings):
    gone = FakeOsrm().start()
    gone.stop()  # the port is closed now
    settings.OSRM_URL = gone.url
    settings.OSRM_RETRY_BACKOFF = 0.01

    result = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)

    assert result.fallback
    assert "cannot connect" in result.warnings[0].message


def test_fallback_error_raises_a_retryable_travel_error(fake_osrm, settings):
    settings.OSRM_FALLBACK = "error"
    fake_osrm.fail_next(10, status=500)

    with pytest.raises(TravelError) as caught:
        travel_matrix(TOWN[:3], transport="foot", speed_kmh=4.5)

    assert caught.value.retryable is True
    assert caught.value.code == "http_500"


def test_a_refused_request_is_a_permanent_error_and_not_retried(fake_osrm, settings):
    settings.OSRM_FALLBACK = "error"
    settings.OSRM_PROFILES = '{"foot": "hovercraft"}'

    with pytest.raises(TravelError) as caught:
        travel_matrix(TOWN[:3], transport="foot", speed_kmh=4.5)

    assert caught.value.retryable is False
    assert caught.value.code == "InvalidOptions"
    assert len(fake_osrm.table_requests) == 1


def test_unreachable_pairs_come_back_as_none(fake_osrm):
    fake_osrm.unreachable.add(TOWN[2])

    result = travel_matrix(TOWN[:5], transport="foot", speed_kmh=4.5)

    assert result.source == "osrm"
    assert not result.warnings
    assert_no_none_except(result.durations, {2})
    assert_no_none_except(result.distances, {2})
    assert result.durations[0][1] == fake_osrm.expected(TOWN[:5], "foot")[0][0][1]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OSRM_FALLBACK", "guess", "OSRM_FALLBACK must be"),
        ("OSRM_PROFILES", "{bike", "OSRM_PROFILES must be a JSON object"),
        ("OSRM_TIMEOUT", "soon", "OSRM_TIMEOUT must be a number"),
        ("ROUTING_DETOUR_FACTOR", "0.5", "ROUTING_DETOUR_FACTOR must be >= 1"),
    ],
)
def test_a_bad_setting_says_which_and_why(straight, name, value, message):
    setattr(straight, name, value)

    with pytest.raises(ImproperlyConfigured, match=message):
        travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)


def test_settings_fall_back_to_the_environment(settings, monkeypatch):
    del settings.OSRM_URL
    monkeypatch.delenv("OSRM_URL", raising=False)
    monkeypatch.setenv("ROUTING_DETOUR_FACTOR", "2")
    if hasattr(settings, "ROUTING_DETOUR_FACTOR"):
        del settings.ROUTING_DETOUR_FACTOR

    result = travel_matrix([BISHKUL, PETROPAVL], transport="foot", speed_kmh=4.5)

    assert result.source == "straight_line"
    assert result.distances[0][1] == pytest.approx(10_655.7 * 2, abs=1)
