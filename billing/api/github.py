"""`POST /api/secret-scanning/github`: GitHub's secret-scanning partner alerts.

When GitHub finds a string that matches our published token pattern in a repository, an issue, a
gist, it POSTs a JSON array of matches signed with one of its keys (`billing.secret_scanning`). A
verified alert revokes each matching valid key exactly as a report to `POST /api/credentials/revoke`
does, with the match's `url` as where it was found, and answers GitHub's feedback: `true_positive`
for a token of ours whose secret matches a key (valid, or already ended), `false_positive` otherwise.
Anything not signed by a key in the keys file is a 401 problem and changes nothing.

A NUL or a lone surrogate in a field of a match cannot be stored (PostgreSQL's text refuses NUL, UTF-8
has no surrogates): such a field is not read (a URL is then recorded as unknown), every token of the
alert is still revoked, a leak being a leak, and the answer is a 422 problem naming each such field,
never a 500 that would lose the whole batch.
"""

import logging
import re
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


# What no text column takes: a NUL, and a UTF-16 surrogate on its own (JSON's "\\ud800" escape).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_fields(match: GitHubMatch) -> list[str]:
    """The fields of `match` that hold a NUL or a lone surrogate."""
    return [name for name, value in match.dict().items() if isinstance(value, str) and _UNSTORABLE.search(value)]


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
    unstorable = {index: fields for index, match in enumerate(matches) if (fields := _unstorable_fields(match))}
    if unstorable:
        # The batch first, committed: the problem is an answer, not a rollback.
        _revoke(request, matches, unread_urls={index for index, fields in unstorable.items() if "url" in fields})
        errors = [
            {"location": "body", "field": f"{index}.{name}", "reason": "contains a NUL or a lone surrogate"}
            for index, fields in unstorable.items()
            for name in fields
        ]
        return ProblemError(
            422,
            _(
                "Some fields have a NUL or a lone surrogate (see `errors`): they were not read. "
                "Every token of the alert was handled."
            ),
            type_="validation",
            title=_("Validation failed"),
            errors=errors,
        ).response()
    result = _revoke(request, matches)
    feedback = [
        {
            "token_raw": match.token,
            "token_type": match.type,
            "label": "true_positive" if match.token in result.matched else "false_positive",
        }
        for match in matches
    ]
    return feedback


def _revoke(request, matches: list[GitHubMatch], unread_urls: set[int] = frozenset()):
    urls = {}
    for index, match in enumerate(matches):
        urls.setdefault(match.token, "" if index in unread_urls else match.url)
    return apikeys_revoke_exposed(
        credentials=[match.token for match in matches],
        source=ExposureSource.GITHUB,
        urls=urls,
        ip=client_ip(request),
    )
