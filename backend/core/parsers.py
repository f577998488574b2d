"""The JSON parser every API view uses: DRF's, with a bound on how deeply a body nests.

Python's json module recurses once per level of `[` or `{`, so a body of a hundred thousand
`[` ends in RecursionError (a 500) before any view code runs, on the unauthenticated sign-in
too. The depth is counted first by a plain loop over the bytes, never by recursion, and a
body nested deeper than JSON_MAX_DEPTH is refused with 400 `request.too_deep`.
"""
from __future__ import annotations

import codecs
import re

from django.conf import settings
from django.utils.translation import ngettext
from rest_framework import parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json

# No body the API takes is nested more than a handful of levels (a sync batch of actions
# with their items is four); 32 leaves room and stays far below Python's recursion limit.
DEFAULT_MAX_DEPTH = 32

# Everything that can change the depth or hide a bracket: brackets, and strings whole
# (escapes included), so a "[" inside a string is not counted.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def max_depth() -> int:
    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def nesting_exceeds(text: bytes, limit: int) -> bool:
    """True when the JSON text opens more than `limit` arrays or objects inside each other.
    Works on malformed text too (the decoder reports those); strings are skipped."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def too_deep(limit: int) -> Exception:
    # Imported here: DRF loads this module while backend.core.exceptions imports DRF's views.
    from backend.core.exceptions import ApplicationError

    return ApplicationError(
        "request.too_deep",
        ngettext("The request body is nested too deeply (at most %(depth)s level).",
                 "The request body is nested too deeply (at most %(depth)s levels).", limit)
        % {"depth": limit},
        status_code=status.HTTP_400_BAD_REQUEST,
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser after a depth check that cannot itself overflow the stack."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        raw = stream.read() if stream is not None else b""
        # Brackets and quotes are ASCII; re-encode only the rare body that is not UTF-8
        # compatible (UTF-16), so the byte scan sees them.
        if codecs.lookup(encoding).name not in ("utf-8", "ascii"):
            try:
                raw = raw.decode(encoding).encode("utf-8")
            except UnicodeError as exc:
                raise ParseError(f"JSON parse error - {exc}") from None
        limit = max_depth()
        if nesting_exceeds(raw, limit):
            raise too_deep(limit)
        try:
            text = raw.decode("utf-8")
            parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
