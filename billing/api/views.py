"""What wraps the API: no login page, body limits before parsing, problems instead of HTML."""

import datetime
import logging
from functools import lru_cache, wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date, parse_header_parameters
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from apikeys.models import Verification
from billing.api.metrics import measured
from billing.api.problems import problem_response
from billing.api.usage import COUNTED_URL_NAMES, count_request, operation_of
from efinance.lib.headers import FixedHeaders

BODY_METHODS = {"POST", "PUT", "PATCH"}

log = logging.getLogger("billing.api")


def _is_json(content_type: str) -> bool:
    """`application/json`, with at most the parameter `charset=utf-8` (RFC 8259: JSON is UTF-8); no
    other media type (``application/x-evil+json``, ``text/json``), no other parameter."""
    media_type, params = parse_header_parameters(content_type)
    if media_type.strip().lower() != "application/json":
        return False
    return all(name == "charset" and value.strip().lower() == "utf-8" for name, value in params.items())


def api_view(view, max_body_setting: str = "API_MAX_BODY_BYTES", counted: bool = False):
    """Every view of the API: login-exempt (it authenticates by key, not by session), CSRF-exempt (no
    cookies), and answering problem documents for a body over the setting `max_body_setting` (413,
    before the body is read) and a body that is not JSON (415). The operations of a key are
    `counted` for its usage (`billing.api.usage`), once per request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = getattr(settings, max_body_setting)
        if length > limit:
            return problem_response(413, _("The request body is larger than %(limit)d bytes.") % {"limit": limit})
        if request.method in BODY_METHODS and length and not _is_json(request.META.get("CONTENT_TYPE", "")):
            return problem_response(
                415,
                _(
                    "Send the request body as JSON, with «Content-Type: application/json» "
                    "(optionally «; charset=utf-8»)."
                ),
            )
        response = with_key_expiry(request, view(request, *args, **kwargs))
        if counted:
            operation = operation_of(request.resolver_match.url_name, request.method)
            if operation is not None:
                _count(request, response, operation)
        return response

    return login_not_required(csrf_exempt(measured(wrapper)))


def _count(request: HttpRequest, response: HttpResponse, operation: str) -> None:
    """Count the request for its key, at best: the answer is already made (a document may be stored),
    so a database that fails now (down, or the connection broken) costs the count, never the answer.
    The answered requests still pending in this process are written at the next flush."""
    try:
        count_request(request, response, operation)
    except DatabaseError as exc:
        log.warning(
            "api.usage_not_counted path=%s status=%s error=%s", request.path, response.status_code, type(exc).__name__
        )


EXPIRES_HEADER = "Api-Key-Expires"


def with_key_expiry(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Every response to an authenticated request tells the key's end, from the verification row
    (no query): ``Api-Key-Expires`` the last valid day (ISO 8601 date), ``Sunset`` (RFC 8594) the
    moment it stops working, the end of a replacement's overlap if that comes first."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, Verification) and auth.ok:
        _key_end_headers(auth.valid_until, auth.stops_at).set(response)
    return response


@lru_cache(maxsize=1024)
def _key_end_headers(valid_until: datetime.date, stops_at: datetime.datetime) -> FixedHeaders:
    """The two headers of a key's end, made once per end (a key's end is the same on every request of
    that key): `http_date` formats through email.utils, and each header is checked once."""
    return FixedHeaders({EXPIRES_HEADER: valid_until.isoformat(), "Sunset": http_date(stops_at.timestamp())})


def wrap_api_urls(urls, max_body_setting: str = "API_MAX_BODY_BYTES"):
    """`NinjaAPI.urls` with each view wrapped by `api_view`; the key's operations counted."""
    patterns, app_name, namespace = urls
    for pattern in patterns:
        counted = pattern.name in COUNTED_URL_NAMES
        pattern.callback = api_view(pattern.callback, max_body_setting, counted=counted)
    return patterns, app_name, namespace
