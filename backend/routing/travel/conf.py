"""Settings of the travel-time gateway, read on every call.

Each value comes from ``django.conf.settings`` when it is defined there (so tests can override it
with pytest-django's ``settings`` fixture), else from the environment variable of the same name,
else from the default below.  Without configured Django settings (a benchmark, a bare worker) only
the environment and the defaults are used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_OSRM_TIMEOUT = 10.0
DEFAULT_OSRM_MAX_TABLE_SIZE = 100  # osrm-routed's default --max-table-size
DEFAULT_OSRM_RETRIES = 2
DEFAULT_OSRM_RETRY_BACKOFF = 0.5
# OSRM has no public-transport profile; a bus trip is planned as the car trip times this factor
# (walk to the stop, wait, stops on the way).  2.0 matches the default door-to-door speeds of the
# project: 30 km/h by car, 15 km/h by public transport.
DEFAULT_PUBLIC_TRANSPORT_FACTOR = 2.0
DEFAULT_CACHE_SECONDS = 24 * 60 * 60
DEFAULT_PROFILES: Mapping[str, str] = {
    "foot": "foot",
    "bicycle": "bike",
    "car": "car",
    "public_transport": "car",
}
FALLBACK_STRAIGHT_LINE = "straight_line"
FALLBACK_ERROR = "error"

_MISSING = object()


def _raw(name: str) -> Any:
    """The setting if Django defines it, else the environment variable, else ``None``."""
    if settings.configured:
        value = getattr(settings, name, _MISSING)
        if value is not _MISSING:
            return value
    value = os.environ.get(name, "")
    return value if value != "" else None


def _float(name: str, default: float, *, minimum: float = 0.0, strict: bool = False) -> float:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from exc
    if value < minimum or (strict and value == minimum) or value != value:
        sign = ">" if strict else ">="
        raise ImproperlyConfigured(f"{name} must be {sign} {minimum}, not {raw!r}.")
    return value


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def _profiles() -> dict[str, str]:
    raw = _raw("OSRM_PROFILES")
    profiles = dict(DEFAULT_PROFILES)
    if raw is None or raw == "" or raw == {}:
        return profiles
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(
                'OSRM_PROFILES must be a JSON object such as {"bicycle": "bike"}.'
            ) from exc
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in raw.items()
    ):
        raise ImproperlyConfigured(
            "OSRM_PROFILES must map transport names to OSRM profile names (strings)."
        )
    profiles.update(raw)
    return profiles


@dataclass(frozen=True)
class TravelConfig:
    osrm_url: str = ""
    osrm_timeout: float = DEFAULT_OSRM_TIMEOUT
    osrm_profiles: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    osrm_fallback: str = FALLBACK_STRAIGHT_LINE
    osrm_max_table_size: int = DEFAULT_OSRM_MAX_TABLE_SIZE
    osrm_retries: int = DEFAULT_OSRM_RETRIES
    osrm_retry_backoff: float = DEFAULT_OSRM_RETRY_BACKOFF
    public_transport_factor: float = DEFAULT_PUBLIC_TRANSPORT_FACTOR
    detour_factor: float = DEFAULT_DETOUR_FACTOR
    cache_seconds: int = DEFAULT_CACHE_SECONDS


def load() -> TravelConfig:
    fallback = str(_raw("OSRM_FALLBACK") or FALLBACK_STRAIGHT_LINE).strip().lower()
    if fallback not in (FALLBACK_STRAIGHT_LINE, FALLBACK_ERROR):
        raise ImproperlyConfigured(
            f"OSRM_FALLBACK must be {FALLBACK_STRAIGHT_LINE!r} or {FALLBACK_ERROR!r}, "
            f"not {fallback!r}."
        )
    return TravelConfig(
        osrm_url=str(_raw("OSRM_URL") or "").strip().rstrip("/"),
        osrm_timeout=_float("OSRM_TIMEOUT", DEFAULT_OSRM_TIMEOUT, strict=True),
        osrm_profiles=_profiles(),
        osrm_fallback=fallback,
        osrm_max_table_size=_int("OSRM_MAX_TABLE_SIZE", DEFAULT_OSRM_MAX_TABLE_SIZE, minimum=1),
        osrm_retries=_int("OSRM_RETRIES", DEFAULT_OSRM_RETRIES),
        osrm_retry_backoff=_float("OSRM_RETRY_BACKOFF", DEFAULT_OSRM_RETRY_BACKOFF),
        public_transport_factor=_float(
            "OSRM_PUBLIC_TRANSPORT_FACTOR", DEFAULT_PUBLIC_TRANSPORT_FACTOR, strict=True
        ),
        detour_factor=_float("ROUTING_DETOUR_FACTOR", DEFAULT_DETOUR_FACTOR, minimum=1.0),
        cache_seconds=_int("TRAVEL_CACHE_SECONDS", DEFAULT_CACHE_SECONDS),
    )
