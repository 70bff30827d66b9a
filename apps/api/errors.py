"""One mapping from domain errors to HTTP answers for the whole API."""

from __future__ import annotations

from typing import Any

from django.db import DataError, IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.casework.errors import DomainError
from portal import unavailable


class LockedOut(exceptions.APIException):
    """Sign-in refused by the lock-out after repeated failed passwords (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed sign-in attempts. Try again later.")
    default_code = "locked_out"

    def __init__(self, detail: str, wait: int | None) -> None:
        super().__init__(detail)
        self.wait = wait  # seconds; DRF's handler sends it as Retry-After


class SignInRefused(exceptions.APIException):
    """The password was right, but a sign-in step is missing: the second factor's code
    (`otp_required`, 401), a wrong code (`otp_invalid`, 401), the second factor not set up yet
    by someone whose role needs it (`otp_enrolment_required`, 403) or a password that must be
    changed first (`password_change_required`, 403)."""

    def __init__(self, detail: str, code: str, status_code: int) -> None:
        super().__init__(detail, code)
        self.status_code = status_code
        self.default_code = code


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SignInRefused):
        return Response({"detail": str(exc.detail), "code": exc.default_code}, status=exc.status_code)
    if isinstance(exc, (exceptions.Throttled, LockedOut)):
        # 429 with Retry-After (DRF's handler sets it from `wait`), and a code telling the two apart.
        response = drf_exception_handler(exc, context)
        if response is not None:
            response.data = {"detail": str(exc.detail), "code": exc.default_code}
        return response
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        body.update(exc.fields)
        return Response(body, status=exc.status_code)
    if isinstance(exc, (DataError, IntegrityError)):
        # Input the database refuses (an out-of-range number, a duplicate) is the client's
        # to fix; nothing was written because the transaction rolled back.
        return Response(
            {"detail": "The data was refused by the database: check the values sent.", "code": "invalid"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if unavailable.is_unavailable(exc):
        # Locked, read-only, out of space, timed out: nothing was saved (the action's
        # transaction rolled back) and trying again later may work. See portal.unavailable.
        request = context.get("request")
        if request is not None:
            unavailable.log(request, exc)
        response = Response(
            {"detail": unavailable.message(), "code": "unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
        return response
    return drf_exception_handler(exc, context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for an address no view answers: JSON under the API, as every other API
    error is, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
