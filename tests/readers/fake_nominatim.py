"""A fake Nominatim ``/search`` server on 127.0.0.1 for the geocoder tests.

A real HTTP server (tests/fake_server.py), so the gateway is tested through geopy as in
production. ``places[(city, street)]`` lists the (lat, lon) answered for a structured query
(``street`` is "house street"); anything else finds nothing. Tests can make it fail
(``fail_next``) or hang without answering (``hang = True``: a server that accepts the
connection and never answers, until it stops) and read the ``requests`` (query dicts) and
``agents`` (User-Agents) it got.
"""
from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fake_server import LocalServer


class FakeNominatim(LocalServer):
    def __init__(self) -> None:
        self.places: dict[tuple[str, str], list[tuple[float, float]]] = {}
        self.requests: list[dict[str, str]] = []
        self.agents: list[str] = []
        self._failures: list[int] = []
        self.hang = False
        super().__init__()

    def fail_next(self, count: int = 1, *, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, object]:
        if path != "/search":
            return 404, {"error": "not found"}
        if params.get("format") != "jsonv2":
            return 400, {"error": "format"}
        found = self.places.get((params.get("city", ""), params.get("street", "")), [])
        limit = int(params.get("limit", "10"))
        return 200, [
            {"place_id": i, "lat": str(lat), "lon": str(lon), "category": "building",
             "type": "house", "display_name": f"{params.get('street')}, {params.get('city')} #{i}"}
            for i, (lat, lon) in enumerate(found[:limit])
        ]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                split = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(split.query).items()}
                with fake._lock:
                    fake.requests.append(params)
                    fake.agents.append(self.headers.get("User-Agent", ""))
                    failure = fake._failures.pop(0) if fake._failures else None
                if fake.hang:
                    fake._release.wait(30)
                    return
                if failure is not None:
                    status, body = failure, {"error": "fake failure"}
                else:
                    status, body = fake._answer(split.path, params)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        return Handler
