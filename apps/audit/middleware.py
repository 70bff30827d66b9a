"""Who made a change: the signed-in user of the request, however they signed in."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.client_ip import client_ip, from_trusted_proxy


class AuditActorMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the client's address from portal/client_ip.py and the
    actor looked up when a log entry is written rather than when the request arrives.

    The stock middleware takes the left-most X-Forwarded-For, whoever sent it: any client could
    write the address it liked into the log, and one that is no address ("not-an-ip") made the
    change fail on PostgreSQL (GenericIPAddressField). The address here is the one the lock-out
    and the throttles use; X-Forwarded-Port likewise counts only from a trusted proxy.

    The REST API authenticates tokens inside the view (DRF), after every middleware has run;
    DRF then sets the authenticated user on the underlying Django request. Reading
    `request.user` at write time therefore names the token's owner too, where the stock
    middleware would record no actor. It also spares unauthenticated requests (health checks,
    static files) a session lookup."""

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if getattr(settings, "AUDITLOG_DISABLE_REMOTE_ADDR", False):
            return None
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request: HttpRequest) -> int | None:
        if getattr(settings, "AUDITLOG_DISABLE_REMOTE_ADDR", False) or not from_trusted_proxy(request):
            return None
        value = request.headers.get("X-Forwarded-Port", "").strip()
        if not value.isascii() or not value.isdigit():
            return None
        port = int(value)
        return port if 0 < port <= 65535 else None

    @staticmethod
    def _get_actor(request: HttpRequest) -> Any:
        def current_user() -> Any:
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        return SimpleLazyObject(current_user)
