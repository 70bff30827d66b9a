"""Settings shared by development (`make run`: portal/settings/development.py), tests and
production; none of them runs on this module alone (it has no secret key).

Everything that differs between machines comes from the environment: `DATABASE_URL` switches
from the embedded SQLite file to PostgreSQL, `CELERY_BROKER_URL` from the embedded SQLite broker
to Redis.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# No default here: Django refuses to run on an empty key. `portal.settings.production` insists on
# a real DJANGO_SECRET_KEY; `portal.settings.development` (`make run`, `manage.py`) makes one per
# machine in var/secret_key; the tests have their own (portal/secret_key.py).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Off unless a developer asks (DJANGO_DEBUG=1): `make run` shows people the portal's own 403, 404
# and 500 pages, never Django's debug pages with the settings in them.
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    # Django's admin on the portal's own site: administrators only, signed in with the portal's
    # sign-in (second factor included).
    "apps.security.admin_app.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    "django_htmx",
    "auditlog",
    "apps.audit.lockout_app.LockoutConfig",  # django-axes, with a translatable name
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.organizations",
    "apps.casework",
    "apps.deadlines",
    "apps.notifications",
    "apps.api",
    "apps.guidance",
    "apps.stats",
    "apps.desk",
    "apps.satisfaction",
    "apps.assist",
    "apps.meetings",
    "apps.web",
    # After auditlog: replaces its admin with a read-only one.
    "apps.audit",
    "apps.backups",
    "apps.security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the session passed the second factor (user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "apps.audit.middleware.AuditActorMiddleware",
    # One audit record for each change, export, download and refusal, after the view answered.
    "apps.audit.middleware.AuditTrailMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Session limits, the second factor and password changes owed, before any page.
    "apps.security.middleware.AccountPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost but for axes (which only reads the response), so that it sees a view's database
    # error first (after the language is set).
    "portal.unavailable.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a login refused for lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "apps.web.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite needs two things to be a fair multi-user database: every transaction begins IMMEDIATE
# (so that a read-then-write transaction waits for the write lock instead of failing with
# "database is locked"), and a busy timeout long enough for the waiting writer. WAL lets
# readers go on while one writer works.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        # Reads come from the memory-mapped file (up to 4 GiB), pages the kernel shares between all
        # web processes; each connection's private cache stays small (2 MiB: a web worker has four).
        "PRAGMA cache_size=-2048; PRAGMA mmap_size=4294967296; PRAGMA temp_store=MEMORY; "
        # Planner statistics, refreshed when SQLite finds them missing or stale (bounded work).
        "PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002;"
    ),
}

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "portal.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
            # Each web thread keeps its connection, and with it SQLite's page cache, between
            # requests, instead of opening the file and warming a cache per request.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", SQLITE_OPTIONS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organizations.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses every password check for a locked-out username and address before the
    # real backends run (see "Sign-in lock-out" below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; every portal page needs a login

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Staff (等保 level 3): 12 characters or three kinds of character; none of the last five.
    {"NAME": "apps.security.passwords.StaffPasswordStrengthValidator"},
    {"NAME": "apps.security.passwords.PasswordHistoryValidator"},
]


def _flag(variable: str, default: str) -> bool:
    return os.environ.get(variable, default).strip().lower() in ("1", "true", "yes", "on")


# --- 等保 2.0 level 3: sign-in, sessions, audit (apps/security, apps/audit) ------------------
# Staff (liaisons, officers, supervisors, administrators) sign in with a password and a TOTP
# code. Off here, so that the demo users of `make run` sign in as before; on in production.
PORTAL_REQUIRE_2FA = _flag("PORTAL_REQUIRE_2FA", "0")
OTP_TOTP_ISSUER = os.environ.get("PORTAL_OTP_ISSUER", "Liaison portal")
# A session ends after this long without a request, and this long after its sign-in.
PORTAL_SESSION_IDLE_MINUTES = int(os.environ.get("PORTAL_SESSION_IDLE_MINUTES", "30"))
PORTAL_SESSION_MAX_HOURS = float(os.environ.get("PORTAL_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = int(PORTAL_SESSION_MAX_HOURS * 3600)
# Staff passwords expire after this many days (0: never).
PORTAL_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PORTAL_PASSWORD_MAX_AGE_DAYS", "90"))
# The audit trail's records are kept at least this long (never less than 180 days), and its
# hash chain is keyed with this secret (derived from SECRET_KEY when unset). Keep it apart from
# the database: whoever holds both can rewrite the trail unseen.
PORTAL_AUDIT_RETENTION_DAYS = int(os.environ.get("PORTAL_AUDIT_RETENTION_DAYS", "180"))
PORTAL_AUDIT_KEY = os.environ.get("PORTAL_AUDIT_KEY", "")

SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The reverse proxies in front of Django (addresses or networks, comma separated; none by
# default). X-Forwarded-For is believed only in a request that comes from one of them
# (portal/client_ip.py); otherwise the client is REMOTE_ADDR. The sign-in lock-out, the API
# throttles and the audit log all key on that address, so a proxy listed here that is not one
# lets any client choose its own address. docker-compose.yml lists its nginx.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(proxy.strip(), strict=False))
    for proxy in os.environ.get("DJANGO_TRUSTED_PROXIES", "").split(",")
    if proxy.strip()
]

# --- Sign-in lock-out (django-axes) ---------------------------------------------------------
# After AXES_FAILURE_LIMIT failed passwords for one username from one address, that pair is
# refused for AXES_COOLOFF_TIME (the login form, the admin and POST /api/v1/auth/token/ alike:
# all three go through django.contrib.auth.authenticate with the request). Keyed on the pair so
# that a stranger cannot lock a colleague out from elsewhere. On top of it, after
# PORTAL_LOGIN_USERNAME_FAILURE_LIMIT failures for one username within the cool-off from any
# addresses at all, the username is refused everywhere for the cool-off (an attacker with many
# addresses; apps/organizations/lockout.py, PortalAxesHandler): OWASP ASVS 2.2.1 allows at most
# 100 failures an hour per account, this allows 20 a quarter of an hour. Admins see and delete
# the attempts (which unlocks) under "Axes" in the admin.
AXES_FAILURE_LIMIT = int(os.environ.get("PORTAL_LOGIN_FAILURE_LIMIT", "5"))
PORTAL_LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("PORTAL_LOGIN_USERNAME_FAILURE_LIMIT", "20"))
AXES_HANDLER = "apps.organizations.lockout.PortalAxesHandler"
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PORTAL_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the lock-out does not restart it: "try again in 15 minutes" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "apps.organizations.lockout.lockout_response"
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded attachments live outside any served path; only the permission-checked download view
# reads them.
PRIVATE_UPLOAD_ROOT = Path(os.environ.get("PORTAL_UPLOAD_ROOT", VAR_DIR / "uploads"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("PORTAL_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- The service mechanism ------------------------------------------------------------------
PORTAL: dict[str, Any] = {
    # Feedback deadlines: end of business of the next working day, Asia/Shanghai.
    "END_OF_BUSINESS": "18:00",
    "START_OF_BUSINESS": "09:00",
    "GREEN_CHANNEL_CUTOFF": "12:00",
    "GREEN_CHANNEL_LATE_DUE": "12:00",
    "REMINDER_WORKING_HOURS": 2,
    "REOPEN_WITHIN_DAYS": 30,
    "AUTO_CLOSE_AFTER_DAYS": 7,
    # 好差评: a resolution left unrated this many days counts as 5 ("default"); a bad review's
    # rectification is due this many working days after it opened.
    "RATING_DEFAULT_AFTER_DAYS": 7,
    "RECTIFICATION_WORKING_DAYS": 5,
    # Consultation meetings: either side may cancel or move a booked meeting until this many
    # hours before it starts; after that, it is held or recorded as missed.
    "MEETING_CHANGE_NOTICE_HOURS": int(os.environ.get("PORTAL_MEETING_CHANGE_NOTICE_HOURS", 4)),
    # What the service figures are read against where an organisation has no target of its own.
    "TARGET_ON_TIME_PERCENT": 95,
    "TARGET_SATISFACTION_PERCENT": 90,
    # Lists count exactly up to this many rows; larger scopes show a count up to this old.
    "LIST_COUNT_EXACT_UP_TO": int(os.environ.get("PORTAL_LIST_COUNT_EXACT_UP_TO", 10_000)),
    "LIST_COUNT_CACHE_SECONDS": 300,
    # A list's counts (its work-order segments, a search's matches), kept until a write or this long.
    "LIST_COUNTS_KEPT_SECONDS": 10,
    # A search counts its matches up to this many (more: "over 1,000", refine the words).
    "SEARCH_COUNT_UP_TO": 1_000,
    # Service figures are kept this long per organisation and period (0: computed every time).
    "FIGURES_CACHE_SECONDS": int(os.environ.get("PORTAL_FIGURES_CACHE_SECONDS", 60)),
    # What one organisation's users may upload in all (attachments they added, summed).
    "ORG_UPLOAD_QUOTA_BYTES": int(os.environ.get("PORTAL_ORG_UPLOAD_QUOTA_BYTES", 2 * 1024**3)),
    # The email outbox (apps.notifications.services): a pending email the hand-over to Celery
    # lost is sent by the scan after this grace; a claimed email whose sender died is claimed
    # again after this lease, which must outlast the slowest send (see EMAIL_TIMEOUT).
    "OUTBOX_HANDOVER_GRACE_SECONDS": 30,
    "EMAIL_CLAIM_LEASE_SECONDS": 600,
}

# --- Audit log (django-auditlog) ----------------------------------------------------------------
# Foreign keys are recorded by their name at the time ("Pingshan District"), not a bare id.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True

# --- Backups ------------------------------------------------------------------------------------
BACKUP_ROOT = Path(os.environ.get("PORTAL_BACKUP_DIR", VAR_DIR / "backups"))


# --- REST framework ---------------------------------------------------------------------------
def _rate(variable: str, default: str) -> str | None:
    value = os.environ.get(variable, default).strip()
    return None if value.lower() in ("", "none", "off") else value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.RequestPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Throttled: 429 with Retry-After. Counted in the default cache (see CACHES below). A rate of
    # "none" switches a scope off (the benchmark does, to measure the portal, not the throttle).
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttles.AnonRateThrottle",
        "apps.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": _rate("PORTAL_THROTTLE_USER", "1000/min"),
        "anon": _rate("PORTAL_THROTTLE_ANON", "60/min"),
        # POST /api/v1/auth/token/, per address, on top of the sign-in lock-out.
        "token": _rate("PORTAL_THROTTLE_TOKEN", "20/min"),
    },
    # No NUM_PROXIES: the throttles take the client's address from portal/client_ip.py.
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison portal API",
    "DESCRIPTION": (
        "Requests from biopharma and medical-device enterprises moving through the park, district, "
        "municipal and provincial tiers, each answering by the next working day."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: government networks are often closed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public validator from the docs page (closed networks; CSP img-src 'self').
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Requests and rectifications both have a `state`: each enum by its own name.
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "apps.casework.models.State",
        "CategoryEnum": "apps.casework.models.Category",
        "SuggestionKindEnum": "apps.assist.models.FeedbackKind",
        "RectificationStateEnum": "apps.satisfaction.models.RectificationState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.api.schema.document_error_responses",
        "apps.api.schema.document_empty_filters",
    ],
}

# --- Celery -----------------------------------------------------------------------------------
# The embedded broker is a SQLite file through kombu's SQLAlchemy transport: nothing to install.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The web process publishes in the request (after the commit): a broker that is down must cost
# it a second or two, never hang it. A refused connection fails at once; a broker that accepts
# connections but does not answer (a stuck proxy, a half-open connection after a failover) is
# cut off by these socket timeouts, where kombu and redis-py wait forever by default.
BROKER_SOCKET_TIMEOUT = float(os.environ.get("CELERY_BROKER_SOCKET_TIMEOUT", "1"))
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT  # AMQP brokers


def broker_transport_options(url: str) -> dict[str, Any]:
    """Transport options for the broker at `url`: few, fast retries to connect, and the socket
    timeouts each transport understands (SQLAlchemy passes unknown options to create_engine,
    which refuses them, so they differ per scheme)."""
    options: dict[str, Any] = {"max_retries": 1, "interval_start": 0, "interval_max": 1}
    if url.startswith(("redis://", "rediss://", "sentinel://")):
        options.update(
            socket_connect_timeout=BROKER_SOCKET_TIMEOUT,
            socket_timeout=BROKER_SOCKET_TIMEOUT,
        )
    elif url.startswith("sqla+sqlite:"):
        # SQLite's busy timeout: how long a publish waits for the broker file's write lock.
        options["connect_args"] = {"timeout": BROKER_SOCKET_TIMEOUT}
    return options


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Cache ------------------------------------------------------------------------------------
# The API throttles count requests here, so every web process must see the same cache: Django's
# default (a local-memory cache per process) would let each gunicorn worker count on its own.
# Redis when there is one (REDIS_URL, or a redis:// CELERY_BROKER_URL); otherwise files under
# var/, which the workers of `make run` on one machine share, with nothing to install.
# Production without Redis uses the database instead (portal/settings/production.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if not REDIS_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    REDIS_URL = CELERY_BROKER_URL
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# What a web process keeps of the lists it answered (counts, shares), each process its own: the
# entries are many, small and short-lived (the version they are kept under is in "default").
LISTS_CACHE: dict[str, Any] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "request-lists",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
CACHES["lists"] = LISTS_CACHE

# --- Content Security Policy (django-csp) ----------------------------------------------------
# Everything comes from our own origin: no inline script, style or event handler anywhere in
# templates/ (tests/test_security_headers.py reads them all), htmx from static/, the API docs'
# init script served as a file by SpectacularSwaggerSplitView. data: images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@liaison.example.cn")
# Django waits forever on a silent SMTP server by default; a stuck send would hold a worker and
# outlive its claim on the email (then sent twice). Each SMTP step gives up after this.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# Where people reach the portal: the links in emails are built on it (no trailing slash).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Serve static files straight from the app folders (no collectstatic needed) with DEBUG on or off:
# `make run` and `manage.py runserver` serve the stylesheet and the favicon either way.
# Production (portal/settings/production.py) serves the collected, hashed files.
WHITENOISE_USE_FINDERS = True
