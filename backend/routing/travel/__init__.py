"""Travel times between places, for the route solver.

    travel_matrix(points, transport="foot", speed_kmh=4.5) -> TravelMatrix

* Default: the great-circle distance times ``ROUTING_DETOUR_FACTOR`` (1.3) at the volunteer's
  speed.  Needs no server.
* With ``OSRM_URL`` set: road times and distances from an OSRM-compatible ``table`` service
  (``osrm.py``), cached in Django's cache (``cache.py``).  When the server fails the matrix falls
  back to straight line (``OSRM_FALLBACK=straight_line``, the default) and says so in
  ``source`` and ``warnings``, or raises ``TravelError`` (``OSRM_FALLBACK=error``).

A point without coordinates (``None``) keeps its index and gets ``None`` (unreachable) in its row
and column: it is never dropped, and the caller says why ("no coordinates").  The diagonal is 0.
No Django model is imported here; see docs/travel_times.md.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from . import cache, conf, osrm
from .errors import TravelError
from .haversine import haversine_m, straight_line

__all__ = [
    "TravelError",
    "TravelMatrix",
    "TravelSource",
    "TravelWarning",
    "haversine_m",
    "travel_matrix",
]

logger = logging.getLogger(__name__)

Row = list[float | None]


class TravelSource(StrEnum):
    STRAIGHT_LINE = "straight_line"
    OSRM = "osrm"


@dataclass(frozen=True)
class TravelWarning:
    """Something the coordinator should know about the numbers.

    ``code`` is stable (``"osrm_fallback"``: the road server failed and straight-line estimates
    were used); ``message`` is a sentence in English for logs and staff screens.
    """

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class TravelMatrix:
    """``durations[i][j]`` seconds and ``distances[i][j]`` metres from point i to point j.

    ``None`` means unreachable (no coordinates, or no road).  ``source`` says where the numbers
    come from; ``fallback`` is true when the road server was configured but failed, so the
    numbers are straight-line estimates (``warnings`` then says why).
    """

    durations: list[Row]
    distances: list[Row]
    source: TravelSource
    warnings: list[TravelWarning] = field(default_factory=list)
    fallback: bool = False


def travel_matrix(
    points: Sequence[tuple[float, float] | None],
    *,
    transport: str,
    speed_kmh: float,
) -> TravelMatrix:
    """Travel times and distances between all ``points`` ((lat, lon) in degrees, or None).

    ``transport`` is a volunteer transport (``foot``, ``bicycle``, ``car``,
    ``public_transport``) and picks the OSRM profile; ``speed_kmh`` is used for straight-line
    times (OSRM times come from the server's profile; public transport is the car time times
    ``OSRM_PUBLIC_TRANSPORT_FACTOR``).  Raises ``ValueError`` for bad input (unknown transport,
    speed not positive, coordinates out of range - naming the point) and ``TravelError`` only
    when ``OSRM_FALLBACK=error``.
    """
    config = conf.load()
    if transport not in config.osrm_profiles:
        known = ", ".join(sorted(config.osrm_profiles))
        raise ValueError(f"unknown transport {transport!r} (known: {known})")
    if not (isinstance(speed_kmh, int | float) and math.isfinite(speed_kmh) and speed_kmh > 0):
        raise ValueError(f"speed_kmh must be a positive number, not {speed_kmh!r}")
    located = _located(points)
    coords = [point for _, point in located]

    if not config.osrm_url:
        durations, distances = straight_line(
            coords, detour_factor=config.detour_factor, speed_kmh=speed_kmh
        )
        return _result(len(points), located, durations, distances, TravelSource.STRAIGHT_LINE)

    profile = config.osrm_profiles[transport]
    try:
        durations, distances = _road(coords, profile=profile, config=config)
    except TravelError as exc:
        if config.osrm_fallback == conf.FALLBACK_ERROR:
            raise
        logger.warning("OSRM failed (%r); using straight-line travel times", exc)
        durations, distances = straight_line(
            coords, detour_factor=config.detour_factor, speed_kmh=speed_kmh
        )
        warning = TravelWarning(
            code="osrm_fallback",
            message=(
                f"The road routing server failed ({exc.message}); travel times are "
                f"straight-line estimates (x{config.detour_factor:g} detour at "
                f"{speed_kmh:g} km/h)."
            ),
        )
        return _result(len(points), located, durations, distances, TravelSource.STRAIGHT_LINE,
                       warnings=[warning], fallback=True)

    if transport == "public_transport":
        durations = durations * config.public_transport_factor
    return _result(len(points), located, durations, distances, TravelSource.OSRM)


def _located(points: Sequence[tuple[float, float] | None]) -> list[tuple[int, tuple[float, float]]]:
    """``(index, (lat, lon))`` of the points that have coordinates, checked."""
    located = []
    for index, point in enumerate(points):
        if point is None:
            continue
        try:
            lat, lon = float(point[0]), float(point[1])
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"point {index}: expected (lat, lon), got {point!r}") from exc
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            raise ValueError(f"point {index}: latitude {lat!r} is not between -90 and 90")
        if not (math.isfinite(lon) and -180 <= lon <= 180):
            raise ValueError(f"point {index}: longitude {lon!r} is not between -180 and 180")
        located.append((index, (lat, lon)))
    return located


def _road(
    coords: list[tuple[float, float]], *, profile: str, config: conf.TravelConfig
) -> tuple[np.ndarray, np.ndarray]:
    if len(coords) < 2:  # nothing to ask the server
        return np.zeros((len(coords),) * 2), np.zeros((len(coords),) * 2)
    key = cache.matrix_key(
        source=TravelSource.OSRM, server=config.osrm_url, profile=profile, points=coords
    )
    cached = cache.get_matrices(key)
    if cached is not None:
        return cached
    durations, distances = osrm.fetch_table(
        coords,
        base_url=config.osrm_url,
        profile=profile,
        timeout=config.osrm_timeout,
        max_table_size=config.osrm_max_table_size,
        retries=config.osrm_retries,
        backoff=config.osrm_retry_backoff,
    )
    cache.set_matrices(key, durations, distances, config.cache_seconds)
    return durations, distances


def _result(
    n: int,
    located: list[tuple[int, tuple[float, float]]],
    durations: np.ndarray,
    distances: np.ndarray,
    source: TravelSource,
    *,
    warnings: list[TravelWarning] | None = None,
    fallback: bool = False,
) -> TravelMatrix:
    return TravelMatrix(
        durations=_expand(n, located, durations),
        distances=_expand(n, located, distances),
        source=source,
        warnings=list(warnings or []),
        fallback=fallback,
    )


def _expand(
    n: int, located: list[tuple[int, tuple[float, float]]], matrix: np.ndarray
) -> list[Row]:
    """The n x n list matrix: ``matrix`` at the located indices, None elsewhere, diagonal 0."""
    if len(located) == n:
        full = matrix
    else:
        full = np.full((n, n), np.nan)
        index = np.fromiter((i for i, _ in located), dtype=np.intp, count=len(located))
        full[np.ix_(index, index)] = matrix
    np.fill_diagonal(full, 0.0)
    rows = full.tolist()
    # Patch the unreachable cells in place: much faster than rebuilding every row.
    for i, j in np.argwhere(~np.isfinite(full)).tolist():
        rows[i][j] = None
    return rows
