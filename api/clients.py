"""The client's address, as the connection gives it or as a trusted proxy relays it; used by
the token check (api/deps.py) and by the guards in front of the routes (api/security.py)."""

from __future__ import annotations

import ipaddress

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(given: list[str]) -> tuple[Network, ...]:
    """OBS_TRUSTED_PROXIES as networks (an address is a network of one)."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in given if item.strip())


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The client's address: the connection's; when that is a trusted proxy, the last address
    of X-Forwarded-For that is not one (what the nearest untrusted hop said it was)."""
    peer = scope["client"][0] if scope.get("client") else "?"
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
    ]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer
