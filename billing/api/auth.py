"""Bearer authentication of the Billing Solutions API by API-key tokens.

`Authorization: Bearer <token>` and nothing else: no token in a query string, a cookie or another
header. Each refusal is a 401 problem whose `reason` and `detail` tell the integrator what to do;
an unknown key ID and a wrong secret get the same answer, and the state of a key (deleted, expired,
user deactivated, other API) is only told once its secret has matched. Nothing is cached: each
request reads the key's state with one SQL query (`ApiKey.objects.verify_token`).
"""

import logging

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from apikeys.audit import record_auth_failure
from apikeys.models import Api, ApiKey, Failure, Verification
from billing.api.problems import ProblemError
from efinance.lib.logging import log_event
from efinance.lib.net import client_ip

log = logging.getLogger("billing.api")

REALM = "Billing Solutions"

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
}


def refuse(reason: str) -> ProblemError:
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


class ApiKeyBearer(HttpBearer):
    """The key must be valid now and belong to `api` (production or customer integration)."""

    def __init__(self, api: Api):
        super().__init__()
        self.api = api

    def __call__(self, request: HttpRequest) -> Verification:
        value = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, token = value.partition(" ")
        if not value or scheme.lower() != "bearer":
            log_event(log, "api.auth_failed", reason="missing", api=self.api, path=request.path, ip=client_ip(request))
            raise refuse("missing")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Verification:
        verification = ApiKey.objects.verify_token(token, api=self.api)
        if not verification.ok:
            ip = client_ip(request)
            # Only public facts: the reason and, once known to exist, the key ID; never the token.
            log_event(
                log,
                "api.auth_failed",
                logging.WARNING,
                reason=str(verification.failure),
                key_id=verification.key_id,
                api=self.api,
                path=request.path,
                ip=ip,
            )
            if verification.key_id is not None:
                # An existing key ID: counted in the audit log, one row per key and hour.
                record_auth_failure(
                    key_id=verification.key_id,
                    organization_id=verification.organization_id,
                    reason=verification.failure,
                    ip=ip,
                )
            raise refuse(verification.failure)
        ApiKey.objects.record_use(verification, lambda: client_ip(request))
        return verification
