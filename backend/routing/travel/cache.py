"""Road matrices kept in Django's default cache.

Only answers of the routing server are cached: straight-line matrices are cheaper to compute than
to fetch, and a fallback is never cached (the next plan should try the server again).  The key is
a hash of the server, the OSRM profile and the coordinates rounded as in the request, so car and
public transport share an entry (the public-transport factor is applied after the cache).
A broken or full cache only costs a request: its errors are logged, never raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import numpy as np
from django.conf import settings

from .osrm import COORDINATE_DECIMALS

logger = logging.getLogger(__name__)

KEY_VERSION = 1
KEY_PREFIX = "routing.travel"


def matrix_key(*, source: str, server: str, profile: str,
               points: Sequence[tuple[float, float]]) -> str:
    rounded = [[round(lat, COORDINATE_DECIMALS), round(lon, COORDINATE_DECIMALS)]
               for lat, lon in points]
    payload = json.dumps([KEY_VERSION, source, server, profile, rounded], separators=(",", ":"))
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return f"{KEY_PREFIX}:{source}:{profile}:{len(points)}:{digest}"


def _cache():
    if not settings.configured:
        return None
    from django.core.cache import cache

    return cache


def get_matrices(key: str) -> tuple[np.ndarray, np.ndarray] | None:
    cache = _cache()
    if cache is None:
        return None
    try:
        value = cache.get(key)
    except Exception:  # a cache outage must not stop planning
        logger.warning("travel cache: cannot read %s", key, exc_info=True)
        return None
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(m, np.ndarray) for m in value)
    ):
        return value[0].copy(), value[1].copy()
    return None


def set_matrices(key: str, durations: np.ndarray, distances: np.ndarray, seconds: int) -> None:
    cache = _cache()
    if cache is None or seconds <= 0:
        return
    try:
        cache.set(key, (durations, distances), timeout=seconds)
    except Exception:  # e.g. a value over memcached's item size
        logger.warning("travel cache: cannot store %s", key, exc_info=True)
