"""Bearer authentication of the Billing Solutions API by API-key tokens.

`Authorization: Bearer <token>` and nothing else: no token in a query string, a cookie or another
header. Each refusal is a 401 problem whose `reason` and `detail` tell the integrator what to do;
an unknown key ID and a wrong secret get the same answer, and the state of a key (deleted, expired,
user deactivated, other API) is only told once its secret has matched. Nothing is cached: each
request reads the key's state with one SQL query (`ApiKey.objects.verify_token`). Failed
authentications are limited per client address (`API_AUTH_FAILURES_PER_MINUTE`, 429 beyond).

Least privilege: an operation that needs a scope (`Scope`) has its own `ApiKeyBearer(scope=...)`;
a valid key without that scope is refused 403 `insufficient_scope` (RFC 6750 §3.1) before the request
is read, counted like any refusal. The scopes come with the verification's one query.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from apikeys import tokens
from apikeys.activity import record_auth_failure
from apikeys.models import Api, ApiKey, Scope, Verification
from apikeys.services import apikey_network_check
from audit.models import Failure
from billing.api.problems import ProblemError
from billing.models import AuthFailureCounter
from efinance.lib.logging import log_event
from efinance.lib.net import client_ip

log = logging.getLogger("billing.api")

REALM = "Billing Solutions"

# The URL namespace of each API (`billing.api.apis`): an operation's own authentication (one that
# needs a scope) is shared by both APIs' copies of the operation and finds the API of the request here.
NAMESPACES = {Api.PRODUCTION: "billing", Api.INTEGRATION: "billing-int"}
API_OF_NAMESPACE = {namespace: api for api, namespace in NAMESPACES.items()}

DETAILS = {
    "missing": _(
        "Send your API key in the header «Authorization: Bearer <API key>». "
        "An Admin user of your e-finance contract creates keys under Administration → User management."
    ),
    Failure.MALFORMED: _(
        "The API key is malformed or its checksum does not match: copy the whole key again, without spaces "
        "or line breaks."
    ),
    Failure.UNKNOWN: _(
        "Unknown key ID or wrong secret. Check that you copied the whole key; if it is lost, delete it and "
        "create a new one."
    ),
    Failure.DELETED: _("This API key has been deleted and can never be used again. Create a new key."),
    Failure.EXPIRED: _("This API key has expired. Create a new key."),
    Failure.REPLACED: _(
        "This API key has been replaced and the time it was allowed to keep working has passed. Use the new key."
    ),
    Failure.USER_INACTIVE: _(
        "The user of this API key has been deactivated. Ask your e-finance Admin user for a key of an active user."
    ),
    Failure.WRONG_API: _(
        "This API key is for the other API: a production key works only with Billing Solutions, a customer "
        "integration key only with Billing Solutions Customer Integration."
    ),
    # The contract's security policy.
    Failure.SUSPENDED: _(
        "All API keys of this e-finance contract are suspended. An Admin user of the contract resumes them "
        "under Administration → Security policy."
    ),
    Failure.PENDING_APPROVAL: _(
        "This production key waits for a second Admin user's approval. It works once another Admin user of "
        "your e-finance contract has approved it on the key list."
    ),
    Failure.ADDRESS_NOT_ALLOWED: _(
        "This API key may not be used from your address. An Admin user of your e-finance contract sets the "
        "allowed networks of the key."
    ),
    Failure.INSUFFICIENT_SCOPE: _(
        "This API key may not do this: it lacks the scope «%(scope)s». Keys keep the scopes they were "
        "created with; an Admin user of your e-finance contract replaces the key with one that has it."
    ),
}

# Refusals of a key that is valid but may not be used from here: 403, not 401 (the credentials are
# fine, the request is not allowed).
FORBIDDEN = {Failure.ADDRESS_NOT_ALLOWED}


def refuse(reason: str, scope: str | None = None) -> ProblemError:
    if reason == Failure.INSUFFICIENT_SCOPE:
        return ProblemError(
            403,
            DETAILS[reason] % {"scope": scope},
            type_="insufficient-scope",
            title=_("Insufficient scope"),
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'},
            reason=str(reason),
            scope=scope,
        )
    if reason in FORBIDDEN:
        return ProblemError(
            403, DETAILS[reason], type_="address-not-allowed", title=_("Address not allowed"), reason=str(reason)
        )
    header = f'Bearer realm="{REALM}"'
    if reason != "missing":
        # RFC 6750 §3.1: no error code when the request carried no credentials at all.
        header += ', error="invalid_token"'
    return ProblemError(
        401,
        DETAILS[reason],
        type_="invalid-token",
        title=_("Invalid or missing API key"),
        headers={"WWW-Authenticate": header},
        reason=str(reason),
    )


def too_many_failures(retry_after: int) -> ProblemError:
    return ProblemError(
        429,
        _(
            "Too many failed authentications from your address in one minute. Wait Retry-After seconds, and "
            "check that your software sends the whole key."
        ),
        type_="too-many-failed-authentications",
        title=_("Too many failed authentications"),
        headers={"Retry-After": str(retry_after)},
    )


def presented_key_id(token: str) -> str | None:
    """The key ID of a well-formed token, whether such a key exists or not."""
    try:
        return tokens.parse_token(token).key_id
    except tokens.MalformedToken:
        return None


def failures_beyond_limit(ip: str | None, now) -> bool:
    """Count one failed check of a token from `ip` — on every path that checks one: the Bearer header,
    a token in a URL — and answer whether the address is beyond its limit this minute
    (`API_AUTH_FAILURES_PER_MINUTE`; `AuthFailureCounter`, in the database)."""
    return AuthFailureCounter.objects.hit(ip, now) > settings.API_AUTH_FAILURES_PER_MINUTE


class ApiKeyBearer(HttpBearer):
    """The key must be valid now, belong to `api` (production or customer integration; None: the API
    of the request's URL namespace) and, when `scope` is given, have that scope."""

    def __init__(self, api: Api | None = None, scope: Scope | None = None):
        super().__init__()
        self.api, self.scope = api, scope

    def api_of(self, request: HttpRequest) -> Api:
        return self.api or API_OF_NAMESPACE[request.resolver_match.namespace]

    def __call__(self, request: HttpRequest) -> Verification:
        value = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, token = value.partition(" ")
        if not value or scheme.lower() != "bearer":
            raise self.failed(request, "missing")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Verification:
        # The address is only read for a key that has allowed networks (the contract's security policy).
        verification = ApiKey.objects.verify_token(token, api=self.api_of(request), address=lambda: client_ip(request))
        request.key_verification = verification  # the key whose usage counts this request (`billing.api.usage`)
        if not verification.ok:
            raise self.failed(request, verification.failure, verification.key_id, presented_key_id(token))
        if self.scope is not None and not verification.allows(self.scope):
            raise self.failed(request, Failure.INSUFFICIENT_SCOPE, verification.key_id, verification.key_id)
        now, ip = timezone.now(), client_ip(request)
        ApiKey.objects.record_use(verification, ip, now)
        apikey_network_check(verification=verification, ip=ip, now=now)
        return verification

    def failed(
        self, request: HttpRequest, reason: str, key_id: str | None = None, presented_key_id: str | None = None
    ) -> ProblemError:
        """Count the failure and answer the problem to raise: 401, or 429 beyond the address's limit.

        Only failures are counted (`failures_beyond_limit`: per client address and minute, in the
        database), so a valid key costs nothing more. Within the limit, a presented key ID is counted in
        the audit log of its key (`record_auth_failure`).
        """
        ip = client_ip(request)
        now = timezone.now()
        # Only public facts: the reason and, once known to exist, the key ID; never the token.
        log_event(
            log,
            "api.auth_failed",
            logging.INFO if reason == "missing" else logging.WARNING,
            reason=str(reason),
            key_id=key_id,
            api=self.api_of(request),
            **({"scope": self.scope} if reason == Failure.INSUFFICIENT_SCOPE else {}),
            path=request.path,
            ip=ip,
        )
        with transaction.atomic():
            limited = failures_beyond_limit(ip, now)
            if presented_key_id is not None and not limited:
                # Written only if the key exists: the same statement either way, so a wrong secret and
                # an unknown key ID cost the same work.
                record_auth_failure(key_id=presented_key_id, reason=reason, ip=ip, at=now)
        if limited:
            return too_many_failures(60 - now.second)
        return refuse(reason, self.scope)
