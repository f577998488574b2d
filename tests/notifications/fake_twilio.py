"""A fake of the Twilio REST API on 127.0.0.1 for the messaging tests.

A real HTTP server (``ThreadingHTTPServer`` in a thread, port chosen by the system), so the
gateway is tested through the real twilio client exactly as in production. It implements

    POST /2010-04-01/Accounts/{sid}/Messages.json   send an SMS (201 with the message)
    GET  /2010-04-01/Accounts/{sid}/Messages.json   the message log, newest first
                                                    (To, DateSent, DateSent>, DateSent<)
    POST /2010-04-01/Accounts/{sid}/Calls.json      place a call with TwiML (201)
    GET  /2010-04-01/Accounts/{sid}/Calls.json      the call log, newest first (To)

checks HTTP basic auth against the account, and keeps what it accepted. Tests can make it
answer a Twilio error (``fail_next``, ``fail_every``, ``error_for``), or hang — before
accepting or after (``hang_next``) — and read what it received (``accepted``,
``sms_count``, ``requests``).
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.fake_server import LocalServer

ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
}


def _rfc2822(moment: datetime.datetime) -> str:
    return format_datetime(moment.astimezone(datetime.UTC).replace(tzinfo=None)) \
        + " +0000"


class FakeTwilio(LocalServer):
    def __init__(self, *, account_sid: str = "AC" + "f" * 32,
                 auth_token: str = "fake-auth-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict] = []  # accepted SMS, oldest first
        self.calls: list[dict] = []  # accepted calls, oldest first
        self.requests: list[tuple[str, str]] = []  # (method, path) in order
        self.hang_seconds = 3.0
        self._failures: list[tuple[int, int | None]] = []
        self._hangs: list[bool] = []  # True: accept, then hang
        self._every: tuple[int, int, int | None] | None = None
        self._creates = 0
        self._errors_for: dict[str, tuple[int, int]] = {}
        super().__init__()

    # -- control -------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 500, code: int | None = None) -> None:
        """Answer the next ``count`` create requests (SMS or call) with an error."""
        with self._lock:
            self._failures.extend([(status, code)] * count)

    def fail_every(self, n: int, *, status: int = 500, code: int | None = None) -> None:
        """Answer every ``n``-th create request with an error (the 2nd, 4th, ... for n=2)."""
        with self._lock:
            self._every = (n, status, code)

    def error_for(self, number: str, *, status: int = 400, code: int = 21211) -> None:
        """Always refuse messages and calls to ``number`` with this Twilio error."""
        with self._lock:
            self._errors_for[number] = (status, code)

    def hang_next(self, count: int = 1, *, accept: bool = False) -> None:
        """Hang on the next ``count`` create requests; with ``accept`` the message is taken
        (it will be in the log) before the fake stops answering."""
        with self._lock:
            self._hangs.extend([accept] * count)

    def sms_count(self, to: str) -> int:
        """How many SMS to ``to`` the fake accepted."""
        with self._lock:
            return sum(1 for m in self.messages if m["to"] == to)

    @property
    def accepted(self) -> list[dict]:
        with self._lock:
            return list(self.messages)

    def creates(self) -> int:
        with self._lock:
            return self._creates

    # -- the API -------------------------------------------------------------------------------

    def _record(self, kind: str, form: dict[str, str]) -> dict:
        now = datetime.datetime.now(datetime.UTC)
        prefix = "SM" if kind == "messages" else "CA"
        sid = prefix + secrets.token_hex(16)
        base = f"/2010-04-01/Accounts/{self.account_sid}/"
        if kind == "messages":
            record = {
                "sid": sid, "account_sid": self.account_sid, "to": form.get("To", ""),
                "from": form.get("From") or "+15005550006",
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "body": form.get("Body", ""), "status": "queued", "direction": "outbound-api",
                "date_created": _rfc2822(now), "date_updated": _rfc2822(now),
                "date_sent": _rfc2822(now), "num_segments": "1", "num_media": "0",
                "error_code": None, "error_message": None, "price": None,
                "price_unit": "USD", "api_version": "2010-04-01",
                "uri": f"{base}Messages/{sid}.json", "subresource_uris": {},
                "_status_callback": form.get("StatusCallback"), "_created": now,
            }
            self.messages.append(record)
        else:
            record = {
                "sid": sid, "account_sid": self.account_sid, "to": form.get("To", ""),
                "from": form.get("From", ""), "status": "queued", "direction": "outbound-api",
                "date_created": _rfc2822(now), "date_updated": _rfc2822(now),
                "start_time": None, "end_time": None, "duration": None,
                "api_version": "2010-04-01", "uri": f"{base}Calls/{sid}.json",
                "subresource_uris": {}, "_twiml": form.get("Twiml", ""),
                "_status_callback": form.get("StatusCallback"), "_created": now,
            }
            self.calls.append(record)
        return record

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(
                    {k: v for k, v in body.items() if not k.startswith("_")}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a hang test)

            def _error(self, status: int, code: int | None) -> None:
                code = code or (20429 if status == 429 else 20500 if status >= 500 else 21211)
                self._send(status, {"code": code, "message": ERRORS.get(code, "Error"),
                                    "more_info": f"errors/{code}", "status": status})

            def _authorised(self) -> bool:
                expected = base64.b64encode(
                    f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                return self.headers.get("Authorization", "") == f"Basic {expected}"

            def _kind(self, path: str) -> str | None:
                prefix = f"/2010-04-01/Accounts/{fake.account_sid}/"
                if path == prefix + "Messages.json":
                    return "messages"
                if path == prefix + "Calls.json":
                    return "calls"
                return None

            def do_POST(self):  # noqa: N802 - the http.server API
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[-1] for k, v in
                        parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
                with fake._lock:
                    fake.requests.append(("POST", parts.path))
                if not self._authorised():
                    return self._send(401, {"code": 20003, "message": "Authenticate",
                                            "status": 401})
                kind = self._kind(parts.path)
                if kind is None:
                    return self._send(404, {"code": 20404, "message": "Not found",
                                            "status": 404})
                with fake._lock:
                    fake._creates += 1
                    failure = fake._failures.pop(0) if fake._failures else None
                    if failure is None and fake._every and fake._creates % fake._every[0] == 0:
                        failure = fake._every[1:]
                    refused = fake._errors_for.get(form.get("To", ""))
                    hang = fake._hangs.pop(0) if fake._hangs else None
                    record = None
                    if failure is None and refused is None and hang is not False:
                        record = fake._record(kind, form)
                if failure is not None:
                    return self._error(*failure)
                if refused is not None:
                    return self._error(*refused)
                if hang is not None:
                    fake._release.wait(fake.hang_seconds)
                    return self._error(503, 20500)  # the client has given up by now
                return self._send(201, record)

            def do_GET(self):  # noqa: N802 - the http.server API
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with fake._lock:
                    fake.requests.append(("GET", parts.path))
                if not self._authorised():
                    return self._send(401, {"code": 20003, "message": "Authenticate",
                                            "status": 401})
                kind = self._kind(parts.path)
                if kind is None:
                    return self._send(404, {"code": 20404, "message": "Not found",
                                            "status": 404})
                with fake._lock:
                    records = list(fake.messages if kind == "messages" else fake.calls)
                if query.get("To"):
                    records = [r for r in records if r["to"] == query["To"]]
                for name, keep in (("DateSent>", lambda d, x: d.date() >= x),
                                   ("DateSent<", lambda d, x: d.date() <= x),
                                   ("DateSent", lambda d, x: d.date() == x)):
                    if query.get(name):
                        limit = datetime.date.fromisoformat(query[name][:10])
                        records = [r for r in records if keep(r["_created"], limit)]
                size = int(query.get("PageSize") or 50)
                records = [{k: v for k, v in r.items() if not k.startswith("_")}
                           for r in reversed(records)][:size]
                self._send(200, {
                    kind: records, "page": 0, "page_size": size, "next_page_uri": None,
                    "previous_page_uri": None, "first_page_uri": parts.path,
                    "uri": self.path, "start": 0, "end": max(0, len(records) - 1),
                })

        return Handler
