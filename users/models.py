from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """One e-finance contract. Every customer user belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An e-finance user. `username` is the «User identification» shown on every screen.

    Customer users belong to one organization; the bank's support staff (Django staff) to none.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    is_org_admin = models.BooleanField(
        _("e-finance Admin user"),
        default=False,
        help_text=_("Sees «Administration» and manages the API keys of their organization."),
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_org_admin=False) | Q(organization__isnull=False),
                name="org_admin_has_organization",
            ),
        ]

    def clean(self):
        """A user who holds valid API keys stays in their organization until the keys are deleted:
        the keys belong to the organization, and moving the user would carry its access along."""
        super().clean()
        if self.pk is None:
            return
        previous = type(self).objects.filter(pk=self.pk).values_list("organization_id", flat=True).first()
        if previous is not None and previous != self.organization_id and self.api_keys.valid().exists():
            raise ValidationError(
                {
                    "organization": _(
                        "This user holds valid API keys of their organization. Delete them before moving the user "
                        "to another organization."
                    )
                },
                code="has_valid_keys",
            )

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_support_staff(self) -> bool:
        """The bank's support staff: Django staff of no organization (customers are never staff)."""
        return self.is_staff and self.organization_id is None

    @property
    def is_admin_of_organization(self) -> bool:
        return self.is_active and self.is_org_admin and self.organization_id is not None
