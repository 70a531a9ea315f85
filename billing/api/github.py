"""`POST /api/secret-scanning/github`: GitHub's secret-scanning partner alerts.

When GitHub finds a string that matches our published token pattern in a repository, an issue, a
gist, it POSTs a JSON array of matches signed with one of its keys (`billing.secret_scanning`). A
verified alert revokes each matching valid key exactly as a report to `POST /api/credentials/revoke`
does, with the match's `url` as where it was found, and answers GitHub's feedback: `true_positive`
for a token of ours whose secret matches a key (valid, or already ended), `false_positive` otherwise.
Anything not signed by a key in the keys file is a 401 problem and changes nothing.
"""

import logging
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy as _
from ninja import Body, Router, Schema
from ninja.security import APIKeyHeader
from pydantic import Field

from apikeys.services import apikeys_revoke_exposed
from audit.models import ExposureSource
from billing import secret_scanning
from billing.api.problems import INPUT_ERRORS, Problem, ProblemError
from efinance.lib.logging import log_event
from efinance.lib.net import client_ip

log = logging.getLogger("billing.api")

router = Router(tags=["secret scanning"])

KEY_IDENTIFIER_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"


class GitHubSignature(APIKeyHeader):
    """The raw body must carry a valid ECDSA signature of a key GitHub published (header
    `Github-Public-Key-Signature`, the key named by `Github-Public-Key-Identifier`)."""

    param_name = SIGNATURE_HEADER

    def authenticate(self, request, key):
        failure = secret_scanning.check_signature(request.body, request.headers.get(KEY_IDENTIFIER_HEADER), key)
        if failure is None:
            return "github"
        log_event(log, "secret_scanning.refused", logging.WARNING, reason=failure, ip=client_ip(request))
        raise ProblemError(
            401,
            _("The alert is not signed by a current GitHub secret-scanning key."),
            type_="invalid-signature",
            title=_("Invalid or missing signature"),
            reason=failure,
        )


class GitHubMatch(Schema):
    token: Annotated[str, Field(description="The string GitHub found.")]
    type: Annotated[str, Field(description="The name of our pattern that matched.")]
    url: Annotated[str, Field(description="Where GitHub found it.")] = ""
    source: Annotated[str, Field(description="Where on GitHub: content, commit, issue, …")] = ""


class GitHubFeedback(Schema):
    token_raw: str
    token_type: str
    label: Literal["true_positive", "false_positive"]


@router.post(
    "secret-scanning/github",
    auth=GitHubSignature(),
    response={200: list[GitHubFeedback], 401: Problem, **INPUT_ERRORS, 500: Problem, 503: Problem},
    summary="GitHub secret-scanning alert",
)
def github_alert(request, matches: Annotated[list[GitHubMatch], Body()]):
    """For GitHub only: an alert of its secret-scanning partner program, signed by GitHub."""
    urls = {}
    for match in matches:
        urls.setdefault(match.token, match.url)
    result = apikeys_revoke_exposed(
        credentials=[match.token for match in matches],
        source=ExposureSource.GITHUB,
        urls=urls,
        ip=client_ip(request),
    )
    feedback = [
        {
            "token_raw": match.token,
            "token_type": match.type,
            "label": "true_positive" if match.token in result.matched else "false_positive",
        }
        for match in matches
    ]
    return feedback
