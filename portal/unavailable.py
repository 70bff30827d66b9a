"""What the user gets when the database refuses or times out a write.

Locked (SQLite's busy timeout ran out), read-only after a failover, out of space, a lock or
statement timeout, a connection lost: the database said no for a reason that is not the
user's and that may pass. The action's transaction rolled back, so nothing was half-saved; the
honest answer is 503 Service Unavailable with a `Retry-After`, and the error goes to the log.
The API answers it in `apps.api.errors`; the pages through the middleware here (errors in views)
and `server_error`, the `handler500` (errors elsewhere, such as a middleware saving the session).

Not here: `IntegrityError` and `DataError` are about the values written (400 in the API), and
`ProgrammingError` or `NotSupportedError` are bugs, a 500 for the logs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InternalError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger("portal.database")

RETRY_AFTER_SECONDS = 5


def is_unavailable(exc: BaseException) -> bool:
    return isinstance(exc, (OperationalError, InternalError))


def message() -> str:
    return _("The database is busy or unavailable, so nothing was saved. Please try again in a few seconds.")


def log(request: HttpRequest, exc: BaseException) -> None:
    logger.error("Database unavailable during %s %s: %s", request.method, request.path, exc, exc_info=exc)


def page(request: HttpRequest) -> HttpResponse:
    """A plain page that needs no database (no context processors, no session): the way back is
    the page the user came from, or the page itself for a GET."""
    back = request.get_full_path() if request.method == "GET" else request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    html = render_to_string("503.html", {"message": message(), "back": back})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: a database error raised outside a view (a middleware writing the session,
    say) reaches here rather than the middleware below; it gets the same 503 page. Anything
    else gets the plain 500 page (Django has logged the error already)."""
    exc = sys.exc_info()[1]
    if exc is not None and is_unavailable(exc):
        return page(request)
    return defaults.server_error(request)


class DatabaseUnavailableMiddleware:
    """Pages (and the admin): a refused or timed-out database write becomes a readable 503
    page instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unavailable(exception):
            return None
        log(request, exception)
        return page(request)
