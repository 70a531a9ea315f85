"""The Billing Solutions API's own data: the documents delivered with a key, the per-minute count of
deliveries that limits a key, and the per-minute count of revocation reports that limits an address."""

import datetime
import uuid

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys.models import Api
from billing import sql
from efinance.lib.net import limit_address


class Currency(models.TextChoices):
    CHF = "CHF", "CHF"
    EUR = "EUR", "EUR"


class DocumentStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    DELIVERED = "delivered", _("Delivered")
    REJECTED = "rejected", _("Rejected")


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, organization_id: int, api: str):
        """The documents that a key of this organization and API may see."""
        return self.filter(organization_id=organization_id, api=api)


class Document(models.Model):
    """A billing document delivered through the Billing Solutions API, for one organization and one
    API (production or customer integration), by one key and its user.

    `idempotency_key` is the client's `Idempotency-Key` header, unique per organization and
    API, and `request_hash` the SHA-256 of the validated request: a retry finds the stored
    document, another body under the same key is refused.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "users.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="documents"
    )
    api = models.CharField(_("API"), max_length=20, choices=Api.choices)
    api_key = models.ForeignKey(
        "apikeys.ApiKey", verbose_name=_("API key"), on_delete=models.PROTECT, related_name="documents", editable=False
    )
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("delivered on"), default=timezone.now, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=DocumentStatus.choices, default="received")
    invoice_number = models.CharField(_("invoice number"), max_length=35)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    amount = models.DecimalField(_("amount"), max_digits=11, decimal_places=2)
    recipient_name = models.CharField(_("recipient name"), max_length=140)
    recipient_ebill_id = models.CharField(_("e-bill recipient ID"), max_length=17, blank=True)
    recipient_email = models.EmailField(_("recipient e-mail"), max_length=254, blank=True)
    qr_reference = models.CharField(_("QR reference"), max_length=27, blank=True)
    free_text = models.CharField(_("free text"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, editable=False)  # noqa: DJ001 (NULLs are not unique)
    request_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["organization", "api", "-created_at"], name="document_org_api_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "api", "idempotency_key"], name="document_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="document_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.invoice_number


# The audit log lives in its own module; imported here so that Django finds its model.
class DeliveryCounterManager(models.Manager):
    def hit(self, api_key_pk: int, now: datetime.datetime | None = None) -> int:
        """Count one delivery of the key in the current minute and answer the minute's count so far.

        One INSERT … ON CONFLICT DO UPDATE … RETURNING (`billing.sql.DELIVERY_HIT`): concurrent requests
        on several app servers count in one row. The first delivery of a minute also drops the key's
        older rows, so the table holds at most a minute or two per key.
        """
        now = now or timezone.now()
        at = connection.ops.adapt_datetimefield_value(now.replace(second=0, microsecond=0))
        count = sql.DELIVERY_HIT.fetchone([api_key_pk, at])["count"]
        if count == 1:
            sql.DELIVERY_PRUNE.execute([api_key_pk, at])
        return count


class DeliveryCounter(models.Model):
    """Deliveries of one key in one minute: the API's rate limit, in the database so that every app
    server counts in the same place."""

    api_key = models.ForeignKey("apikeys.ApiKey", on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    objects = DeliveryCounterManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "minute"], name="delivery_counter_key_minute")]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.minute:%Y-%m-%d %H:%M} {self.count}"


class ReportCounterManager(models.Manager):
    def hit(self, address: str, now: datetime.datetime | None = None) -> int:
        """Count one request of `address` (by `limit_address`: an IPv6 client by its /64) to the public
        revocation endpoint in the current minute and answer the minute's count so far (one upsert,
        `billing.sql.REPORT_HIT`, shared by every app server). The first request of a minute from anyone
        drops the rows of earlier minutes."""
        now = now or timezone.now()
        at = connection.ops.adapt_datetimefield_value(now.replace(second=0, microsecond=0))
        count = sql.REPORT_HIT.fetchone([limit_address(address), at])["count"]
        if count == 1:
            sql.REPORT_PRUNE.execute([at])
        return count


class ReportCounter(models.Model):
    """Requests of one client address to `POST /api/credentials/revoke` in one minute: the endpoint's
    limit (`CREDENTIALS_REVOKE_PER_MINUTE`), in the database so that every app server counts in the
    same place."""

    address = models.CharField(max_length=45)  # an IP address, or "" when the request had none
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    objects = ReportCounterManager()

    class Meta:
        indexes = [models.Index(fields=["minute"], name="report_counter_minute")]
        constraints = [models.UniqueConstraint(fields=["address", "minute"], name="report_counter_address_minute")]

    def __str__(self) -> str:
        return f"{self.address} {self.minute:%Y-%m-%d %H:%M} {self.count}"


class AuthFailureCounterManager(models.Manager):
    def hit(self, ip: str | None, now: datetime.datetime | None = None, *, failures: int = 1) -> int:
        """Count one failed API authentication from `ip` (by `limit_address`: an IPv6 client by its
        /64) in the current minute, or `failures` at once (the failed checks of one report of exposed
        tokens); answer the minute's count.

        One INSERT … ON CONFLICT DO UPDATE … RETURNING (`billing.sql.AUTH_FAILURE_HIT`), so that every app
        server counts in the same row. The first failure of an address in a minute also drops the rows
        of every address older than the minute before, so the table holds about two minutes of
        addresses that failed, never more. Only failures are counted: a success costs nothing.
        """
        now = now or timezone.now()
        minute = now.replace(second=0, microsecond=0)
        at = connection.ops.adapt_datetimefield_value(minute)
        if failures == 1:
            count = sql.AUTH_FAILURE_HIT.fetchone([limit_address(ip), at])["count"]
        else:
            count = sql.AUTH_FAILURES_ADD.fetchone([limit_address(ip), at, failures])["count"]
        if count == failures:
            before = connection.ops.adapt_datetimefield_value(minute - datetime.timedelta(minutes=1))
            sql.AUTH_FAILURE_PRUNE.execute([before])
        return count

    def so_far(self, ip: str | None, now: datetime.datetime | None = None) -> int:
        """The failures of `ip` (by `limit_address`) in the current minute so far, counting none."""
        minute = (now or timezone.now()).replace(second=0, microsecond=0)
        return self.filter(ip=limit_address(ip), minute=minute).values_list("count", flat=True).first() or 0


class AuthFailureCounter(models.Model):
    """Failed API authentications from one client address (`efinance.lib.net.client_ip`; empty when
    unknown) in one minute: the limit `API_AUTH_FAILURES_PER_MINUTE`, shared by every app server."""

    ip = models.CharField(max_length=45, blank=True)
    minute = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=1)

    objects = AuthFailureCounterManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ip", "minute"], name="auth_failure_counter_ip_minute")]

    def __str__(self) -> str:
        return f"{self.ip} {self.minute:%Y-%m-%d %H:%M} {self.count}"
