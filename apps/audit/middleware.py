"""Who made a change: the signed-in user of the request, however they signed in."""

from __future__ import annotations

import logging
from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal import unavailable
from portal.client_ip import client_ip, from_trusted_proxy

logger = logging.getLogger("portal.audit")


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


# Reads that are recorded as well as every change: what leaves the portal as a file.
AUDITED_READS = {
    "api:request-export": "export",
    "api:stats-export": "export",
    "api:stats-export-xlsx": "export",
    "figures-report": "export",
    "audit-export": "export",
    "api:request-attachment-download": "download",
    "request-download": "download",
    "guidance-file": "download",
}
# Recorded as what they are by apps.audit.sign_ins, not as page requests.
NOT_RECORDED = {"login", "login-code", "logout", "api:token", "set_language"}
OBJECT_KWARGS = ("pk", "object_id", "id", "attachment_id")


class AuditTrailMiddleware:
    """One audit record for every change asked of the portal (any method but GET, HEAD and
    OPTIONS), every export and download, every refusal (403) and every page the superuser
    opens: who, from where, what, on which object, and whether it was done or refused. Written after the view has answered,
    outside its transaction, so that a refusal is recorded too."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name in NOT_RECORDED:
            return response
        read = AUDITED_READS.get(match.view_name)
        changing = request.method not in ("GET", "HEAD", "OPTIONS")
        status = response.status_code
        user = getattr(request, "user", None)
        # The emergency account: every use of it, reading included.
        superuser = bool(user is not None and user.is_authenticated and user.is_superuser)
        if not (changing or read or status == 403 or superuser):
            return response
        from .models import Result
        from .trail import record

        pk = next((str(match.kwargs[k]) for k in OBJECT_KWARGS if k in match.kwargs), "")
        detail: dict[str, Any] = {"method": request.method, "path": request.path[:300], "status": status}
        if "name" in match.kwargs:
            detail["action"] = str(match.kwargs["name"])
        if superuser:
            detail["superuser"] = True
        event = read or match.view_name
        try:
            record(
                event,
                actor=user,
                request=request,
                obj=((match.url_name or match.view_name).split("-")[0], pk, "") if pk else None,
                result=Result.DONE if status < 400 else Result.REFUSED,
                detail=detail,
            )
        except Exception as exc:
            if not unavailable.is_unavailable(exc):
                raise
            # The database that just refused the change refuses its record too: the event goes
            # to the log instead, and the person gets the answer the view gave.
            logger.error("Audit record not written (database unavailable): %s %s", event, detail)
        return response
