"""Fast, isolated test settings. The database still comes from DATABASE_URL."""
from backend.config.csp import content_security_policy

from .base import *  # noqa: F401,F403
from .base import REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "1000/min"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# No tiles from the internet in tests: the map tests route them to a fake tile server
# (tests/browser/fake_tiles.py).
MAP_TILE_URL = ""
MAP_TILE_ATTRIBUTION = ""
CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=MAP_TILE_URL)
