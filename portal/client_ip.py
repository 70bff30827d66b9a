"""The client's address, as the API throttles and the sign-in lock-out see it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or with `TRUSTED_PROXY_COUNT` proxies in front the address the outermost of
    them appended to X-Forwarded-For (the same one DRF's `NUM_PROXIES` picks). Whatever the
    client wrote further left is never trusted; an address that does not parse is ignored."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            candidate = forwarded[-min(count, len(forwarded))]
            if _is_address(candidate):
                return candidate
    return remote if remote and _is_address(remote) else None


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
