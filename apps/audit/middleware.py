"""Who made a change: the signed-in user of the request, however they signed in."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


class AuditActorMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the actor looked up when a log entry is written rather
    than when the request arrives.

    The REST API authenticates tokens inside the view (DRF), after every middleware has run;
    DRF then sets the authenticated user on the underlying Django request. Reading
    `request.user` at write time therefore names the token's owner too, where the stock
    middleware would record no actor. It also spares unauthenticated requests (health checks,
    static files) a session lookup."""

    @staticmethod
    def _get_actor(request: HttpRequest) -> Any:
        def current_user() -> Any:
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        return SimpleLazyObject(current_user)
