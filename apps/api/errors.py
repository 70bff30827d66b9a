"""One mapping from domain errors to HTTP answers for the whole API."""

from __future__ import annotations

from typing import Any

from django.db import DataError, IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.casework.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
    return drf_exception_handler(exc, context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for an address no view answers: JSON under the API, as every other API
    error is, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
