"""Where webhooks may point (SSRF): http(s) URLs whose host is a public address. Loopback,
private, link-local, carrier-grade NAT, multicast, reserved and unspecified addresses are refused
unless ``APP_WEBHOOK_ALLOW_PRIVATE`` says otherwise (a receiver on the same host or network).

The gateway checks a URL when it is saved; the sender checks every address it connects to, so a
name that resolves somewhere else later (DNS rebinding) is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL = 2000

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """The URL is not one webhooks may call; the message says why."""


def is_public(address: str) -> bool:
    ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse(url: str) -> tuple[str, int]:
    """(host, port) of an acceptable http(s) URL, or UrlRefused."""
    if len(url) > MAX_URL:
        raise UrlRefused(f"longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("must start with http:// or https://")
    if not parts.hostname:
        raise UrlRefused("has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("must not carry a user name or password")
    if parts.fragment:
        raise UrlRefused("must not have a #fragment")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


async def resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"host {host!r} does not resolve ({exc})") from None
    return sorted({str(info[4][0]) for info in infos})


async def check(url: str, *, allow_private: bool) -> None:
    """Refuse a URL webhooks may not call (syntax always; addresses unless private ones are
    allowed)."""
    host, port = parse(url)
    if allow_private:
        return
    ip = literal_ip(host)
    addresses = [ip] if ip is not None else await resolve(host, port)
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise UrlRefused(
            f"host {host!r} is not a public address ({', '.join(refused)}); targets on"
            " loopback or private networks need APP_WEBHOOK_ALLOW_PRIVATE=true"
        )
