import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class LoginProtectionBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    Logins through a form (ours, the Django admin's) always pass the request. Code that calls
    `authenticate()` without one (a management command, `Client.login()` in tests) is not a web
    login and has no client to lock out; axes would raise there, this backend lets the next one decide.
    """

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, or with `TRUSTED_PROXY_COUNT` proxies in front of the
    app, the address that the outermost trusted proxy saw (counted from the right of X-Forwarded-For;
    anything further left was written by the client and is not trusted)."""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidates.insert(0, forwarded[-proxies])
    for candidate in candidates:  # a garbled header must not reach the database's IP column
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username that axes counts and stores, fit for its column: Django's login form does not
    enforce its 150 characters on the server, and PostgreSQL refuses a longer value (or a NUL) with
    an error instead of a login page. No real username is longer, so nothing is lost."""
    username = credentials.get("username") if credentials else getattr(request, "data", request.POST).get("username")
    if not isinstance(username, str):
        return username
    return username.replace("\x00", "")[:255]
