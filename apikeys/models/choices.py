"""The choices of keys and of the contract's policy; the refusal reasons are the audit log's
(`audit.models.Failure`), since it shows them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apikeys import tokens


class Api(models.TextChoices):
    PRODUCTION = tokens.PRODUCTION, _("Billing Solutions (production)")
    INTEGRATION = tokens.INTEGRATION, _("Billing Solutions Customer Integration")


class Status(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    DELETED = "deleted", _("Deleted")
    REPLACED = "replaced", _("Replaced")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a later request")
