"""API keys and the contract's security policy, one concept a module.

The rules of the guide about a key are stated once: a key is valid for at most two years
(`validity.check_valid_until`), and its status is derived from its dates and its revocation record
(`status.status_of` in Python, `status.valid_q` in SQL). The audit log is the `audit` app's.
"""

from apikeys.models.choices import ALL_SCOPES, Api, Decision, Scope, Status, scope_spellings, scopes_value
from apikeys.models.keys import EXPOSED_REASON, ApiKey, ApiKeyManager, ApiKeyQuerySet, Verification
from apikeys.models.policy import APPROVAL_WINDOW, PolicyChange, PolicyChangeQuerySet, SecurityPolicy
from apikeys.models.seen import SEEN_NETWORK_DAYS, SEEN_NETWORK_KEPT, SeenNetwork
from apikeys.models.status import ENDED_ORDER, expires_soon_q, status_of, valid_q
from apikeys.models.usage import KeyRefusal, KeyUsage, KeyUsageDay, Operation, Outcome, outcome_of
from apikeys.models.validity import (
    EXPIRES_SOON_DAYS,
    MAX_VALIDITY_YEARS,
    VALIDITY_MESSAGES,
    LatestValidUntilInDatabase,
    add_years,
    check_valid_until,
    days_left,
    days_left_until,
    end_of_validity,
    latest_valid_until,
)

__all__ = [
    "ALL_SCOPES",
    "APPROVAL_WINDOW",
    "ENDED_ORDER",
    "EXPIRES_SOON_DAYS",
    "EXPOSED_REASON",
    "MAX_VALIDITY_YEARS",
    "SEEN_NETWORK_DAYS",
    "SEEN_NETWORK_KEPT",
    "VALIDITY_MESSAGES",
    "Api",
    "ApiKey",
    "ApiKeyManager",
    "ApiKeyQuerySet",
    "Decision",
    "KeyRefusal",
    "KeyUsage",
    "KeyUsageDay",
    "LatestValidUntilInDatabase",
    "Operation",
    "Outcome",
    "PolicyChange",
    "PolicyChangeQuerySet",
    "Scope",
    "SecurityPolicy",
    "SeenNetwork",
    "Status",
    "Verification",
    "add_years",
    "check_valid_until",
    "days_left",
    "days_left_until",
    "end_of_validity",
    "expires_soon_q",
    "latest_valid_until",
    "outcome_of",
    "scope_spellings",
    "scopes_value",
    "status_of",
    "valid_q",
]
