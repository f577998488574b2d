"""The Content-Security-Policy every page is served with (django-csp reads it from settings)."""
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def map_tile_source(url: str) -> list[str]:
    """The origin the map tiles come from, as a CSP source, or nothing when there are none.

    `https://{s}.tile.example/{z}/{x}/{y}.png` loads from a.tile.example, b.tile.example…:
    a placeholder in the leftmost label becomes CSP's wildcard `*.tile.example`.
    """
    if not url:
        return []
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(
            f"MAP_TILE_URL must be an http(s) address such as "
            f"https://tiles.example/{{z}}/{{x}}/{{y}}.png, not {url!r}."
        )
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels) or "{" in port:
        raise ImproperlyConfigured(
            f"MAP_TILE_URL may have a placeholder only in the leftmost part of its host: {url!r}."
        )
    return [f"{parts.scheme}://{'.'.join(labels)}" + (f":{port}" if port else "")]


def content_security_policy(*, map_tile_url: str) -> dict:
    """No inline script, no eval, no plugins, no framing; styles from our files only.

    Pages pass data to their scripts with `json_script` or data- attributes; scripts build
    text with DOM nodes (see backend/static/js). Images may be data: URIs (Leaflet, Swagger
    UI and the admin's icons) and map tiles from MAP_TILE_URL's host.
    """
    self_ = "'self'"
    none = "'none'"
    return {
        "DIRECTIVES": {
            "default-src": [self_],
            "script-src": [self_],
            "script-src-attr": [none],
            "style-src": [self_],
            "img-src": [self_, "data:", *map_tile_source(map_tile_url)],
            "font-src": [self_],
            "connect-src": [self_],
            "frame-src": [self_],
            "object-src": [none],
            "base-uri": [self_],
            "frame-ancestors": [none],
            "form-action": [self_],
        },
    }
