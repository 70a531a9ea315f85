"""Problem documents for every error under /api/, whichever part of Django answered it; and a token in
an API URL is refused before anything reads the request."""

import logging
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import tokens
from apikeys.activity import record_auth_failure, record_key_in_url
from apikeys.models import ApiKey
from audit.models import Failure
from billing.api.auth import failures_beyond_limit, presented_key_id, too_many_failures
from billing.api.problems import CONTENT_TYPE, problem_response
from efinance.lib.logging import log_event
from efinance.lib.net import client_ip

log = logging.getLogger("billing.api")


class ApiProblemsMiddleware:
    """Under /api/, an error answer that is not a problem document yet becomes one: Django's 404 page
    for an unknown path (also with DEBUG), ninja's plain 405, a 500 page. Other paths are untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        exposed = token_in_url(request)
        if exposed is not None:
            return exposed
        return _as_problem(self.get_response(request))


def token_in_url(request: HttpRequest) -> HttpResponse | None:
    """A 400 problem if the URL (path or query string, percent-decoded) holds something shaped like a
    token, before anything else reads the request; None otherwise.

    A URL ends up in the logs of every proxy on the way, in browser histories and Referer headers: a
    key that was in one is exposed. If the token's checksum is right, its key exists and the secret
    matches, the key's «Activity» records it (`record_key_in_url`); otherwise only the problem
    answers. The logs never hold the token (`efinance.lib.logging.RedactFilter`).
    """
    places = {"path": request.path_info, "query": unquote_plus(request.META.get("QUERY_STRING", ""))}
    found = [(where, match) for where, text in places.items() for match in tokens.TOKEN_SEARCH_RE.findall(text)]
    if not found:
        return None
    ip, now = client_ip(request), timezone.now()
    for where, token in found:
        # Each token checked here counts like a failed Bearer authentication, before it is checked: the
        # same limit per client address, and beyond it no check at all.
        if failures_beyond_limit(ip, now):
            return too_many_failures(60 - now.second).response()
        verification = ApiKey.objects.verify_token(token)
        log_event(log, "api.token_in_url", logging.WARNING, where=where, key_id=verification.key_id, ip=ip)
        if verification.failure not in (Failure.MALFORMED, Failure.UNKNOWN):  # the secret matched
            record_key_in_url(verification=verification, where=where, ip=ip)
        elif (key_id := presented_key_id(token)) is not None:
            # The same statement for an unknown key ID as for a wrong secret, as on the Bearer path.
            record_auth_failure(key_id=key_id, reason=verification.failure, ip=ip, at=now)
    return problem_response(
        400,
        _(
            "Never put an API key in a URL: URLs are written to the logs of servers and proxies, to browser "
            "histories and Referer headers. Send the key only in the header «Authorization: Bearer <API key>». "
            "If this was a real key, consider it exposed: delete it and create a new one."
        ),
        type_="token-in-url",
        title=_("API key in a URL"),
    )


def _as_problem(response: HttpResponse) -> HttpResponse:
    """An error response of Django or ninja that is not a problem document yet (405, a 404 page) becomes one."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith(CONTENT_TYPE):
        return response
    details = {
        404: _("No such resource."),
        405: _("This method is not allowed here; see the Allow header."),
    }
    problem = problem_response(response.status_code, details.get(response.status_code, _("The request failed.")))
    if response.has_header("Allow"):
        problem["Allow"] = response["Allow"]
    return problem
