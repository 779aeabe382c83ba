"""Yishi settings: embedded defaults, production chosen by environment variables only.

- ``DATABASE_URL`` (e.g. ``postgres://postgres@127.0.0.1:5432/yishi``): default SQLite file.
- ``REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``): channels-redis layer; default in-memory.
- ``DJANGO_DEBUG`` (``1``/``0``), ``DJANGO_SECRET_KEY`` (+ ``DJANGO_SECRET_KEY_FALLBACKS``, comma
  list of earlier keys), ``DJANGO_ALLOWED_HOSTS`` (comma list).
- ``YISHI_ASGI`` (``1`` under an ASGI server): ``CONN_MAX_AGE=0`` plus psycopg's pool on PostgreSQL.
- ``YISHI_BEHIND_PROXY`` (default off; the production setting): the app runs behind a reverse
  proxy that terminates TLS and SETS (overwrites, never appends what the client sent)
  ``X-Forwarded-Proto`` and appends the client's address to ``X-Forwarded-For``. Then
  ``SECURE_PROXY_SSL_HEADER`` trusts ``X-Forwarded-Proto: https``, the login lockout and the API
  throttles read the client's address from the right-most ``X-Forwarded-For`` entry
  (``YISHI_PROXY_COUNT`` proxies, default 1), and with ``DJANGO_DEBUG`` off plain HTTP is
  redirected to HTTPS (``DJANGO_SSL_REDIRECT``) with HSTS (``DJANGO_HSTS_SECONDS``, default one
  year; ``DJANGO_HSTS_PRELOAD``). Never expose gunicorn/daphne directly with this on: a client
  could then claim any address and any scheme.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from projects.log_filters import init_error_reporting, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Off unless asked for: `make run` turns it on for the demo. With DEBUG off a mistyped URL shows
# our 404 page, never Django's technical page listing every route.
DEBUG = env_bool("DJANGO_DEBUG", False)


def _local_secret_key() -> str:
    """A key made once for this checkout (``.secret_key``, git-ignored) when the environment
    gives none, so a fresh machine runs without configuration and no two installs share a key.
    A real deployment sets ``DJANGO_SECRET_KEY``."""
    import secrets

    path = BASE_DIR / ".secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        key = secrets.token_urlsafe(50)
        fh.write(key)
    return key


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "") or _local_secret_key()
# Earlier keys, still accepted (signed cookies; ballots waiting in a sealing pool).
SECRET_KEY_FALLBACKS = [
    k.strip() for k in os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
]

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "viewflow",
    "viewflow.workflow",
    "simple_history",
    "notifications",
    "projects",
    "deliberation",
    "accounts",
    "dashboards",
    "ops",
    "meetings",
    "opendata",
    "residents",
]

MIDDLEWARE = [
    # first: one log line per request with its id and time, redirects and refusals included
    "projects.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # a NUL in a query string or form field: a 400 before any view (projects/middleware.py)
    "projects.middleware.RefuseBadCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # who made a change, for the history of projects, rules, roles and funds (admin included)
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login with 429
]
# The history is a record, not an undo: the admin shows it and never reverts to it.
SIMPLE_HISTORY_REVERT_DISABLED = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.inbox",
                "projects.context_processors.ui",
            ],
        },
    },
]
# Form errors render through templates/django/forms/errors/list/ul.html: our wording, not
# Django's stock validator messages.
FORM_RENDERER = "projects.forms_renderer.YishiFormRenderer"

# --- Database -------------------------------------------------------------------------------
ASGI_MODE = env_bool("YISHI_ASGI", False)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0 if ASGI_MODE else 60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and ASGI_MODE:
    # Persistent connections pile up under ASGI (DESIGN.md "Running it"): use the pool instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": 8}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": 1500,
                "expiry": 30,
                # one channel per server process carries every group's events (notifications/hub.py)
                "channel_capacity": {"specific.*": 20000},
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache: the screen's snapshot and live tallies, read at most about once a second ----------
# (notifications/snapshots.py). With Redis every server process shares it; else per process.
# The cache holds the API throttles' counters: shared through Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.Cache",  # Django's, one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "yishi",
        }
    }

# --- Background tasks (django-tasks + django-tasks-db) ----------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("YISHI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Text messages (sign-up and sign-in codes): accounts/sms.py; the console backend prints them.
SMS_BACKEND = os.environ.get("YISHI_SMS_BACKEND", "accounts.sms.ConsoleBackend")
YISHI_STAFF_SIGNIN_CODE = env_bool(
    "YISHI_STAFF_SIGNIN_CODE", False
)  # staff: a code after the password

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("简体中文")),
    ("zh-hant", _("繁體中文")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# With DEBUG off (the default) and no collectstatic run, still serve static files from the apps
# and static/ (whitenoise indexes them once at start); a deployment runs collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("YISHI_MEDIA_ROOT", BASE_DIR / "media"))
# residency photos and household registers: never under MEDIA_URL (residents/storage.py)
PRIVATE_MEDIA_ROOT = Path(os.environ.get("YISHI_PRIVATE_ROOT", BASE_DIR / "private"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "yishi@localhost")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "projects.api_errors.exception_handler",
    # JSON read with limits (depth, NUL, lone surrogates, infinite numbers): projects/parsers.py
    "DEFAULT_PARSER_CLASSES": [
        "projects.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "projects.throttles.AnonThrottle",
        "projects.throttles.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("YISHI_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("YISHI_THROTTLE_USER", "600/min"),
        "login": os.environ.get(
            "YISHI_THROTTLE_LOGIN", "10/min"
        ),  # the token endpoint, per address
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yishi 议事 API",
    "DESCRIPTION": "三会一评: residents propose, the committee decides, the service center executes, "
    "the public evaluates.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): the CSP allows no CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # one name for the project states, wherever they appear (state, source, target)
    "ENUM_NAME_OVERRIDES": {"ProjectStateEnum": "projects.models.states.State"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "projects.api_schema.document_errors",  # 400/401/403/404/409/415/429 on every operation
    ],
}

# --- Logs ------------------------------------------------------------------------------------
# One line per request (projects/middleware.py RequestLogMiddleware): request id (the proxy's
# X-Request-ID, else a new one), user id, method, path, status, duration; JSON lines with
# LOG_FORMAT=json, readable lines otherwise. A 5xx adds its traceback once; an expected refusal
# (403, 404, 409 ...) nothing more (projects/log_filters.py).
LOGGING = logging_config(
    os.environ.get("LOG_FORMAT", "text"), os.environ.get("DJANGO_LOG_LEVEL", "WARNING")
)
# Optional error reporting: sentry-sdk (the `sentry` extra), started only when SENTRY_DSN is set.
init_error_reporting(
    os.environ.get("SENTRY_DSN", ""),
    environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
    traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
)

# --- Security: proxy, HTTPS, lockout, content policy ------------------------------------------
BEHIND_PROXY = env_bool("YISHI_BEHIND_PROXY", False)
PROXY_COUNT = int(os.environ.get("YISHI_PROXY_COUNT", "1"))
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    REST_FRAMEWORK["NUM_PROXIES"] = PROXY_COUNT
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
if BEHIND_PROXY and not DEBUG:  # HTTPS only, as the proxy serves it
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# the proxy and monitoring call the health checks over plain HTTP too (ops/views.py)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True  # on every response, uploaded media included

# django-axes: 5 wrong passwords for one username, or from one address, lock that username /
# address out of the login form, the admin and the token endpoint for 15 minutes (429).
AXES_FAILURE_LIMIT = int(os.environ.get("YISHI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("YISHI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "projects.lockout.lockout_response"  # 429, JSON under /api/
AXES_VERBOSE = False

# django-csp: scripts only from our own origin (an inline script needs the request's nonce);
# styles may be inline (style attributes); no plugins, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],  # websockets: same origin (ws/wss) in CSP Level 3
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out user or address
    "django.contrib.auth.backends.ModelBackend",
    "projects.auth.CommunityRoleBackend",
]
VIEWFLOW = {"AUTOREGISTER": False}
