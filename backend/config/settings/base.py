"""Settings shared by every environment. Every value comes from the environment."""
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from backend.config.csp import content_security_policy
from backend.config.env import env_bool, env_int, env_list, env_str, load_env_file

BASE_DIR = Path(__file__).resolve().parents[3]
load_env_file(str(BASE_DIR / ".env"))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "local-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "backend.core.apps.KnigaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    # Refresh tokens are rotated and the used one blacklisted (backend/accounts/tokens.py).
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "phonenumber_field",
    "backend.core",
    "backend.accounts",
    "backend.branches",
    "backend.readers",
    "backend.catalog",
    "backend.circulation",
    "backend.orders",
    "backend.volunteers",
    "backend.plans",
    "backend.routing",
    "backend.reports",
    "backend.notifications",
    "mobile_api",
    "volunteer_app",
    "backend.demo",
]

MIDDLEWARE = [
    # CPU and queries per request by endpoint, for the load test; dropped at start-up unless
    # CPU_METER_DIR is set (backend/core/cpu_meter.py).
    "backend.core.cpu_meter.CpuMeterMiddleware",
    # Outermost, so that every answer carries the Content-Security-Policy, including those
    # made by the middleware below (error shapes, static files, redirects, CSRF refusals).
    "csp.middleware.CSPMiddleware",
    # One JSON error shape under /api/, 503 for a database outage on any page.
    "backend.core.middleware.ErrorShapeMiddleware",
    # Work queued with backend.core.after_response runs once the answer has been sent.
    "backend.core.after_response.AfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times in the signed-in person's branch zone (templates, forms, PDFs, API date-times).
    "backend.branches.middleware.BranchTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"
ASGI_APPLICATION = "backend.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "backend.core.web.nav_links",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database must hold a normal day: an import while volunteers act.
    # * IMMEDIATE: every transaction takes the write lock when it begins. A deferred one
    #   reads first and asks for the lock at its first write; if another writer holds it,
    #   SQLite answers "database is locked" at once (waiting could deadlock), whatever the
    #   timeout. Taken at BEGIN, the lock is waited for like any other.
    # * timeout: how long a writer waits for the lock (seconds) before giving up.
    # * WAL: readers do not block the writer nor the writer the readers. NORMAL syncs at
    #   checkpoints rather than at each commit: still safe from corruption, and a commit
    #   survives a crash of the application (a power cut may lose the last ones).
    # In-memory databases (the tests') keep their own journal; the rest applies.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    })
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_SERVER_SIDE_BINDING", True):
    # Parameters bound by the server, not spelled into the SQL by the client, so a statement's
    # text is the same whatever its values; a connection prepares a statement it has run
    # `prepare_threshold` times and then skips parsing and planning it (with CONN_MAX_AGE the
    # hot reads and writes of each worker). Off behind a pooler in transaction mode.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "server_side_binding": True,
        "prepare_threshold": env_int("DATABASE_PREPARE_THRESHOLD", 5),
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
# Our catalogue first; then our Kazakh for Django's, DRF's and friends' own strings.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_thirdparty"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Almaty")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "backend" / "static"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# Map tiles for the maps of the pages, e.g. https://tiles.example/{z}/{x}/{y}.png. By default the
# public OpenStreetMap tiles with their attribution (fine for light use; a library with heavy use
# sets its own tile server, see README); "off": stops and routes on a plain background.
OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_TILE_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
MAP_TILE_URL = env_str("MAP_TILE_URL", OSM_TILE_URL)
if MAP_TILE_URL == "off":
    MAP_TILE_URL = ""
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION", OSM_TILE_ATTRIBUTION if MAP_TILE_URL == OSM_TILE_URL else "")
# Every page: no inline script, no eval, no framing; map tiles only from MAP_TILE_URL's host.
CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=MAP_TILE_URL)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "KZ")
PHONENUMBER_DB_FORMAT = "E164"

