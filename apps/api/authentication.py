from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing keys that cannot be tokens before any query (a NUL
    byte in a header would otherwise reach PostgreSQL and fail there), and the token of someone
    whose role needs a second factor they have not set up (a token from before
    PORTAL_REQUIRE_2FA came on: it was had with the password alone)."""

    def authenticate_credentials(self, key: str) -> Any:
        if not (len(key) == 40 and key.isascii() and key.isalnum()):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        # DRF's own lookup, with the organisation (and its parent, a department's authority)
        # that every view's visibility asks for next: one query instead of three.
        try:
            token = Token.objects.select_related("user__organization__parent").get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        from apps.security import two_factor

        if two_factor.required(user) and not two_factor.is_enrolled(user):
            raise exceptions.AuthenticationFailed(
                _(
                    "Your role signs in with a second factor: set it up in your account page, then get a new token."
                )
            )
        return user, token
