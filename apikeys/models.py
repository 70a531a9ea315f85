import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import tokens

MAX_VALIDITY_YEARS = 2


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_valid_until(today: datetime.date | None = None) -> datetime.date:
    return add_years(today or timezone.localdate(), MAX_VALIDITY_YEARS)


class Api(models.TextChoices):
    PRODUCTION = tokens.PRODUCTION, _("Billing Solutions (production)")
    INTEGRATION = tokens.INTEGRATION, _("Billing Solutions Customer Integration")


class Status(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    DELETED = "deleted", _("Deleted")


class Failure(models.TextChoices):
    """Why a token was refused, in the order verification finds out."""

    MALFORMED = "malformed", _("The token is malformed or its checksum does not match.")
    UNKNOWN = "unknown", _("Unknown key ID or wrong secret.")
    DELETED = "deleted", _("The key has been deleted.")
    EXPIRED = "expired", _("The key has expired.")
    USER_INACTIVE = "user_inactive", _("The key's user has been deactivated.")
    WRONG_API = "wrong_api", _("The key is for the other API.")


@dataclass(frozen=True)
class Verification:
    """The answer of `ApiKey.objects.verify_token`: `ok`, or the `failure` that refused the token.

    On success the fields describe the key and its user; after a failure they are only set once the
    secret has matched (so that nothing is told about a key whose secret was not presented), except
    that an `unknown` failure on a key ID that exists carries `pk`, `key_id` and `organization_id` for
    the audit log (never for the client).
    """

    failure: str | None
    pk: int | None = None
    key_id: str | None = None
    api: str | None = None
    valid_until: datetime.date | None = None
    user_id: int | None = None
    username: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    last_used_at: datetime.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _as_datetime(value) -> datetime.datetime | None:
    """A datetime column read by a raw cursor: aware on PostgreSQL, naive UTC or text on SQLite."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class ApiKeyQuerySet(models.QuerySet):
    def of_organization(self, organization_id: int):
        return self.filter(organization_id=organization_id)

    def valid(self, today: datetime.date | None = None):
        return self.filter(revoked_at__isnull=True, valid_until__gte=today or timezone.localdate())

    def ended(self, today: datetime.date | None = None):
        return self.filter(Q(revoked_at__isnull=False) | Q(valid_until__lt=today or timezone.localdate()))

    def with_status(self, status: str, today: datetime.date | None = None):
        today = today or timezone.localdate()
        if status == Status.VALID:
            return self.valid(today)
        if status == Status.DELETED:
            return self.filter(revoked_at__isnull=False)
        return self.filter(revoked_at__isnull=True, valid_until__lt=today)


class ApiKeyManager(models.Manager.from_queryset(ApiKeyQuerySet)):
    _sql = None

    def _verification_sql(self) -> str:
        """One parameterized statement joining key, user and organization.

        Built once from the models' metadata; the hot path then skips the ORM's query building,
        which costs more than the lookup itself (SPEC.md: ~300 µs against ~30 µs).
        """
        if self._sql is None:
            from users.models import Organization, User

            q = connection.ops.quote_name
            key, user, org = ApiKey._meta, User._meta, Organization._meta

            def col(meta, field):
                return q(meta.get_field(field).column)

            # Identifiers come from the models, the key ID is a bound parameter.
            self._sql = (
                f"SELECT k.{col(key, 'id')}, k.{col(key, 'secret_hash')}, k.{col(key, 'api')}, "  # noqa: S608
                f"k.{col(key, 'valid_until')}, k.{col(key, 'revoked_at')}, k.{col(key, 'last_used_at')}, "
                f"u.{col(user, 'id')}, u.{col(user, 'username')}, u.{col(user, 'is_active')}, "
                f"o.{col(org, 'id')}, o.{col(org, 'name')}, u.{col(user, 'organization')} "
                f"FROM {q(key.db_table)} k "
                f"JOIN {q(user.db_table)} u ON u.{col(user, 'id')} = k.{col(key, 'user')} "
                f"JOIN {q(org.db_table)} o ON o.{col(org, 'id')} = k.{col(key, 'organization')} "
                f"WHERE k.{col(key, 'key_id')} = %s"
            )
        return self._sql

    def verify_token(self, raw: str, api: str | None = None) -> Verification:
        """Answer whether `raw` is a token that may be used now, for `api` when given.

        Parse and checksum first (no database), then one indexed lookup by key ID, a constant-time
        comparison of the secret's HMAC, and only then the key's state: deleted, expired, user
        deactivated, other API. State is read from the database on every call, so a deletion or the
        end of validity takes effect on the very next request.
        """
        try:
            parsed = tokens.parse_token(raw)
        except tokens.MalformedToken:
            return Verification(Failure.MALFORMED)
        with connection.cursor() as cursor:
            cursor.execute(self._verification_sql(), [parsed.key_id])
            row = cursor.fetchone()
        if not tokens.secret_matches(parsed.secret, row[1] if row else None) or row[2] != parsed.api:
            if row is None:
                return Verification(Failure.UNKNOWN)
            # A wrong secret on an existing key ID: pk, key ID and organization only, for the audit
            # log's count of failures per key and hour; the client is told nothing more than "unknown".
            return Verification(Failure.UNKNOWN, pk=row[0], key_id=parsed.key_id, organization_id=row[9])
        pk, _hash, key_api, valid_until, revoked_at, last_used_at = row[:6]
        user_id, username, active, org_id, org, user_org = row[6:]
        valid_until = _as_date(valid_until)
        if revoked_at is not None:
            failure = Failure.DELETED
        elif valid_until < timezone.localdate():
            failure = Failure.EXPIRED
        elif not active or user_org != org_id:  # a user who left the key's organization is inactive for it
            failure = Failure.USER_INACTIVE
        elif api is not None and api != key_api:
            failure = Failure.WRONG_API
        else:
            failure = None
        return Verification(
            failure,
            pk=pk,
            key_id=parsed.key_id,
            api=key_api,
            valid_until=valid_until,
            user_id=user_id,
            username=username,
            organization_id=org_id,
            organization_name=org,
            last_used_at=_as_datetime(last_used_at),
        )

    LAST_USED_INTERVAL = datetime.timedelta(seconds=60)
    _last_used_sql = None

    def record_use(self, verification: Verification, ip, now: datetime.datetime | None = None) -> bool:
        """Note that the verified key was used now from `ip`: at most one write per key and minute.

        No query at all when the verification already read a use of the last minute; otherwise one
        conditional UPDATE, so that concurrent requests of the same minute write once between them.
        `ip` is an address, None, or a function that answers it (only called when writing). Answers
        whether this call wrote.
        """
        now = now or timezone.now()
        since = now - self.LAST_USED_INTERVAL
        if verification.last_used_at is not None and verification.last_used_at >= since:
            return False
        if callable(ip):
            ip = ip()
        if self._last_used_sql is None:
            q = connection.ops.quote_name
            meta = ApiKey._meta
            last, ip_col = q(meta.get_field("last_used_at").column), q(meta.get_field("last_used_ip").column)
            self._last_used_sql = (
                f"UPDATE {q(meta.db_table)} SET {last} = %s, {ip_col} = %s "  # noqa: S608
                f"WHERE {q(meta.get_field('id').column)} = %s AND ({last} IS NULL OR {last} < %s)"
            )
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.execute(self._last_used_sql, [adapt(now), ip, verification.pk, adapt(since)])
            return cursor.rowcount > 0


class ApiKey(models.Model):
    """An API key for the Billing Solutions API. Its secret is never stored, only its HMAC.

    Status is derived: deleted once `revoked_at` is set, expired once `valid_until` has passed
    (in Europe/Zurich), valid otherwise. Both end states are final; the database refuses an update
    that clears a revocation or extends the validity (triggers in migration 0002).
    """

    key_id = models.CharField(_("key ID"), max_length=tokens.KEY_ID_LENGTH, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    api = models.CharField(_("API"), max_length=20, choices=Api.choices)
    organization = models.ForeignKey(
        "users.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="api_keys"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="api_keys"
    )
    note = models.CharField(_("Note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created on"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    valid_until = models.DateField(_("valid until"))
    revoked_at = models.DateTimeField(_("deleted on"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    revoke_reason = models.CharField(_("reason"), max_length=500, blank=True, editable=False)
    # Single-use value of the creation form that made this key: a replayed or double-clicked
    # Create finds it taken and makes no second key.
    form_nonce = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001 (NULLs are not unique)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True, editable=False)

    objects = ApiKeyManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [models.Index(fields=["organization", "revoked_at", "valid_until"], name="apikey_org_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False), name="apikey_revoked_has_actor"
            ),
        ]

    def __str__(self) -> str:
        return self.key_id

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return Status.DELETED
        if self.valid_until < timezone.localdate():
            return Status.EXPIRED
        return Status.VALID

    def get_status_display(self) -> str:
        return Status(self.status).label

    @property
    def is_valid(self) -> bool:
        return self.status == Status.VALID

    @property
    def expired_on(self) -> datetime.date:
        """The first day on which the key no longer worked."""
        return self.valid_until + datetime.timedelta(days=1)


class Currency(models.TextChoices):
    CHF = "CHF", "CHF"
    EUR = "EUR", "EUR"


class DocumentStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    DELIVERED = "delivered", _("Delivered")
    REJECTED = "rejected", _("Rejected")


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, organization_id: int, api: str):
        """The documents that a key of this organization and API environment may see."""
        return self.filter(organization_id=organization_id, api=api)


class Document(models.Model):
    """A billing document delivered through the Billing Solutions API, for one organization and one
    API environment (production or customer integration), by one key and its user.

    `idempotency_key` is the client's `Idempotency-Key` header, unique per organization and
    environment, and `request_hash` the SHA-256 of the validated request: a retry finds the stored
    document, another body under the same key is refused.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "users.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="documents"
    )
    api = models.CharField(_("API"), max_length=20, choices=Api.choices)
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="documents", editable=False
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
    _sql = None

    def hit(self, api_key_pk: int, now: datetime.datetime | None = None) -> int:
        """Count one delivery of the key in the current minute and answer the minute's count so far.

        One INSERT … ON CONFLICT DO UPDATE … RETURNING: concurrent requests on several app servers
        count in one row. The first delivery of a minute also drops the key's older rows.
        """
        now = now or timezone.now()
        minute = now.replace(second=0, microsecond=0)
        if self._sql is None:
            q = connection.ops.quote_name
            meta = DeliveryCounter._meta
            table, key, at, count = (
                q(meta.db_table),
                q(meta.get_field("api_key").column),
                q(meta.get_field("minute").column),
                q(meta.get_field("count").column),
            )
            self._sql = (
                f"INSERT INTO {table} ({key}, {at}, {count}) VALUES (%s, %s, 1) "  # noqa: S608
                f"ON CONFLICT ({key}, {at}) DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}",
                f"DELETE FROM {table} WHERE {key} = %s AND {at} < %s",  # noqa: S608
            )
        upsert, prune = self._sql
        at = connection.ops.adapt_datetimefield_value(minute)
        with connection.cursor() as cursor:
            cursor.execute(upsert, [api_key_pk, at])
            value = cursor.fetchone()[0]
            if value == 1:
                cursor.execute(prune, [api_key_pk, at])
        return value


class DeliveryCounter(models.Model):
    """Deliveries of one key in one minute: the API's rate limit, in the database so that every app
    server counts in the same place."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    objects = DeliveryCounterManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "minute"], name="delivery_counter_key_minute")]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.minute:%Y-%m-%d %H:%M} {self.count}"


from apikeys.audit import AuditEvent  # noqa: E402, F401
