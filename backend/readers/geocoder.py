"""Gateway to a Nominatim-compatible geocoder (``GEOCODER_URL``, the ``/search`` API).

A library can self-host Nominatim; the public one asks for at most one request a second and a
User-Agent naming the application. geopy is the client. Without ``GEOCODER_URL`` geocoding is
off (``geocoder_enabled()`` is False) and cards keep the coordinates a librarian types.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from geopy.adapters import RequestsAdapter
from geopy.exc import GeocoderQueryError, GeocoderServiceError
from geopy.geocoders import Nominatim

logger = logging.getLogger(__name__)

USER_AGENT = "Kniga03 library home delivery (geocoding reader addresses)"


class GeocoderUnavailable(Exception):
    """The geocoder did not answer (down, timeout, HTTP 5xx/429): try again later."""


class GeocoderMisconfigured(Exception):
    """``GEOCODER_URL`` is not a usable http(s) address."""


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str


class _NominatimV2(Nominatim):
    """geopy's Nominatim client, asking for ``format=jsonv2`` (same lat/lon fields)."""

    def _construct_url(self, base_api, params):
        params = {**params, "format": "jsonv2"}
        return super()._construct_url(base_api, params)


def geocoder_enabled() -> bool:
    return bool(settings.GEOCODER_URL)


def _client(timeout: float | None = None) -> Nominatim:
    parts = urlsplit(settings.GEOCODER_URL)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GeocoderMisconfigured(
            f"GEOCODER_URL must be an http(s) address, like https://nominatim.example.org "
            f"(got scheme {parts.scheme!r})"
        )
    domain = parts.netloc + parts.path.rstrip("/").removesuffix("/search")
    # No retries inside one request: a server that hangs would hold the caller three times
    # the timeout. Asking again is the job's and the command's business.
    return _NominatimV2(domain=domain, scheme=parts.scheme, user_agent=USER_AGENT,
                        timeout=timeout or settings.GEOCODER_TIMEOUT,
                        adapter_factory=partial(RequestsAdapter, max_retries=0))


def distance_m(a: Place, b: Place) -> float:
    """Great-circle distance in metres (haversine; good enough to tell 200 m apart)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def geocode(*, settlement: str, street: str, house: str, limit: int = 5,
            timeout: float | None = None) -> list[Place]:
    """The places the geocoder finds for an address, best first ([] when none); waits at
    most `timeout` seconds (default GEOCODER_TIMEOUT).

    Raises GeocoderUnavailable when it should be asked again later, GeocoderMisconfigured
    when ``GEOCODER_URL`` is wrong.
    """
    query = {"city": settlement}
    if street:
        query["street"] = f"{house} {street}".strip()
    extra = {}
    if settings.GEOCODER_COUNTRY_CODES:
        extra["country_codes"] = settings.GEOCODER_COUNTRY_CODES
    try:
        found = _client(timeout).geocode(query, exactly_one=False, limit=limit,
                                  language=settings.LANGUAGE_CODE, **extra)
    except GeocoderQueryError as exc:
        # 400 and the like: asking again will not help; an address it cannot read is not found.
        logger.warning("The geocoder refused the query: %s", exc)
        return []
    except GeocoderServiceError as exc:  # unavailable, timed out, rate limited, 5xx
        raise GeocoderUnavailable(f"the geocoder did not answer ({type(exc).__name__})") from exc
    return [Place(lat=float(p.latitude), lon=float(p.longitude), label=p.address)
            for p in found or []]
