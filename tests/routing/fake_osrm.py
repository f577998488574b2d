"""A fake OSRM ``table`` server on 127.0.0.1 for the travel-time tests.

It is a real HTTP server (``ThreadingHTTPServer`` in a thread, port chosen by the system), so the
gateway is tested through ``requests`` exactly as in production.  Its numbers follow a simple
"Manhattan" rule that differs from the straight-line estimate, so a test can tell which one the
gateway used:

    distance = (|Δlat| · 111,320 m + |Δlon| · 111,320 m · cos(mean lat)) · 1.1, rounded to 0.1 m
    duration = distance / SPEED_MPS[profile], rounded to 0.1 s

Like osrm-routed it refuses tables with more than ``max_table_size``² cells (400 ``TooBig``),
answers 400 ``InvalidQuery``/``InvalidOptions`` for malformed requests, and returns ``null`` for
pairs that cannot be reached.  Tests can make it fail (``fail_next``), hang (``hang_seconds``) or
cut a point off the road network (``unreachable``), and read the ``requests`` it received.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fake_server import LocalServer

SPEED_MPS = {"foot": 1.4, "bike": 4.0, "car": 12.0}
METRES_PER_DEGREE = 111_320.0
DETOUR = 1.1


def manhattan_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The fake's road distance in metres between two (lat, lon) points."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    north = abs(a[0] - b[0]) * METRES_PER_DEGREE
    east = abs(a[1] - b[1]) * METRES_PER_DEGREE * math.cos(mean_lat)
    return round((north + east) * DETOUR, 1)


class FakeOsrm(LocalServer):
    def __init__(self, *, max_table_size: int = 100) -> None:
        self.max_table_size = max_table_size
        self.hang_seconds = 0.0
        self.unreachable: set[tuple[float, float]] = set()  # (lat, lon) as sent, 5 decimals
        self.requests: list[str] = []  # paths with query, in order
        self._failures: list[int] = []
        super().__init__()

    # -- control -------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 500) -> None:
        """Answer the next ``count`` requests with HTTP ``status``."""
        with self._lock:
            self._failures.extend([status] * count)

    @property
    def table_requests(self) -> list[str]:
        return [r for r in self.requests if r.startswith("/table/")]

    def expected(
        self, points: Sequence[tuple[float, float]], profile: str
    ) -> tuple[list[list[float | None]], list[list[float | None]]]:
        """The full (durations, distances) matrices this server gives for ``points``
        (rounded to 5 decimals, as the gateway sends them)."""
        points = [self._key(p) for p in points]
        rows = range(len(points))
        cells = [[self._cell(points[i], points[j], profile) for j in rows] for i in rows]
        durations = [[c[0] for c in row] for row in cells]
        distances = [[c[1] for c in row] for row in cells]
        return durations, distances

    # -- the table service ---------------------------------------------------------------------

    def _key(self, point: tuple[float, float]) -> tuple[float, float]:
        return (round(point[0], 5), round(point[1], 5))

    def _cell(
        self, a: tuple[float, float], b: tuple[float, float], profile: str
    ) -> tuple[float | None, float | None]:
        if a == b:
            return 0.0, 0.0
        if self._key(a) in self.unreachable or self._key(b) in self.unreachable:
            return None, None
        distance = manhattan_m(a, b)
        return round(distance / SPEED_MPS[profile], 1), distance

    def _answer(self, path: str, query: str) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "table" or parts[1] != "v1":
            return 400, {"code": "InvalidUrl", "message": f"URL string malformed: {path}"}
        profile, coordinates = parts[2], unquote(parts[3])
        if profile not in SPEED_MPS:
            return 400, {"code": "InvalidOptions", "message": f"unknown profile {profile}"}
        try:
            points = []
            for pair in coordinates.split(";"):
                lon, lat = (float(x) for x in pair.split(","))
                points.append((lat, lon))
        except ValueError:
            return 400, {"code": "InvalidQuery", "message": "Query string malformed"}
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        try:
            sources = _indices(params.get("sources"), len(points))
            destinations = _indices(params.get("destinations"), len(points))
        except ValueError:
            return 400, {"code": "InvalidOptions", "message": "sources/destinations out of range"}
        if len(sources) * len(destinations) > self.max_table_size**2:
            return 400, {"code": "TooBig", "message": "Too many table coordinates"}
        annotations = set(params.get("annotations", "duration").split(","))
        body: dict = {"code": "Ok"}
        cells = [[self._cell(points[i], points[j], profile) for j in destinations]
                 for i in sources]
        if "duration" in annotations:
            body["durations"] = [[c[0] for c in row] for row in cells]
        if "distance" in annotations:
            body["distances"] = [[c[1] for c in row] for row in cells]
        body["sources"] = [{"location": [points[i][1], points[i][0]]} for i in sources]
        body["destinations"] = [{"location": [points[j][1], points[j][0]]} for j in destinations]
        return 200, body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                split = urlsplit(self.path)
                with fake._lock:
                    fake.requests.append(self.path)
                    failure = fake._failures.pop(0) if fake._failures else None
                if fake.hang_seconds:
                    fake._release.wait(fake.hang_seconds)
                if failure is not None:
                    status, body = failure, {"code": "InternalError", "message": "fake failure"}
                else:
                    status, body = fake._answer(split.path, split.query)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        return Handler


def _indices(value: str | None, n: int) -> list[int]:
    if value is None or value in ("", "all"):
        return list(range(n))
    indices = [int(x) for x in value.split(";")]
    if any(i < 0 or i >= n for i in indices):
        raise ValueError(value)
    return indices
