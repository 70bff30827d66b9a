"""What a sign-in refused by the lock-out answers (django-axes' `AXES_LOCKOUT_CALLABLE`).

django-axes counts failed passwords per username and address (settings: AXES_*). Once locked,
the login form shows a page in the portal's layout and the API a JSON error, both 429 with
Retry-After: the seconds until the cool-off ends."""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def seconds_left(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int | None:
    """Seconds until the lock-out of this username and address ends (None: until an admin lifts
    it). The cool-off runs from the last failure that counted."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    handler = AxesProxyHandler.get_implementation()
    latest = None
    if hasattr(handler, "get_user_attempts"):
        for attempts in handler.get_user_attempts(request, credentials):
            last = attempts.aggregate(last=Max("attempt_time"))["last"]
            if last is not None and (latest is None or last > latest):
                latest = last
    if latest is None:
        return math.ceil(cool_off.total_seconds())
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


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
