"""Client of an OSRM-compatible ``table`` service.

``GET {base}/table/v1/{profile}/{lon},{lat};{lon},{lat}...?annotations=duration,distance``
answers ``{"code": "Ok", "durations": [[s...]], "distances": [[m...]]}`` with ``null`` where a
destination cannot be reached.  OSRM refuses tables with more than ``max-table-size``² cells
(``400 {"code": "TooBig"}``; the default size is 100), so bigger matrices are fetched in blocks
with ``sources``/``destinations`` and assembled here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import requests

from .errors import TravelError

logger = logging.getLogger(__name__)

COORDINATE_DECIMALS = 5  # about a metre; the cache key rounds the same way


def format_coordinates(points: Sequence[tuple[float, float]]) -> str:
    """OSRM wants ``lon,lat`` pairs separated by ``;`` (our points are ``(lat, lon)``)."""
    d = COORDINATE_DECIMALS
    return ";".join(f"{lon:.{d}f},{lat:.{d}f}" for lat, lon in points)


def fetch_table(
    points: Sequence[tuple[float, float]],
    *,
    base_url: str,
    profile: str,
    timeout: float,
    max_table_size: int = 100,
    retries: int = 2,
    backoff: float = 0.5,
    session: requests.Session | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(durations in seconds, distances in metres)`` between all (lat, lon) ``points``.

    Unreachable pairs are NaN.  Raises ``TravelError``; a failure of any block fails the whole
    matrix (a half-road, half-straight-line matrix would be misleading).  When the server's table
    limit is smaller than ``max_table_size`` the block size is halved until it fits.
    """
    n = len(points)
    durations = np.full((n, n), np.nan)
    distances = np.full((n, n), np.nan)
    if n == 0:
        return durations, distances
    own_session = session is None
    http = session or requests.Session()
    size = max(1, max_table_size)
    try:
        while True:
            try:
                _fill(http, points, durations, distances, size=size, base_url=base_url,
                      profile=profile, timeout=timeout, retries=retries, backoff=backoff)
                break
            except TravelError as exc:
                if exc.code != "TooBig" or size == 1:
                    raise
                smaller = max(1, size // 2)
                logger.warning(
                    "OSRM refused a %sx%s table (TooBig); retrying with blocks of %s. "
                    "Set OSRM_MAX_TABLE_SIZE to the server's --max-table-size.",
                    size, size, smaller,
                )
                size = smaller
    finally:
        if own_session:
            http.close()
    np.fill_diagonal(durations, 0.0)
    np.fill_diagonal(distances, 0.0)
    return durations, distances


def _fill(
    http: requests.Session,
    points: Sequence[tuple[float, float]],
    durations: np.ndarray,
    distances: np.ndarray,
    *,
    size: int,
    base_url: str,
    profile: str,
    timeout: float,
    retries: int,
    backoff: float,
) -> None:
    n = len(points)
    blocks = [range(start, min(start + size, n)) for start in range(0, n, size)]
    for rows in blocks:
        for cols in blocks:
            if rows == cols:
                # A square block on the diagonal: its points both ways, no sources/destinations.
                coords = [points[i] for i in rows]
                query = ""
            else:
                coords = [points[i] for i in rows] + [points[j] for j in cols]
                k = len(rows)
                query = "&sources=" + ";".join(map(str, range(k))) + "&destinations=" + ";".join(
                    map(str, range(k, k + len(cols)))
                )
            url = (
                f"{base_url}/table/v1/{profile}/{format_coordinates(coords)}"
                f"?annotations=duration,distance{query}"
            )
            data = _get_json(http, url, timeout=timeout, retries=retries, backoff=backoff)
            block_durations = _block(data, "durations", len(rows), len(cols))
            block_distances = _block(data, "distances", len(rows), len(cols))
            durations[rows.start:rows.stop, cols.start:cols.stop] = block_durations
            distances[rows.start:rows.stop, cols.start:cols.stop] = block_distances


def _block(data: dict[str, Any], name: str, n_rows: int, n_cols: int) -> np.ndarray:
    table = data.get(name)
    if (
        not isinstance(table, list)
        or len(table) != n_rows
        or not all(isinstance(row, list) and len(row) == n_cols for row in table)
    ):
        raise TravelError(
            f"OSRM answer has no {n_rows}x{n_cols} {name!r} table "
            "(does the server support annotations=duration,distance?)",
            retryable=False,
            code="bad_response",
        )
    try:
        # null (unreachable) becomes NaN
        return np.array(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TravelError(
            f"OSRM answer has non-numeric {name!r}", retryable=False, code="bad_response"
        ) from exc


def _get_json(
    http: requests.Session, url: str, *, timeout: float, retries: int, backoff: float
) -> dict[str, Any]:
    """One GET with retries on connection errors, 429 and 5xx (exponential backoff).

    A read timeout is not retried: a server that did not answer in ``timeout`` seconds is
    unlikely to answer the next time, and planning should not wait several timeouts.
    """
    attempt = 0
    while True:
        error: TravelError
        try:
            response = http.get(url, timeout=timeout)
        except requests.ConnectionError as exc:  # includes ConnectTimeout
            logger.info("OSRM connection error: %s", exc)
            # The exception text repeats the URL (and any credentials in it): keep it in the log.
            error = TravelError(
                f"cannot connect to the OSRM server ({type(exc).__name__})",
                retryable=True,
                code="connection",
            )
        except requests.Timeout as exc:
            raise TravelError(
                f"the OSRM server did not answer within {timeout:g} s",
                retryable=True,
                code="timeout",
            ) from exc
        except requests.RequestException as exc:
            raise TravelError(
                f"OSRM request failed: {exc}", retryable=False, code="request"
            ) from exc
        else:
            status = response.status_code
            if status == 429 or status >= 500:
                error = TravelError(
                    f"the OSRM server answered HTTP {status}",
                    retryable=True,
                    code=f"http_{status}",
                )
            else:
                return _parse(response)
        if attempt >= retries:
            raise error
        delay = backoff * (2**attempt)
        attempt += 1
        logger.info("OSRM: %s; retry %s of %s in %.2f s", error.message, attempt, retries, delay)
        if delay > 0:
            time.sleep(delay)


def _parse(response: requests.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        data = response.json()
    except ValueError as exc:
        raise TravelError(
            f"the OSRM server answered HTTP {status} with something that is not JSON",
            retryable=False,
            code="bad_response",
        ) from exc
    if not isinstance(data, dict):
        raise TravelError(
            f"the OSRM server answered HTTP {status} with unexpected JSON",
            retryable=False,
            code="bad_response",
        )
    code = str(data.get("code", ""))
    if status == 200 and code == "Ok":
        return data
    message = data.get("message") or ""
    raise TravelError(
        f"the OSRM server refused the table (HTTP {status}, {code or 'no code'}): {message}".rstrip(
            ": "
        ),
        retryable=False,
        code=code or f"http_{status}",
    )
