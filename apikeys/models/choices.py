"""The choices of keys and of the contract's policy; the refusal reasons are the audit log's
(`audit.models.Failure`), since it shows them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apikeys import tokens


class Api(models.TextChoices):
    PRODUCTION = tokens.PRODUCTION, _("Billing Solutions (production)")
    INTEGRATION = tokens.INTEGRATION, _("Billing Solutions Customer Integration")


class Scope(models.TextChoices):
    """What a key may do with the Billing Solutions API (OAuth-style scope names, RFC 6749 §3.3).
    `ping` and `keys/self` need none: every key may check itself."""

    DOCUMENTS_READ = "documents:read", _("Read documents")
    DOCUMENTS_WRITE = "documents:write", _("Deliver documents")


#: Every scope, in the order of `Scope`: a key's stored value lists its scopes in this order,
#: separated by a space (`ApiKey.scopes`), so that each set of scopes has one spelling.
ALL_SCOPES = " ".join(Scope.values)


def scopes_value(scopes) -> str:
    """The stored spelling of a collection of scope names (unknown names are dropped)."""
    chosen = set(scopes)
    return " ".join(value for value in Scope.values if value in chosen)


def scope_spellings() -> list[str]:
    """Every non-empty set of scopes as stored: the values that the database's CHECK allows."""
    values = Scope.values
    return [" ".join(value for i, value in enumerate(values) if mask >> i & 1) for mask in range(1, 2 ** len(values))]


class Status(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    DELETED = "deleted", _("Deleted")
    REPLACED = "replaced", _("Replaced")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a later request")
    LAPSED = "lapsed", _("Lapsed: the requester left")
