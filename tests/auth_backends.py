"""Authentication backends for the test settings only."""

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackendAllowingClientLogin(AxesStandaloneBackend):
    """django-axes refuses to authenticate without a request, and Django's test `Client.login()`
    has none. Requests (the login form, the admin, the token endpoint) are checked as in
    production; the lock-out itself is tested through them in tests/test_lockout.py."""

    def authenticate(  # type: ignore[override]
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
