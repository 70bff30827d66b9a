"""A user's own credentials: the API token and the sessions signed in with the password.

Every way in is ended here, whoever asks (the API, the account page, a password change)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from rest_framework.authtoken.models import Token

from .models import User


def issue_api_token(user: User) -> Token:
    """The user's API token: the existing one, or a new one after a revocation."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


def api_token(user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


def revoke_api_token(user: User) -> bool:
    """Revoke the user's API token; True if there was one. Requests carrying it answer 401."""
    deleted, _details = Token.objects.filter(user=user).delete()
    return deleted > 0


def log_out_everywhere(user: User) -> None:
    """End every browser session of the user, on every device (this one included), and revoke
    the API token. The password stays; signing in again works as before."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        revoke_api_token(user)
    user.refresh_from_db(fields=["session_epoch"])
