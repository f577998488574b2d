"""A fake map tile server on 127.0.0.1 (``/{z}/{x}/{y}.png``) for browser tests: no internet.

Each tile is drawn from its place in the world, so neighbouring tiles join into one plan of
blocks and streets (light blocks, white streets every 64 pixels, a green park now and then).
``requests`` lists the tiles asked for.
"""
from __future__ import annotations

import io
import re
from http.server import BaseHTTPRequestHandler

from PIL import Image, ImageDraw

from tests.fake_server import LocalServer

TILE = 256
BLOCK = 64
STREET = 9
TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def draw_tile(z: int, x: int, y: int) -> bytes:
    image = Image.new("RGB", (TILE, TILE), (242, 239, 233))
    pen = ImageDraw.Draw(image)
    left, top = x * TILE, y * TILE
    for bx in range(-1, TILE // BLOCK + 1):
        for by in range(-1, TILE // BLOCK + 1):
            gx, gy = left // BLOCK + bx, top // BLOCK + by
            if (gx * 7 + gy * 13) % 11 == 0:
                x0, y0 = gx * BLOCK - left, gy * BLOCK - top
                pen.rectangle([x0 + STREET, y0 + STREET, x0 + BLOCK, y0 + BLOCK],
                              fill=(205, 235, 196))
    for k in range(-1, TILE // BLOCK + 1):
        at_x = (left // BLOCK + k) * BLOCK - left
        at_y = (top // BLOCK + k) * BLOCK - top
        pen.rectangle([at_x, 0, at_x + STREET - 1, TILE], fill=(255, 255, 255),
                      outline=(214, 208, 198))
        pen.rectangle([0, at_y, TILE, at_y + STREET - 1], fill=(255, 255, 255),
                      outline=(214, 208, 198))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class FakeTiles(LocalServer):
    def __init__(self) -> None:
        self.requests: list[tuple[int, int, int]] = []
        super().__init__()

    @property
    def template(self) -> str:
        return self.url + "/{z}/{x}/{y}.png"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                match = TILE_PATH.match(self.path)
                if match is None:
                    self.send_error(404)
                    return
                z, x, y = (int(n) for n in match.groups())
                with fake._lock:
                    fake.requests.append((z, x, y))
                body = draw_tile(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        return Handler
