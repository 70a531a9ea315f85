"""The client's address, the one place that reads it: the login protection (django-axes), the audit
log, the API's last-used record and its limits all ask `client_ip`.

Every limit counts a client by `limit_address`: an IPv6 client by its /64, since one subscriber or
one server is given a whole /64 (2^64 addresses to try from); an IPv4 address as it is. The audit log
and the last-used record keep the exact address."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR; with `TRUSTED_PROXY_COUNT` proxies in front of the app, the address that the
    outermost trusted proxy saw (counted from the right of X-Forwarded-For; anything further left was
    written by the client and is not trusted). None without a request or without a valid address, so
    that a garbled header never reaches an IP column."""
    if request is None:
        return None
    candidates = [request.META.get("REMOTE_ADDR", "")]
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidates.insert(0, forwarded[-proxies])
    for candidate in candidates:
        address = _canonical(candidate)
        if address is not None:
            return address
    return None


# The prefix an IPv6 client is counted by in every limit: a /64 is what one subscriber or server gets.
IPV6_LIMIT_PREFIX = 64


def limit_address(ip: str | None) -> str:
    """The address a limit counts `ip` as: an IPv4 address as it is (also one written as IPv4-mapped
    IPv6, ``::ffff:192.0.2.1``), an IPv6 address as the first address of its /64; "" when unknown."""
    if not ip:
        return ""
    address = ipaddress.ip_address(ip)
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_LIMIT_PREFIX}", strict=False).network_address)
    return str(address)


def client_limit_address(request: HttpRequest | None) -> str | None:
    """`client_ip` as the limits count it (`limit_address`); None when unknown. django-axes' client
    address (`AXES_CLIENT_IP_CALLABLE`), so that the login's lockout counts an IPv6 client by its /64."""
    return limit_address(client_ip(request)) or None


@lru_cache(maxsize=4096)
def _canonical(candidate: str) -> str | None:
    """An address in its canonical text, None if it is none. Cached: the API asks it on every request
    (the network of a key's use), where parsing cost 5 of a request's microseconds; clients are few."""
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
