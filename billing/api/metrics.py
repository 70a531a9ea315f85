"""The API's requests in the operators' metrics (`efinance.lib.metrics`): which API, which operation,
which outcome, how long — never which key, whose, or from where."""

import json
import time
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from efinance.lib.metrics import count_api_request

APIS = {"billing": "production", "billing-int": "integration", "credentials": "credentials"}
# By URL name (and method, where one path does two things); anything else is «other».
OPERATIONS = {
    ("ping", "GET"): "ping",
    ("key_self", "GET"): "keys_self",
    ("deliver", "GET"): "documents_list",
    ("deliver", "POST"): "documents_deliver",
    ("get_document", "GET"): "documents_read",
    ("revoke", "POST"): "credentials_revoke",
    ("github_alert", "POST"): "github_alert",
}
# The problem types of a refused key (`billing.api.auth.refuse`); their `reason` is a `Failure` value.
AUTH_PROBLEMS = {401, 403}


def outcome_of(response: HttpResponse) -> tuple[str, str]:
    """(outcome, reason): answered (2xx/3xx), limited (429), auth_refused (a key refused, with the
    reason its problem document names), refused (any other 4xx or 5xx)."""
    status = response.status_code
    if status < 400:
        return "answered", ""
    if status == 429:
        return "limited", ""
    if status in AUTH_PROBLEMS:
        try:
            reason = json.loads(response.content).get("reason", "")
        except (ValueError, AttributeError):
            reason = ""
        if isinstance(reason, str) and reason:
            return "auth_refused", reason[:40]
    return "refused", ""


def measured(view):
    """`view` timed and counted while `METRICS_ENABLED`; untouched (one setting read) otherwise."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not settings.METRICS_ENABLED:
            return view(request, *args, **kwargs)
        started = time.perf_counter()
        response = view(request, *args, **kwargs)
        match = request.resolver_match
        outcome, reason = outcome_of(response)
        count_api_request(
            api=APIS.get(match.namespace if match else "", "other"),
            operation=OPERATIONS.get((match.url_name if match else "", request.method), "other"),
            outcome=outcome,
            reason=reason,
            seconds=time.perf_counter() - started,
        )
        return response

    return wrapper
