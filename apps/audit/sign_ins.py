"""Sign-ins, sign-outs and failed sign-ins (a wrong password or a wrong second-factor code), as
records of the audit trail.

A failed attempt for a name that matches nobody is recorded against no user, with the name
given (cut short) so that guessing shows up. Passwords never reach the trail: Django's
`user_login_failed` already replaces them in the credentials it sends. A superuser's sign-in is
also told to the security administrators (the account is for emergencies only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from . import trail
from .models import Result

SIGNED_IN = "sign_in"
SIGNED_OUT = "sign_out"
SIGN_IN_FAILED = "sign_in_failed"
TOKEN_ISSUED = "token_issued"  # noqa: S105 - an event name, not a secret


def record(
    event: str,
    *,
    user: Any = None,
    username: str = "",
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    User = get_user_model()
    known = user if isinstance(user, User) and user.pk is not None else None
    failed = event == SIGN_IN_FAILED
    trail.record(
        event,
        # A failure is not the person's doing until proven: named, not made the actor.
        actor=None if failed else known,
        actor_name=(known.get_username() if known else username) if failed else "",
        request=request,
        obj=known,
        result=Result.REFUSED if failed else Result.DONE,
        detail=detail,
    )
    if known is not None and known.is_superuser and event in (SIGNED_IN, TOKEN_ISSUED):
        from apps.security.duties import tell_security_administrators

        tell_security_administrators(known, event=event, request=request)


def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    otp = getattr(user, "otp_device", None)
    record(SIGNED_IN, user=user, request=request, detail={"second_factor": otp is not None})


def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and user.is_authenticated:
        record(SIGNED_OUT, user=user, request=request)


def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    User = get_user_model()
    username = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    factor = "otp" if credentials.get("factor") == "otp" else "password"
    record(SIGN_IN_FAILED, user=user, username=username, request=request, detail={"factor": factor})


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="audit_signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="audit_signed_out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="audit_sign_in_failed")