# Proxies in front of the application (nginx: 1). Client addresses for sign-in limits and
# the access log are then read from X-Forwarded-For (backend.core.web.client_address).
NUM_PROXIES = env_int("NUM_PROXIES", 0)

REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.accounts.tokens.StaffJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.core.permissions.IsStaffRole"],
    "DEFAULT_PAGINATION_CLASS": "backend.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # JSON with a nesting bound (backend/core/parsers.py); forms and uploads as DRF has them.
    "DEFAULT_PARSER_CLASSES": [
        "backend.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backend.core.exceptions.api_exception_handler",
    # The OpenAPI schema describes the API; OPTIONS answers 405 like any undocumented method
    # (DRF's metadata needs a serializer_class that most of our views do not have).
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_THROTTLE_RATES": {
        "auth": env_str("THROTTLE_AUTH", "10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # A refresh token works once: refreshing answers a new one and blacklists the old.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "CHECK_USER_IS_ACTIVE": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kniga 03 API",
    "DESCRIPTION": "Home delivery of library books: readers, family cards, orders, routes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/(v1|mobile/v1)",
    # Swagger UI from the pinned package, not a CDN; its start script is a file of its own
    # (SpectacularSwaggerSplitView) so it runs under the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from an outside validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.core.schema.document_unsupported_media_type",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReaderLanguageEnum": "backend.readers.models.Language.choices",
        "CategoryEnum": "backend.readers.models.Category.choices",
        "ReaderStatusEnum": "backend.readers.models.ReaderStatus.choices",
        "FormatEnum": "backend.catalog.models.Format.choices",
        "TitleLanguageEnum": "backend.catalog.models.TitleLanguage.choices",
        "ItemStatusEnum": "backend.catalog.models.ItemStatus.choices",
        "VolunteerPlaceEnum": "backend.volunteers.models.Place.choices",
        "InboxKindEnum": "backend.notifications.models.InboxKind.choices",
        "InboxStatusEnum": "backend.notifications.models.InboxStatus.choices",
    },
}

# Where the CPU meter writes its figures (the load test sets it); empty: no meter at all.
CPU_METER_DIR = env_str("CPU_METER_DIR", "")

