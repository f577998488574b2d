"""Production: secrets are required, everything else differs from base only by value."""
from django.core.exceptions import ImproperlyConfigured

from backend.config.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F401,F403
from .base import DATABASES, SIMPLE_JWT

DEBUG = False
# A short key can be guessed offline from one signed cookie or token; generate both with
#     python3 -c "import secrets; print(secrets.token_urlsafe(64))"
SECRET_KEY_MIN_LENGTH = 50
JWT_SIGNING_KEY_MIN_LENGTH = 32
SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters long.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    env_str("DJANGO_ALLOWED_HOSTS", required=True)
env_str("DATABASE_URL", required=True)
# The tokens are signed with a key of their own, so a leaked token key does not also sign
# sessions and password-reset links, and the other way round.
_JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", required=True)
if len(_JWT_SIGNING_KEY) < JWT_SIGNING_KEY_MIN_LENGTH:
    raise ImproperlyConfigured(
        f"JWT_SIGNING_KEY must be at least {JWT_SIGNING_KEY_MIN_LENGTH} characters long.")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": _JWT_SIGNING_KEY}
if env_str("MESSAGE_BACKEND", "console") == "twilio":
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        env_str(name, required=True)
    if not (env_str("TWILIO_FROM_NUMBER") or env_str("TWILIO_MESSAGING_SERVICE_SID")):
        env_str("TWILIO_FROM_NUMBER", required=True)
if env_str("TWILIO_API_BASE_URL"):
    raise ImproperlyConfigured("TWILIO_API_BASE_URL is for tests and local fakes only.")
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
# A kept connection is checked before a request uses it: after the database restarts or
# fails over, the first request of each process reconnects instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
