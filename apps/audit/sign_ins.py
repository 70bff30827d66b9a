"""Sign-ins, sign-outs and failed sign-ins, as entries of the same audit log.

Each is an "access" entry on the user concerned, with `additional_data["event"]` saying which.
A failed attempt for a name that matches nobody is recorded against no user, with the name
given (cut short) so that guessing shows up. Passwords never reach the log: Django's
`user_login_failed` already replaces them in the credentials it sends.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest

from portal.client_ip import client_ip

SIGNED_IN = "login"
SIGNED_OUT = "logout"
SIGN_IN_FAILED = "login_failed"
TOKEN_ISSUED = "token_issued"  # noqa: S105 - an event name, not a secret


def _remote_addr(request: HttpRequest | None) -> str | None:
    """The client's address as the lock-out sees it (X-Forwarded-For only from a trusted proxy;
    never a value that is not an address, which PostgreSQL would refuse)."""
    return client_ip(request) if request is not None else None


def record(event: str, *, user: Any = None, username: str = "", request: HttpRequest | None = None) -> None:
    User = get_user_model()
    known = user if isinstance(user, User) and user.pk is not None else None
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_pk=str(known.pk) if known else "",
        object_id=known.pk if known else None,
        object_repr=(str(known) if known else username)[:150],
        action=LogEntry.Action.ACCESS,
        actor=known if event != SIGN_IN_FAILED else None,
        additional_data={"event": event},
        remote_addr=_remote_addr(request),
    )


def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(SIGNED_IN, user=user, request=request)


def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        record(SIGNED_OUT, user=user, request=request)


def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    User = get_user_model()
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    record(SIGN_IN_FAILED, user=user, username=username, request=request)


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="audit_signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="audit_signed_out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="audit_sign_in_failed")