CACHES = {
    "default": {
        "BACKEND": env_str("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": env_str("CACHE_LOCATION", "kniga03"),
    }
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# Travel times (backend/routing/travel, docs/travel_times.md): straight line unless OSRM_URL is set.
ROUTING_DETOUR_FACTOR = float(env_str("ROUTING_DETOUR_FACTOR", "1.3"))
OSRM_URL = env_str("OSRM_URL", "")
OSRM_PROFILES = env_str("OSRM_PROFILES", "")  # JSON object, merged over the defaults
OSRM_TIMEOUT = float(env_str("OSRM_TIMEOUT", "10"))
OSRM_MAX_TABLE_SIZE = env_int("OSRM_MAX_TABLE_SIZE", 100)
OSRM_RETRIES = env_int("OSRM_RETRIES", 2)
OSRM_RETRY_BACKOFF = float(env_str("OSRM_RETRY_BACKOFF", "0.5"))
OSRM_PUBLIC_TRANSPORT_FACTOR = float(env_str("OSRM_PUBLIC_TRANSPORT_FACTOR", "2.0"))
OSRM_FALLBACK = env_str("OSRM_FALLBACK", "straight_line")
# Geocoding reader addresses (backend/readers/geocoder.py): off unless GEOCODER_URL is set.
GEOCODER_URL = env_str("GEOCODER_URL", "")  # a Nominatim-compatible server, /search API
GEOCODER_TIMEOUT = float(env_str("GEOCODER_TIMEOUT", "10"))
GEOCODER_COUNTRY_CODES = env_str("GEOCODER_COUNTRY_CODES", "")  # e.g. "kz"
GEOCODER_RETRIES = env_int("GEOCODER_RETRIES", 5)
GEOCODER_RETRY_BACKOFF = float(env_str("GEOCODER_RETRY_BACKOFF", "60"))  # s, doubled each time
# Without a worker (CELERY_TASK_ALWAYS_EAGER) the look-up runs while the card is saved: it waits
# at most this long and is not retried there (`manage.py geocode_readers` asks again later).
GEOCODER_INLINE_TIMEOUT = float(env_str("GEOCODER_INLINE_TIMEOUT", "3"))
GEOCODER_REQUESTS_PER_SECOND = float(env_str("GEOCODER_REQUESTS_PER_SECOND", "1"))
GEOCODER_AMBIGUOUS_METRES = float(env_str("GEOCODER_AMBIGUOUS_METRES", "200"))
TRAVEL_CACHE_SECONDS = env_int("TRAVEL_CACHE_SECONDS", 86400)
# Planning: seconds the solver searches by default, and the visit window when nothing is known.
ROUTING_TIME_LIMIT = float(env_str("ROUTING_TIME_LIMIT", "10"))
ROUTING_DEFAULT_WINDOW = tuple(env_list("ROUTING_DEFAULT_WINDOW", ["09:00", "18:00"]))

# Volunteers' mobile API (docs/mobile_api.md)
MOBILE_DETAILS_HOURS_AFTER = float(env_str("MOBILE_DETAILS_HOURS_AFTER", "6"))
MOBILE_OTP_SECONDS = env_int("MOBILE_OTP_SECONDS", 300)
MOBILE_OTP_ATTEMPTS = env_int("MOBILE_OTP_ATTEMPTS", 5)
# Codes asked for one phone (known or not): at most this many a minute and an hour.
MOBILE_OTP_PER_MINUTE = env_int("MOBILE_OTP_PER_MINUTE", 1)
MOBILE_OTP_PER_HOUR = env_int("MOBILE_OTP_PER_HOUR", 5)
MOBILE_LOCKOUT_FAILURES = env_int("MOBILE_LOCKOUT_FAILURES", 5)
MOBILE_LOCKOUT_MINUTES = env_int("MOBILE_LOCKOUT_MINUTES", 15)
# Days an idempotency answer is kept (an app offline longer cannot replay its queue).
MOBILE_IDEMPOTENCY_DAYS = env_int("MOBILE_IDEMPOTENCY_DAYS", 30)
# Reader cards closed more than this many years ago are anonymized (anonymize_readers).
READER_RETENTION_YEARS = env_int("READER_RETENTION_YEARS", 3)
# Staff sign-in lockout (backend/accounts/signin.py): per username and per client address.
STAFF_LOCKOUT_FAILURES = env_int("STAFF_LOCKOUT_FAILURES", 5)
STAFF_LOCKOUT_IP_FAILURES = env_int("STAFF_LOCKOUT_IP_FAILURES", 20)
MOBILE_AUTH_RATE_IP = env_str("MOBILE_AUTH_RATE_IP", "30/min")
MOBILE_AUTH_RATE_PHONE = env_str("MOBILE_AUTH_RATE_PHONE", "10/min")

# Messages: console (prints, keeps them in the outbox) or twilio (docs/messages.md).
MESSAGE_BACKEND = env_str("MESSAGE_BACKEND", "console")
MESSAGE_REMINDER_HOUR = env_int("MESSAGE_REMINDER_HOUR", 18)
MESSAGE_ON_THE_WAY = env_bool("MESSAGE_ON_THE_WAY", False)
MESSAGE_MAX_ATTEMPTS = env_int("MESSAGE_MAX_ATTEMPTS", 8)
MESSAGE_SENDING_STALE_SECONDS = env_int("MESSAGE_SENDING_STALE_SECONDS", 300)
MESSAGE_ROUTE_DELAY_SECONDS = env_int("MESSAGE_ROUTE_DELAY_SECONDS", 60)
MESSAGE_VOICE_ATTEMPTS = env_int("MESSAGE_VOICE_ATTEMPTS", 3)
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_STATUS_CALLBACK_URL = env_str("TWILIO_STATUS_CALLBACK_URL", "")
TWILIO_WEBHOOK_BASE_URL = env_str("TWILIO_WEBHOOK_BASE_URL", "")
TWILIO_TIMEOUT = float(env_str("TWILIO_TIMEOUT", "10"))
TWILIO_VOICE = env_str("TWILIO_VOICE", "")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")  # tests and local fakes only
# Calls in Kazakh (Twilio has no Kazakh voice): the library's text-to-speech service
# (POST {text, language, voice} -> audio/mpeg or audio/wav), then its recorded prompts in
# VOICE_PROMPTS_DIR/<language>/, then Twilio's Russian voice (backend/notifications/voice.py).
TTS_URL = env_str("TTS_URL", "")
TTS_TIMEOUT = float(env_str("TTS_TIMEOUT", "10"))
TTS_VOICE = env_str("TTS_VOICE", "")
VOICE_PROMPTS_DIR = env_str("VOICE_PROMPTS_DIR", "")
VOICE_AUDIO_KEEP_DAYS = env_int("VOICE_AUDIO_KEEP_DAYS", 7)
DESK_PHONE_NUMBER = env_str("DESK_PHONE_NUMBER", "")
# Where the volunteers' app is reached from a phone: the one-tap sign-in link in the "your
# route is published" SMS is {APP_BASE_URL}/app/#link=...; it works once, MOBILE_LINK_HOURS.
APP_BASE_URL = env_str("APP_BASE_URL", TWILIO_WEBHOOK_BASE_URL or "http://127.0.0.1:8000")
MOBILE_LINK_HOURS = float(env_str("MOBILE_LINK_HOURS", "12"))

# Background jobs (celery beat).
CELERY_BEAT_SCHEDULE = {
    # Orders from standing plans for the coming week, every evening.
    "generate-standing-orders": {
        "task": "plans.generate_standing_orders",
        "schedule": crontab(hour=18, minute=0),
        "kwargs": {"days": 7},
    },
    # Messages: stale sends checked with Twilio, expired dropped, due ones sent.
    "messages-sweep": {"task": "notifications.sweep", "schedule": 60.0},
    # Tomorrow's visits and the items due back, every evening.
    "visit-reminders": {"task": "orders.visit_reminders",
                        "schedule": crontab(hour=MESSAGE_REMINDER_HOUR, minute=0)},
    # Old idempotency answers and expired sign-in codes of the app, nightly.
    "prune-app-records": {"task": "mobile.prune", "schedule": crontab(hour=3, minute=0)},
    # Sign-in lockout counters whose window and lock are over, nightly.
    "prune-sign-in-locks": {"task": "accounts.prune_sign_in_locks",
                            "schedule": crontab(hour=3, minute=5)},
    # Expired refresh tokens (and their blacklist entries), nightly.
    "flush-expired-tokens": {"task": "accounts.flush_expired_tokens",
                             "schedule": crontab(hour=3, minute=15)},
    # The report's figures of recent months, quarters and years, stored for the report page.
    "refresh-report-figures": {"task": "reports.refresh_figures",
                               "schedule": crontab(hour=2, minute=30)},
    # Cards closed more than READER_RETENTION_YEARS ago lose their personal data, monthly.
    "anonymize-closed-cards": {"task": "readers.anonymize_closed",
                               "schedule": crontab(day_of_month=1, hour=3, minute=30)},
}

# Product rules with defaults a district library starts from.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "kniga03-demo")
READER_IMPORT_MAX_ROWS = env_int("READER_IMPORT_MAX_ROWS", 50000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_phones": {"()": "backend.core.logging.MaskPhonesFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["mask_phones"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
