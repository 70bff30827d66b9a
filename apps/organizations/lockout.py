"""The sign-in lock-out (django-axes) and what a sign-in it refuses answers
(`AXES_LOCKOUT_CALLABLE`).

django-axes counts failed passwords per username and address (settings: AXES_*), and
`PortalAxesHandler` adds a cap per username whatever the addresses. Once locked, the login form
shows a page in the portal's layout and the API a JSON error, both 429 with Retry-After: the
seconds until the cool-off ends."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class PortalAxesHandler(AxesDatabaseHandler):
    """django-axes' database handler (AXES_HANDLER) with a second limit: after
    `PORTAL_LOGIN_USERNAME_FAILURE_LIMIT` failures for one username within the cool-off, from
    any addresses, the username is locked out wherever the next try comes from.

    axes has one failure limit for all its lockout parameters, and the per-address limit (5) is
    far below what a username may take from all addresses together, so the cap is counted here:
    once it is reached, the failures reported for the request are at least the axes limit, and
    every path that asks axes (the pre-check before the password is tried, the count after a
    failure; the form, the admin and the token endpoint) sees a lock-out. Tries during it are
    not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so it ends as the failures
    that reached the cap leave the cool-off window."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if self.username_failures(request, credentials) >= username_failure_limit():
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def username_attempts(
        self, request: Any, credentials: dict[str, Any] | None = None
    ) -> QuerySet[AccessAttempt]:
        """The failures recorded for the request's username from any address, within the
        cool-off (none for a request without a username)."""
        username = get_client_username(request, credentials)
        if not username:
            return AccessAttempt.objects.none()
        attempts = AccessAttempt.objects.filter(username=username)
        if get_cool_off(request) is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts

    def username_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        counted = self.username_attempts(request, credentials).aggregate(total=Sum("failures_since_start"))
        return int(counted["total"] or 0)

    def username_lockout_ends(
        self, request: Any, credentials: dict[str, Any] | None = None
    ) -> datetime | None:
        """When the count for the username falls below the cap again (None: it is below it)."""
        cool_off = get_cool_off(request)
        limit = username_failure_limit()
        rows = list(
            self.username_attempts(request, credentials)
            .order_by("attempt_time")
            .values_list("attempt_time", "failures_since_start")
        )
        remaining = sum(failures for _time, failures in rows)
        if cool_off is None or remaining < limit:
            return None
        for attempt_time, failures in rows:
            remaining -= failures
            if remaining < limit:
                return attempt_time + cool_off
        return None  # pragma: no cover - the loop ends below the limit


def username_failure_limit() -> int:
    return int(getattr(settings, "PORTAL_LOGIN_USERNAME_FAILURE_LIMIT", 20))


def seconds_left(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int | None:
    """Seconds until the lock-out of this username and address ends (None: until an admin lifts
    it). The cool-off runs from the last failure of the pair that counted; a username locked by
    its cap from all addresses stays locked until enough of those failures are older than it.
    Whichever ends later."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    handler = AxesProxyHandler.get_implementation()
    ends: list[datetime] = []
    pair_locked = True
    if isinstance(handler, PortalAxesHandler):
        username_ends = handler.username_lockout_ends(request, credentials)
        if username_ends is not None:
            ends.append(username_ends)
        pair_failures = AxesDatabaseHandler.get_failures(handler, request, credentials)
        pair_locked = pair_failures >= get_failure_limit(request, credentials)
    if pair_locked and hasattr(handler, "get_user_attempts"):
        for attempts in handler.get_user_attempts(request, credentials):
            last = attempts.aggregate(last=Max("attempt_time"))["last"]
            if last is not None:
                ends.append(last + cool_off)
    if not ends:
        return math.ceil(cool_off.total_seconds())
    return max(1, math.ceil((max(ends) - timezone.now()).total_seconds()))


def forget_failures(request: HttpRequest, username: str) -> None:
    """A correct password clears the failures counted for this username and address, as a
    sign-in through `login()` does (AXES_RESET_ON_SUCCESS); for the token endpoint, which signs
    nobody in to a session."""
    if not settings.AXES_RESET_ON_SUCCESS:
        return
    handler = AxesProxyHandler.get_implementation()
    if hasattr(handler, "reset_user_attempts"):
        handler.reset_user_attempts(request, {"username": username})


def lockout_message(seconds: int | None) -> str:
    if seconds is None:
        return _(
            "Too many failed sign-in attempts. Signing in as this user from your network is blocked "
            "until an administrator lifts the block."
        )
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts. For your security, signing in as this user from your "
        "network is blocked for %(minutes)d more minute; an administrator can lift the block sooner.",
        "Too many failed sign-in attempts. For your security, signing in as this user from your "
        "network is blocked for %(minutes)d more minutes; an administrator can lift the block sooner.",
        minutes,
    ) % {"minutes": minutes}


def _is_api(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "api" in match.namespaces
    return request.path_info.startswith("/api/")


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    if _is_api(request) and original_response is not None and original_response.status_code == 429:
        # The token endpoint already answered the lock-out in the API's own error format.
        return original_response
    seconds = seconds_left(request, credentials)
    message = lockout_message(seconds)
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        response = render(
            request, "registration/locked_out.html", {"message": message, "seconds": seconds}, status=429
        )
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response
