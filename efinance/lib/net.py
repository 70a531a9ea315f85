"""The client's address, the one place that reads it: the login protection (django-axes), the audit
log, the API's last-used record and its limits all ask `client_ip`."""

import ipaddress

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
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
