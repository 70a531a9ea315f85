"""The contract's security policy: the rules an organization's Admin users set for their own keys,
and the changes that wait for a second Admin user (four-eyes)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import networks
from apikeys.models.choices import Api, Decision
from apikeys.models.validity import check_valid_until, latest_valid_until

# Four-eyes: a production key or a weakening policy change waits this long for a second Admin user.
APPROVAL_WINDOW = datetime.timedelta(days=7)


class SecurityPolicy(models.Model):
    """The rules an organization's Admin users set for their own keys, one row per organization (none:
    the defaults, `SecurityPolicy.of`). While `four_eyes` is on, a change that weakens the policy waits
    for a second Admin user (`PolicyChange`, `apikeys.policy`)."""

    organization = models.OneToOneField(
        "users.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="security_policy",
        primary_key=True,
    )
    max_validity_days = models.PositiveIntegerField(_("maximum validity of new keys (days)"), null=True, blank=True)
    four_eyes = models.BooleanField(_("production keys need a second Admin user's approval"), default=False)
    allowed_networks = models.TextField(_("allowed networks for new keys"), blank=True, default="")
    changed_at = models.DateTimeField(_("changed on"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policies")

    def __str__(self) -> str:
        return str(self.organization_id)

    @classmethod
    def of(cls, organization_id: int) -> "SecurityPolicy":
        """The organization's policy; an unsaved one with the defaults when it never set one."""
        return cls.objects.filter(organization_id=organization_id).first() or cls(organization_id=organization_id)

    @property
    def maximum_days(self) -> int | None:
        """The policy's maximum validity in days; None: the guide's two years."""
        return self.max_validity_days

    def latest_valid_until(self, today: datetime.date | None = None) -> datetime.date:
        """The last day a key created on `today` may be valid under this policy."""
        return latest_valid_until(today, self.max_validity_days)

    def check_valid_until(self, valid_until: datetime.date, created_on: datetime.date | None = None) -> None:
        check_valid_until(valid_until, created_on, maximum_days=self.max_validity_days)

    @property
    def network_list(self) -> list[str]:
        return self.allowed_networks.split()

    def needs_approval(self, api: str) -> bool:
        """Four-eyes applies to production keys only; customer-integration keys never need approval."""
        return self.four_eyes and api == Api.PRODUCTION

    @property
    def admins_need_factor(self) -> bool:
        """«Admin users must use a second factor»: kept on the organization, where the login reads it."""
        return self.organization.admins_need_factor

    def weakened_by(
        self, *, max_validity_days: int | None, four_eyes: bool, allowed_networks: str, admins_need_factor: bool
    ) -> bool:
        """Whether these values would weaken the policy: four-eyes off, a longer maximum, wider networks,
        the second factor of Admin users no longer required."""
        # None is the guide's two years: the longest there is.
        longer = self.max_validity_days is not None and (
            max_validity_days is None or max_validity_days > self.max_validity_days
        )
        wider = not networks.within(networks.parse(allowed_networks), networks.parse(self.allowed_networks))
        factor_dropped = self.admins_need_factor and not admins_need_factor
        return (self.four_eyes and not four_eyes) or longer or wider or factor_dropped


class PolicyChangeQuerySet(models.QuerySet):
    def open(self, now: datetime.datetime | None = None):
        """Undecided and within the approval window (`APPROVAL_WINDOW`)."""
        return self.filter(decided_at__isnull=True, requested_at__gt=(now or timezone.now()) - APPROVAL_WINDOW)


class PolicyChange(models.Model):
    """A weakening change that waits for a second Admin user: of the policy (`key` empty: `values` holds
    max_validity_days, four_eyes, allowed_networks) or of one key's allowed networks (`values` holds
    allowed_networks). Decided once: approved (then applied), rejected, or superseded by a later request;
    not decided within `APPROVAL_WINDOW`, it lapses."""

    organization = models.ForeignKey(
        "users.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.ForeignKey(
        "apikeys.ApiKey", verbose_name=_("API key"), on_delete=models.CASCADE, null=True, related_name="+"
    )
    values = models.JSONField(_("values"), default=dict)
    requested_at = models.DateTimeField(_("requested on"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices, blank=True)

    objects = PolicyChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("security policy change")
        verbose_name_plural = _("security policy changes")

    def __str__(self) -> str:
        return f"{self.organization_id} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def deadline(self) -> datetime.datetime:
        return self.requested_at + APPROVAL_WINDOW

    @property
    def requester_left(self) -> bool:
        """The requester is no longer an active Admin user of the organization: nobody may approve it."""
        return not self.requested_by.is_admin_of(self.organization_id)

    @property
    def max_validity_days(self):
        return self.values.get("max_validity_days")

    @property
    def four_eyes(self):
        return self.values.get("four_eyes")

    @property
    def admins_need_factor(self):
        """None in a change requested before the policy had this rule (it leaves the rule as it is)."""
        return self.values.get("admins_need_factor")

    @property
    def network_list(self) -> list[str]:
        return (self.values.get("allowed_networks") or "").split()
