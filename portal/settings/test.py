"""Fast, deterministic settings for the test suite (SQLite by default, PostgreSQL with
DATABASE_URL)."""

import os

from .base import *  # noqa: F403
from .base import (
    AUTHENTICATION_BACKENDS,
    DATABASES,
    LISTS_CACHE,
    MIDDLEWARE,
    PORTAL,
    REST_FRAMEWORK,
    VAR_DIR,
    broker_transport_options,
)

# The tests' own key, for the tests only (production refuses any key found in the source).
SECRET_KEY = "test-only-not-a-secret-" + "portal-settings-test-key-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "lists": LISTS_CACHE}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
PRIVATE_UPLOAD_ROOT = VAR_DIR / "test-uploads"

# The race tests use real threads, which need a real file: an in-memory SQLite database in
# shared-cache mode answers concurrent writers with "table is locked" instead of waiting.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test process, so that several runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-portal-{os.getpid()}.sqlite3")}
WHITENOISE_USE_FINDERS = True
# Find static files per request instead of scanning all of them (~7,000 with the API docs'
# assets) for every test client: the scan cost 140 ms a client.
WHITENOISE_AUTOREFRESH = True

# The throttles run, counting in the locmem cache above, at rates no test reaches by accident;
# tests/test_throttling.py lowers them to see a 429.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min", "token": "100000/min"},
}
# django-axes stays on (its attempts live in the test database, rolled back after each test, so
# tests never lock each other out). Only Django's test Client.login(), which authenticates
# without a request, is let through: django-axes would refuse it.
AUTHENTICATION_BACKENDS = [
    "tests.auth_backends.LockoutBackendAllowingClientLogin",
    *AUTHENTICATION_BACKENDS[1:],
]
# Notes the URL pattern of every request a test makes, for `pytest --route-coverage`
# (tests/route_coverage.py). First, so that it sees every request that reaches a view.
MIDDLEWARE = ["tests.route_coverage.RouteRecorderMiddleware", *MIDDLEWARE]

# Figures computed afresh for every call, so that a test sees the effect of what it just did
# (tests/test_stats.py checks the cache itself).
PORTAL = {**PORTAL, "FIGURES_CACHE_SECONDS": 0}
