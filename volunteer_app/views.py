"""The app's shell, manifest, service worker and JavaScript catalogue.

The shell is the same page for every screen (the screens are hash routes, `#/stop/12`), so
the service worker can keep one copy of it and open any screen offline.
"""
import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

THEME_COLOUR = "#0b4f6c"
LANGUAGES = ("ru", "kk", "en")

# What the shell needs to open offline, as static paths.
SHELL_STATIC = (
    "app/css/app.css",
    "app/js/main.js",
    "app/js/api.js",
    "app/js/store.js",
    "app/js/sync.js",
    "app/js/ui.js",
    "app/js/screens.js",
    "app/js/i18n.js",
    "app/js/sw-body.js",
    "app/vendor/idb/idb.js",
    "app/icons/icon-192.png",
    "app/icons/icon-512.png",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
)


@require_GET
def shell(request):
    return render(request, "volunteer_app/shell.html", {
        "theme_colour": THEME_COLOUR,
        "details_hours_after": settings.MOBILE_DETAILS_HOURS_AFTER,
        "tiles_url": settings.MAP_TILE_URL,
        "tiles_attribution": settings.MAP_TILE_ATTRIBUTION,
    })


@require_GET
def manifest(request):
    body = {
        "name": "Книга 03 — волонтёр / ерікті",
        "short_name": "Книга 03",
        "description": "Маршрут волонтёра: адреса, книги, отметки — и без сети. "
                       "Ерікті маршруты: мекенжайлар, кітаптар, белгілер — желісіз де.",
        "lang": "ru",
        "start_url": reverse("volunteer_app:shell"),
        "scope": reverse("volunteer_app:shell"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("app/icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any"},
            {"src": static("app/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any"},
            {"src": static("app/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json",
                        json_dumps_params={"ensure_ascii": False})


@lru_cache(maxsize=1)
def _revision() -> str:
    """One revision for the whole shell: a new deploy with changed files makes the service
    worker fetch them all again."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        path = finders.find(name)
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


def precache_entries() -> list[dict]:
    revision = _revision()
    entries = [{"url": reverse("volunteer_app:shell"), "revision": revision}]
    entries += [{"url": f"{reverse('volunteer_app:jsi18n')}?lang={lang}", "revision": revision}
                for lang in LANGUAGES]
    entries += [{"url": static(name), "revision": revision} for name in SHELL_STATIC]
    return entries


@never_cache
@require_GET
def service_worker(request):
    config = {
        "prefix": static("app/vendor/workbox/"),
        "precache": precache_entries(),
        "shell": reverse("volunteer_app:shell"),
        "api": "/api/mobile/v1/",
    }
    with open(finders.find("app/js/sw-body.js"), encoding="utf-8") as handle:
        body = handle.read()
    script = (f"self.APP_CONFIG = {json.dumps(config, ensure_ascii=False)};\n"
              f"importScripts({json.dumps(static('app/vendor/workbox/workbox-sw.js'))});\n"
              + body)
    return HttpResponse(script, content_type="application/javascript; charset=utf-8")


class AppCatalog(JavaScriptCatalog):
    """Django's JavaScript catalogue in the language the app asks for (`?lang=kk`): the app
    chooses its language itself, whatever the browser says."""

    domain = "djangojs"
    packages = ["volunteer_app"]

    def get(self, request, *args, **kwargs):
        lang = request.GET.get("lang", settings.LANGUAGE_CODE)
        if lang not in LANGUAGES:
            lang = settings.LANGUAGE_CODE
        with translation.override(lang):
            response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-cache"
        return response
