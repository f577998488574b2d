"""The one error the travel-time gateway raises."""

from __future__ import annotations


class TravelError(Exception):
    """Travel times could not be obtained from the routing server.

    ``retryable`` says whether the same request may succeed later (server down, timeout, 5xx)
    or will fail again until something is changed (bad request, unknown profile, a point the
    server cannot place on its road network).  ``code`` is the server's error code when it gave
    one (``"InvalidQuery"``, ``"NoSegment"``, ``"TooBig"``...), else one of ours
    (``"timeout"``, ``"connection"``, ``"http_503"``, ``"bad_response"``).
    """

    def __init__(self, message: str, retryable: bool, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code

    def __repr__(self) -> str:
        return f"TravelError({self.message!r}, retryable={self.retryable}, code={self.code!r})"
