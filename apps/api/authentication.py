from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing keys that cannot be tokens before any query (a NUL
    byte in a header would otherwise reach PostgreSQL and fail there)."""

    def authenticate_credentials(self, key: str) -> Any:
        if not (len(key) == 40 and key.isascii() and key.isalnum()):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(key)
