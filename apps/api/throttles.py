"""DRF's throttles, reading their rates when a request comes rather than once at import, so that
a rate changed in settings (an environment variable at start, override_settings in a test)
applies. Scopes and rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]; a None rate is no limit."""

from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings

from portal.client_ip import client_ip


class _LiveRates(throttling.SimpleRateThrottle):
    def get_rate(self) -> str | None:
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return super().get_rate()

    def get_ident(self, request: Any) -> str:
        """The caller's address as portal/client_ip.py sees it (X-Forwarded-For only from a
        trusted proxy), not DRF's own reading of the header."""
        return client_ip(request) or "unknown"


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    """Anonymous callers, per address (scope "anon")."""


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    """Signed-in callers, per user (scope "user")."""


class ScopedRateThrottle(_LiveRates, throttling.ScopedRateThrottle):
    """The view's `throttle_scope`, per user or address (e.g. "token")."""
