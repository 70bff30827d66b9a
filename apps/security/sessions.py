"""Session limits (等保 8.1.4.1 d): a session ends after PORTAL_SESSION_IDLE_MINUTES without a
request (30) and PORTAL_SESSION_MAX_HOURS after its sign-in (12), whatever happens in between;
the account page lists a person's sessions and ends any of them.

The two moments live in the session itself; the list is `SignedInSession`. Both are refreshed
at most once a minute, so that a busy page does not write a row for every request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from apps.organizations.models import User
from portal.client_ip import client_ip

from .models import SignedInSession

SIGNED_IN_AT = "_portal_signed_in_at"
SEEN_AT = "_portal_seen_at"
RECORD = "_portal_session"
TOUCH_EVERY = 60  # seconds

IDLE, LIFETIME = "idle", "lifetime"


def idle_limit() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "PORTAL_SESSION_IDLE_MINUTES", 30)))


def lifetime_limit() -> timedelta:
    return timedelta(hours=float(getattr(settings, "PORTAL_SESSION_MAX_HOURS", 12)))


def _now() -> float:
    return timezone.now().timestamp()


def expired(session: SessionBase) -> str | None:
    """Why this signed-in session is over ("idle" or "lifetime"), or None while it lasts."""
    now = _now()
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT, signed_in_at)
    if signed_in_at is None:
        return None
    if now - float(signed_in_at) > lifetime_limit().total_seconds():
        return LIFETIME
    if now - float(seen_at) > idle_limit().total_seconds():
        return IDLE
    return None


def touch(request: HttpRequest) -> None:
    """Note that the session is in use (at most once a minute); a session from before these
    limits starts counting now."""
    session = request.session
    now = _now()
    if session.get(SIGNED_IN_AT) is None:
        session[SIGNED_IN_AT] = now
    if now - float(session.get(SEEN_AT, 0)) < TOUCH_EVERY:
        return
    session[SEEN_AT] = now
    record_id = session.get(RECORD)
    if record_id is None:
        return
    # The key may have changed since the sign-in (a password change cycles it).
    if session.session_key is None:
        session.save()
    SignedInSession.objects.filter(pk=record_id, ended_at=None).update(
        last_seen_at=timezone.now(), session_key=session.session_key
    )


def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    session = request.session
    now = timezone.now()
    session[SIGNED_IN_AT] = session[SEEN_AT] = now.timestamp()
    if session.session_key is None:
        session.save()
    row, _created = SignedInSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "address": client_ip(request),
            "second_factor": getattr(user, "otp_device", None) is not None,
            "signed_in_at": now,
            "last_seen_at": now,
            "ended_at": None,
        },
    )
    session[RECORD] = row.pk


def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record_id = request.session.get(RECORD) if request is not None and hasattr(request, "session") else None
    if record_id is not None:
        SignedInSession.objects.filter(pk=record_id, ended_at=None).update(ended_at=timezone.now())


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="security_session_signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="security_session_signed_out")


def active_sessions(user: User, current: SessionBase) -> list[SignedInSession]:
    """The person's sessions that still let them in, most recently used first: recent enough,
    and still signed in by Django's own rule (in the session store, with the person's current
    session hash: one ended by "log out everywhere", a password change or a second factor set up
    elsewhere is not). `current` is this request's session, which always is."""
    cutoff = timezone.now() - idle_limit()
    oldest = timezone.now() - lifetime_limit()
    rows = SignedInSession.objects.filter(
        user=user,
        ended_at=None,
        last_seen_at__gte=cutoff - timedelta(seconds=TOUCH_EVERY),
        signed_in_at__gte=oldest,
    ).order_by("-last_seen_at")
    this = current.get(RECORD)
    return [row for row in rows if row.pk == this or _still_signed_in(row.session_key, user)]


def _session_store(session_key: str | None = None) -> SessionBase:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)  # type: ignore[no-any-return]


def _still_signed_in(session_key: str, user: User) -> bool:
    data = _session_store(session_key).load()
    return data.get(SESSION_KEY) == str(user.pk) and constant_time_compare(
        data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def end_session(user: User, session_id: int) -> bool:
    """End one of the person's own sessions (on whatever device); False if there is no such
    session of theirs."""
    row = SignedInSession.objects.filter(pk=session_id, user=user, ended_at=None).first()
    if row is None:
        return False
    _session_store().delete(row.session_key)
    SignedInSession.objects.filter(pk=row.pk).update(ended_at=timezone.now())
    return True
