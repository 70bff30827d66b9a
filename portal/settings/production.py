"""Production: PostgreSQL, Redis, gunicorn behind a TLS-terminating proxy."""

import os

from portal.secret_key import require_production_secret_key

from .base import *  # noqa: F403
from .base import LISTS_CACHE, REDIS_URL

# Never Django's debug pages (with the settings in them), whatever DJANGO_DEBUG says.
DEBUG = False
# The collected, hashed files only (collectstatic), not the source folders.
WHITENOISE_USE_FINDERS = False
# Refuses to start (ImproperlyConfigured) without a real secret: missing, empty, short or a
# well-known placeholder.
SECRET_KEY = require_production_secret_key(os.environ.get("DJANGO_SECRET_KEY"))
# 等保 level 3: staff sign in with a second factor (PORTAL_REQUIRE_2FA=0 turns it off).
PORTAL_REQUIRE_2FA = os.environ.get("PORTAL_REQUIRE_2FA", "1").strip().lower() in ("1", "true", "yes", "on")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The TLS proxy in front appends the client's address to X-Forwarded-For; it is believed only
# from the addresses in DJANGO_TRUSTED_PROXIES (base.py; none unless set, as docker-compose.yml
# sets it to its nginx).
if not REDIS_URL:
    # Several web containers may share no disk: without Redis the throttles count in the
    # database (`manage.py createcachetable`, run by the compose `migrate` service).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        },
        "lists": LISTS_CACHE,
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
