"""Who the client is, and how it reached us: the one place that reads forwarding headers.

``X-Forwarded-For`` / ``X-Real-IP`` / ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` are believed
only when the peer is a trusted proxy (``APP_TRUSTED_PROXIES``, e.g. nginx). From anyone else
they are ignored: a client must not choose the address its login attempts are counted against.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from aiohttp import web

from gateway.keys import CLIENT, TRUSTED_PROXIES

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Client:
    address: str  # the client's IP address as text (normalized), or "unknown"
    scheme: str  # http or https, as the client used it
    host: str  # the Host the client asked for


def _parse(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: Address | None, proxies: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in proxies)


def _forwarded_address(request: web.Request, proxies: tuple[Network, ...]) -> Address | None:
    """The right-most address of X-Forwarded-For that is not a trusted proxy (each proxy appends
    its peer, so everything to the left of it was written by the client); else X-Real-IP."""
    hops = [h for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if h]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return None  # a chain with garbage in it tells us nothing we can trust
        if not _trusted(address, proxies):
            return address
    real = request.headers.get("X-Real-IP")
    return _parse(real) if real else None


def _first(value: str | None) -> str:
    return (value or "").split(",")[0].strip()


def _decide(request: web.Request) -> Client:
    proxies = request.app[TRUSTED_PROXIES]
    peer = _parse(request.remote or "")
    scheme, host = request.scheme, request.host
    if not _trusted(peer, proxies):
        return Client(str(peer) if peer else UNKNOWN, scheme, host)
    forwarded = _forwarded_address(request, proxies)
    proto = _first(request.headers.get("X-Forwarded-Proto")).lower()
    return Client(
        address=str(forwarded or peer),
        scheme=proto if proto in ("http", "https") else scheme,
        host=_first(request.headers.get("X-Forwarded-Host")) or host,
    )


def client(request: web.Request) -> Client:
    """Decided once per request."""
    found = request.get(CLIENT)
    if found is None:
        found = _decide(request)
        request[CLIENT] = found
    return found
