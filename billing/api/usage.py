"""Each request of the Billing Solutions API counted for its key (`apikeys.models.usage`): one upsert
per request whose key is known, the refusals also kept in the key's list of its last refusals. A
wrong secret is not the key's request: it is counted like an unknown key ID, in the audit log only."""

import json

from django.http import HttpRequest, HttpResponse

from apikeys.models import KeyRefusal, KeyUsage, Operation, Outcome, outcome_of
from audit.models import Failure
from billing.api.metrics import OPERATIONS as METRIC_OPERATIONS
from billing.api.problems import TYPE_PREFIX
from efinance.lib.net import client_ip

# A key's operations, from the operators' names of the API's operations (`billing.api.metrics`, by URL
# name and method); the others (the reports of exposed tokens) are nobody's key's.
BY_METRIC_OPERATION = {
    "ping": Operation.PING,
    "keys_self": Operation.KEY_SELF,
    "documents_list": Operation.READ,
    "documents_read": Operation.READ,
    "documents_deliver": Operation.DELIVER,
}
# The URL names of the views whose requests a key's usage counts.
COUNTED_URL_NAMES = frozenset(name for (name, _method), op in METRIC_OPERATIONS.items() if op in BY_METRIC_OPERATION)
LIMIT_REASON = "over_limit"


def operation_of(url_name: str, method: str) -> str | None:
    return BY_METRIC_OPERATION.get(METRIC_OPERATIONS.get((url_name, method)))


def count_request(request: HttpRequest, response: HttpResponse, operation: str) -> None:
    """Count the answer for the key that the request presented, if its key is known: an accepted key
    (`request.auth`) or a refused one whose key ID exists (`request.key_verification`)."""
    verification = getattr(request, "key_verification", None)
    if verification is None or verification.pk is None:
        return  # no token, a malformed one or an unknown key ID: nobody's key
    if verification.failure == Failure.UNKNOWN:
        # A wrong secret on an existing key ID costs what an unknown key ID costs, so that the answer's
        # time tells nothing; the audit log's count per key and hour has it (`record_auth_failure`).
        return
    # A key refused after its verification (its scopes, `billing.api.auth`) is answered 403 as well.
    outcome = outcome_of(response.status_code, verification.ok and response.status_code not in (401, 403))
    if outcome == Outcome.ANSWERED:
        KeyUsage.objects.hit(key_pk=verification.pk, operation=operation, outcome=outcome)
        return
    reason = _reason(response, verification, outcome)
    KeyUsage.objects.hit(key_pk=verification.pk, operation=operation, outcome=outcome, reason=reason)
    KeyRefusal.objects.record(key_pk=verification.pk, operation=operation, reason=reason, ip=client_ip(request))


def _reason(response: HttpResponse, verification, outcome: str) -> str:
    """Why: the refused key's failure, «over_limit», or the problem's type (`validation`, `http-404`)."""
    if outcome == Outcome.LIMITED:
        return LIMIT_REASON
    try:
        problem = json.loads(response.content)
    except ValueError:
        problem = {}
    problem = problem if isinstance(problem, dict) else {}
    if outcome == Outcome.AUTH_REFUSED:
        return str(verification.failure or problem.get("reason", ""))[:40]
    problem_type = str(problem.get("type", ""))
    if problem_type.startswith(TYPE_PREFIX):
        return problem_type.removeprefix(TYPE_PREFIX)[:40]
    return f"http-{response.status_code}"
