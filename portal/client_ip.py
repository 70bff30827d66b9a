"""The client's address: the one function the sign-in lock-out, the API throttles, the audit log
and the sign-in records all use.

X-Forwarded-For is whatever the sender wrote, so it is read only when the request came from one
of the proxies in `TRUSTED_PROXIES` (addresses or networks; none by default). Then the header is
walked from the right, skipping the trusted proxies, and the first address that is not one of
them is the client: each proxy appends the address of whoever connected to it, so everything
further left was written by the client and is ignored (nginx's `real_ip_recursive`, Rails'
`remote_ip`). A value that is not an address is never returned."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind trusted proxies the nearest address in X-Forwarded-For that is not
    one of them; None when there is no valid address at all."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not _trusted(remote, networks):
        return str(remote)
    nearest = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for part in reversed(forwarded.split(",")):
        if not part.strip():
            continue
        hop = _address(part)
        if hop is None:
            # A trusted proxy passed on something that is no address: stop at the last hop
            # that is known, rather than believe anything further left.
            break
        nearest = hop
        if not _trusted(hop, networks):
            break
    return str(nearest)


def from_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the request came straight from one of `TRUSTED_PROXIES` (so that the headers it
    adds, X-Forwarded-*, can be believed)."""
    remote = _address(request.META.get("REMOTE_ADDR"))
    return remote is not None and _trusted(remote, _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()))))


def _address(value: str | None) -> Address | None:
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.0.0.2 from a dual-stack socket is 10.0.0.2
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)
