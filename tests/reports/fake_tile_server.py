"""A fake map tile server on 127.0.0.1 for the server-side route pictures: `/{z}/{x}/{y}.png`
answers a small PNG of one colour, or fails in the way `mode` says; `requests` lists the paths
asked for."""
from __future__ import annotations

import io
from http.server import BaseHTTPRequestHandler

from PIL import Image

from tests.fake_server import LocalServer

TILE_COLOUR = (120, 200, 90)


def png(size: int = 256, colour=TILE_COLOUR) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if len(colour) == 4 else "RGB", (size, size), colour).save(
        out, format="PNG")
    return out.getvalue()


class FakeTileServer(LocalServer):
    """`/{z}/{x}/{y}.png`; `mode` says how it answers: ok, hang, error, huge,
    huge_unannounced (no Content-Length), big_image (512 px), not_image, transparent."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.mode = "ok"
        super().__init__()

    @property
    def template(self) -> str:
        return self.url + "/{z}/{x}/{y}.png"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                with fake._lock:
                    fake.requests.append(self.path)
                mode = fake.mode
                if mode == "hang":
                    fake._release.wait(5)
                    return
                if mode == "error":
                    self.send_error(503)
                    return
                body = {"huge": b"\x89PNG" + b"0" * (600 * 1024),
                        "huge_unannounced": b"\x89PNG" + b"0" * (600 * 1024),
                        "big_image": png(512),
                        "not_image": b"<html>Too many requests</html>",
                        "transparent": png(colour=(0, 0, 0, 0))}.get(mode, png())
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                if mode != "huge_unannounced":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        return Handler
