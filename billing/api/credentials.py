"""`POST /api/credentials/revoke`: anyone who finds a token of ours can kill it.

Unauthenticated by design (the finder has no account), so the answer tells the reporter nothing: the
same status and body, the number of strings received, whether they were valid tokens, deleted,
unknown or junk, after the same work for each (`apikeys_revoke_exposed`). Limited per client address
(`CREDENTIALS_REVOKE_PER_MINUTE`, counted in the database); e-mails about the revoked keys wait in
the outbox for its runner, so that no SMTP round trip shows in the answer's time.

It checks tokens, so it counts in the limit of failed authentications of every other path that checks
one (the Bearer header, a token in a URL: `API_AUTH_FAILURES_PER_MINUTE` per address): each
well-formed token of a report that matches no key (an unknown key ID or a wrong secret, counted
alike) is one failure, and an address beyond the limit is refused before anything is read or checked.
A report is checked whole once taken, so that a real leaked token is never left valid half-way.
"""

from functools import wraps
from typing import Annotated

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import ConfigDict, Field, StrictStr

from apikeys.services import MAX_REPORTED_TOKENS, apikeys_revoke_exposed
from audit.models import ExposureSource
from billing.api.auth import too_many_failures
from billing.api.problems import INPUT_ERRORS, Problem, problem_response
from billing.models import AuthFailureCounter, ReportCounter
from efinance.lib.net import client_ip

router = Router(tags=["credentials"])


class RevokeRequest(Schema):
    model_config = ConfigDict(extra="forbid")

    credentials: Annotated[
        list[StrictStr],
        Field(
            min_length=1,
            max_length=MAX_REPORTED_TOKENS,
            description=f"The tokens found (1 to {MAX_REPORTED_TOKENS:,}), each as it was found.",
            examples=[["bsint_q4kz7mxp2hra_n5ovx3k2hqwl7d4mbt6yfzjsa2r5eucgkpw3x7nqd6hvliom4ya5_ay3fk5x"]],
        ),
    ]


class RevokeAnswer(Schema):
    received: int = Field(description="How many strings the request held; nothing about any of them.")


def limited_per_address(run):
    """`CREDENTIALS_REVOKE_PER_MINUTE` requests per client address and minute, then a 429 problem
    with `Retry-After`; counted before the body is read, so that a refused body counts too. An address
    beyond its limit of failed authentications is refused here too, with the Bearer path's problem."""

    @wraps(run)
    def wrapper(request, *args, **kwargs):
        now, ip = timezone.now(), client_ip(request)
        try:
            if AuthFailureCounter.objects.so_far(ip, now) >= settings.API_AUTH_FAILURES_PER_MINUTE:
                return too_many_failures(60 - now.second).response()
            count = ReportCounter.objects.hit(ip or "", now)
        except (OperationalError, InterfaceError):
            return problem_response(
                503,
                _("The service is briefly unavailable. Send the same request again in a few seconds."),
                headers={"Retry-After": "5"},
            )
        if count > settings.CREDENTIALS_REVOKE_PER_MINUTE:
            return problem_response(
                429,
                _("Too many reports from your address in one minute. Send the rest after Retry-After."),
                type_="rate-limited",
                title=_("Too many requests"),
                headers={"Retry-After": str(60 - now.second)},
            )
        return run(request, *args, **kwargs)

    return wrapper


@router.post(
    "credentials/revoke",
    response={202: RevokeAnswer, **INPUT_ERRORS, 429: Problem, 500: Problem, 503: Problem},
    summary="Revoke exposed tokens",
)
@decorate_view(limited_per_address)
def revoke(request, report: RevokeRequest):
    """Report tokens of the Billing Solutions API that you found where they do not belong (a public
    repository, a ticket, a chat, a log). Every one that belongs to a valid key deletes that key at
    once and for good, and its owners are told by e-mail.

    The answer is always 202 with the number of strings received: it says nothing about whether any
    of them was a token, or valid. At most 1,000 tokens per request, and a few requests per minute
    from one address (429 with `Retry-After` beyond); a token of the right shape that matches no key
    counts as a failed authentication of your address, as on every path that checks a token.
    """
    ip = client_ip(request)
    result = apikeys_revoke_exposed(credentials=report.credentials, source=ExposureSource.REPORT, ip=ip)
    if result.unmatched:
        AuthFailureCounter.objects.hit(ip, timezone.now(), failures=result.unmatched)
    return Status(202, {"received": len(report.credentials)})
