"""The part every fake outside service shares: a real HTTP server on 127.0.0.1, on a free
port, in a background thread, that hanging handlers can be woken from when it stops."""
from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class LocalServer:
    """Subclasses provide `_handler_class()` and call `super().__init__()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _handler_class(self):  # pragma: no cover - each fake defines its handler
        raise NotImplementedError

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake hanging handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
