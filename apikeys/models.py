"""API keys and their audit log.

The rules of the guide about a key are stated here once, and every screen, the Django admin and the
API ask them: a key is valid for at most two years (`check_valid_until`), and its status is derived
from its dates and its revocation record (`status_of` in Python, `ApiKeyQuerySet.valid` in SQL).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from apikeys import networks, sql, tokens
from efinance.lib.loading import LoadedWithoutInit

MAX_VALIDITY_YEARS = 2
# Four-eyes: a production key or a weakening policy change waits this long for a second Admin user.
APPROVAL_WINDOW = datetime.timedelta(days=7)

# The reason of a key deleted because its token was reported as exposed (the public revocation
# endpoint, a secret-scanning alert): the one revocation without an actor (constraint
# `apikey_revoked_has_actor`), since nobody of the bank or the customer decided it.
EXPOSED_REASON = "reported as exposed"


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_valid_until(today: datetime.date | None = None, maximum_days: int | None = None) -> datetime.date:
    """The last day a key created on `today` may be valid: two years later (the guide's rule 4), or
    `maximum_days` later when the contract's security policy sets a shorter maximum (never longer)."""
    today = today or timezone.localdate()
    latest = add_years(today, MAX_VALIDITY_YEARS)
    if maximum_days is not None:
        latest = min(latest, today + datetime.timedelta(days=maximum_days))
    return latest


VALIDITY_MESSAGES = {
    "past": _("The validity cannot end in the past."),
    "too_late": _("A key is valid for at most two years: choose %(latest)s or earlier."),
    "over_policy": _(
        "Your contract's security policy allows keys of at most %(days)d days: choose %(latest)s or earlier."
    ),
}


def check_valid_until(
    valid_until: datetime.date, created_on: datetime.date | None = None, *, maximum_days: int | None = None
) -> None:
    """Raise ValidationError (code ``past``, ``too_late`` or ``over_policy``) unless a key created on
    `created_on` (today by default) may be valid until `valid_until`: not before that day, at most two
    years after, and at most `maximum_days` after when the contract's policy sets that maximum
    (`SecurityPolicy.maximum_days`; `SecurityPolicy.check_valid_until` passes it)."""
    created_on = created_on or timezone.localdate()
    latest = latest_valid_until(created_on, maximum_days)
    if valid_until < created_on:
        raise ValidationError(VALIDITY_MESSAGES["past"], code="past")
    if valid_until > latest:
        params = {"latest": latest.strftime("%d.%m.%Y")}
        if latest < add_years(created_on, MAX_VALIDITY_YEARS):
            raise ValidationError(
                VALIDITY_MESSAGES["over_policy"], code="over_policy", params={**params, "days": maximum_days}
            )
        raise ValidationError(VALIDITY_MESSAGES["too_late"], code="too_late", params=params)


class LatestValidUntilInDatabase(models.Func):
    """The database's bound of `valid_until` for a key created at `created_at`: two years and one day
    after the UTC day of creation, in each vendor's own date arithmetic (used by a CHECK constraint).

    The day is one more than the rule (`check_valid_until`, two years after the local day in
    Europe/Zurich) because the local day may be the UTC day after; the database's bound refuses
    what no screen can make (a validity of 2099-12-31), the exact rule stays in `check_valid_until`.
    Deterministic (no time zone setting, no clock), as a CHECK constraint needs.
    """

    arity = 1
    output_field = models.DateField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s, '+2 years', '+1 day')", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="((%(expressions)s AT TIME ZONE 'UTC')::date + INTERVAL '2 years 1 day')::date",
            **extra_context,
        )

    def as_sql(self, compiler, connection, **extra_context):
        if "template" not in extra_context:
            raise NotImplementedError(f"no two-year bound for {connection.vendor}")
        return super().as_sql(compiler, connection, **extra_context)


class Api(models.TextChoices):
    PRODUCTION = tokens.PRODUCTION, _("Billing Solutions (production)")
    INTEGRATION = tokens.INTEGRATION, _("Billing Solutions Customer Integration")


class Status(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    DELETED = "deleted", _("Deleted")
    REPLACED = "replaced", _("Replaced")


def status_of(
    revoked_at,
    valid_until: datetime.date,
    today: datetime.date | None = None,
    *,
    ends_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> str:
    """The status of a key: deleted once revoked, replaced once the end chosen at its replacement
    (`ends_at`) has come, expired once its last valid day has passed (Europe/Zurich), valid
    otherwise. `valid_q` is the same rule in SQL."""
    now = now or timezone.now()
    if revoked_at is not None:
        return Status.DELETED
    if ends_at is not None and ends_at <= now:
        return Status.REPLACED
    if valid_until < (today or timezone.localdate(now, timezone.get_default_timezone())):
        return Status.EXPIRED
    return Status.VALID


def days_left(valid_until: datetime.date, today: datetime.date | None = None) -> int:
    """Days of validity left: the last valid day − today (0 on the last day itself)."""
    return (valid_until - (today or timezone.localdate())).days


EXPIRES_SOON_DAYS = 30  # a valid key that ends within this many days carries «expires soon»


def end_of_validity(valid_until: datetime.date) -> datetime.datetime:
    """The moment a key stops working at the latest: midnight after its last valid day, Europe/Zurich."""
    next_day = valid_until + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time.min), timezone.get_default_timezone())


class Failure(models.TextChoices):
    """Why a token was refused, in the order verification finds out."""

    MALFORMED = "malformed", _("The token is malformed or its checksum does not match.")
    UNKNOWN = "unknown", _("Unknown key ID or wrong secret.")
    DELETED = "deleted", _("The key has been deleted.")
    EXPIRED = "expired", _("The key has expired.")
    REPLACED = "replaced", _("The key has been replaced and its overlap has ended.")
    USER_INACTIVE = "user_inactive", _("The key's user has been deactivated.")
    WRONG_API = "wrong_api", _("The key is for the other API.")
    # The contract's security policy (issue 13).
    SUSPENDED = "suspended", _("All keys of the contract are suspended.")
    PENDING_APPROVAL = "pending_approval", _("The key waits for a second Admin user's approval.")
    ADDRESS_NOT_ALLOWED = "address_not_allowed", _("The request came from an address the key does not allow.")


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
    ends_at: datetime.datetime | None = None
    user_id: int | None = None
    username: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    last_used_at: datetime.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def stops_at(self) -> datetime.datetime | None:
        """When the key stops working: the end of its replacement overlap, else of its validity."""
        if self.valid_until is None:
            return None
        end = end_of_validity(self.valid_until)
        return min(end, self.ends_at) if self.ends_at else end


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _as_datetime(value) -> datetime.datetime | None:
    """A datetime column read by a raw cursor: aware on PostgreSQL, naive UTC or text on SQLite."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


# The order of «Expired and deleted keys», alike on every database: deleted ones by deletion, newest
# first, then the expired ones (PostgreSQL would put the NULLs of a DESC order first).
ENDED_ORDER = [F("revoked_at").desc(nulls_last=True), "-valid_until", "-id"]


def valid_q(today: datetime.date | None = None, prefix: str = "", now: datetime.datetime | None = None) -> Q:
    """The keys that are valid on `today` (at `now`), as a filter; `prefix` reaches them through a
    relation (``"api_keys__"`` from a user). The SQL form of `status_of`."""
    now = now or timezone.now()
    return Q(
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now}),
        **{f"{prefix}revoked_at__isnull": True, f"{prefix}valid_until__gte": today or timezone.localdate(now)},
    )


def expires_soon_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Of the valid keys, those whose validity ends within `EXPIRES_SOON_DAYS` days and that are not
    being replaced (those show their replacement's end instead). The SQL form of `ApiKey.expires_soon`."""
    today = today or timezone.localdate()
    return Q(
        **{
            f"{prefix}valid_until__lte": today + datetime.timedelta(days=EXPIRES_SOON_DAYS),
            f"{prefix}ends_at__isnull": True,
        }
    )


class ApiKeyQuerySet(models.QuerySet):
    def of_organization(self, organization_id: int):
        return self.filter(organization_id=organization_id)

    def valid(self, today: datetime.date | None = None, now: datetime.datetime | None = None):
        return self.filter(valid_q(today, now=now))

    def ended(self, today: datetime.date | None = None, now: datetime.datetime | None = None):
        """Expired, deleted or replaced: «Expired and deleted keys»."""
        return self.exclude(valid_q(today, now=now))

    def with_status(self, status: str, today: datetime.date | None = None):
        if status == Status.VALID:
            return self.valid(today)
        if status == Status.DELETED:
            return self.filter(revoked_at__isnull=False)
        replaced = Q(ends_at__isnull=False, ends_at__lte=timezone.now())
        if status == Status.REPLACED:
            return self.filter(replaced, revoked_at__isnull=True)
        return self.ended(today).filter(revoked_at__isnull=True).exclude(replaced)

    def in_overlap(self):
        """Valid keys that have been replaced and still work until their `ends_at`."""
        return self.valid().filter(ends_at__isnull=False)


class ApiKeyManager(models.Manager.from_queryset(ApiKeyQuerySet)):
    def verify_token(self, raw: str, api: str | None = None, address=None) -> Verification:
        """Answer whether `raw` is a token that may be used now, for `api` when given, from `address`
        (an address, None, or a function that answers it: only called for a key with networks).

        Parse and checksum first (no database), then one indexed lookup by key ID (`sql.VERIFY`), a
        constant-time comparison of the secret's HMAC, and only then the key's state: deleted,
        expired, user deactivated, other API, then the contract's policy: all keys suspended, the
        key still waiting for a second Admin user's approval, `address` outside the key's allowed
        networks (a key with networks refuses an unknown address). State is read from the database
        on every call, so a deletion, the end of validity or a suspension takes effect on the very
        next request.
        """
        try:
            parsed = tokens.parse_token(raw)
        except tokens.MalformedToken:
            return Verification(Failure.MALFORMED)
        row = sql.VERIFY.fetchone([parsed.key_id])
        if not tokens.secret_matches(parsed.secret, row["secret_hash"] if row else None) or row["api"] != parsed.api:
            if row is None:
                return Verification(Failure.UNKNOWN)
            # A wrong secret on an existing key ID: pk, key ID and organization only, for the audit
            # log's count of failures per key and hour; the client is told nothing more than "unknown".
            return Verification(
                Failure.UNKNOWN, pk=row["pk"], key_id=parsed.key_id, organization_id=row["organization_id"]
            )
        valid_until = _as_date(row["valid_until"])
        ends_at = _as_datetime(row["ends_at"])
        status = status_of(row["revoked_at"], valid_until, ends_at=ends_at)
        if status == Status.DELETED:
            failure = Failure.DELETED
        elif status == Status.REPLACED:
            failure = Failure.REPLACED
        elif status == Status.EXPIRED:
            failure = Failure.EXPIRED
        elif not row["user_active"] or row["user_organization_id"] != row["organization_id"]:
            failure = Failure.USER_INACTIVE  # a user who left the key's organization is inactive for it
        elif api is not None and api != row["api"]:
            failure = Failure.WRONG_API
        # The contract's security policy: the suspension and the approval ride along in the same row.
        elif row["keys_suspended_at"] is not None:
            failure = Failure.SUSPENDED
        elif row["approval_requested_at"] is not None and row["approved_at"] is None:
            failure = Failure.PENDING_APPROVAL
        elif row["allowed_networks"] and not networks.allows(
            row["allowed_networks"], address() if callable(address) else address
        ):
            failure = Failure.ADDRESS_NOT_ALLOWED
        else:
            failure = None
        return Verification(
            failure,
            pk=row["pk"],
            key_id=parsed.key_id,
            api=row["api"],
            valid_until=valid_until,
            ends_at=ends_at,
            user_id=row["user_id"],
            username=row["username"],
            organization_id=row["organization_id"],
            organization_name=row["organization_name"],
            last_used_at=_as_datetime(row["last_used_at"]),
        )

    LAST_USED_INTERVAL = datetime.timedelta(seconds=60)

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
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=since)
        return self.filter(stale, pk=verification.pk).update(last_used_at=now, last_used_ip=ip) > 0


class ApiKey(LoadedWithoutInit, models.Model):
    """An API key for the Billing Solutions API. Its secret is never stored, only its HMAC.

    Status is derived: deleted once `revoked_at` is set, replaced once the `ends_at` chosen at its
    replacement has come, expired once `valid_until` has passed (in Europe/Zurich), valid otherwise.
    The end states are final; the database refuses an update that clears a revocation or extends the
    validity, changes the key material, its creation time or its key ID, deletes or replaces the row
    (triggers of migrations 0002_final_states_guard and 0012_keys_kept_forever), clears or postpones
    `ends_at` (0017_replacement_guard), and a validity end more than two years after creation (a
    CHECK). Keys are kept for ever: «Expired and deleted keys» lists them.
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
    # The contract's security policy (issue 13). Nullable without defaults, so that adding them keeps
    # the table (and its final-state trigger) on SQLite.
    # Allowed networks, canonical CIDR separated by spaces (`apikeys.networks`); empty: any address.
    allowed_networks = models.TextField(_("allowed networks"), null=True, blank=True, editable=False)  # noqa: DJ001
    # Four-eyes: set when the key was created waiting for a second Admin user's approval.
    approval_requested_at = models.DateTimeField(_("approval requested on"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # «Replace»: the new key points to the key it replaces (one successor at most: a partial unique
    # constraint, which SQLite adds without rebuilding the table and losing its triggers); the old
    # key's `ends_at` is the moment it stops working, set once (the database refuses to clear or
    # postpone it, trigger of migration 0017_replacement_guard).
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
        editable=False,
    )
    ends_at = models.DateTimeField(_("replaced, stops working on"), null=True, blank=True, editable=False)

    objects = ApiKeyManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        indexes = [
            # Every column of the status rule (`valid_q`): the key list counts both of its tables in
            # one read of this index alone, never of the table (tools.bench_auth at 10,000 keys).
            models.Index(fields=["organization", "revoked_at", "valid_until", "ends_at"], name="apikey_org_status"),
            # The orders of the key list (tools.bench_auth: 10,000 keys list as fast as 10): the valid
            # keys newest first, read in index order and stopped after a page instead of sorted.
            models.Index(
                fields=["organization", "-created_at", "-id"],
                name="apikey_org_valid_order",
                condition=Q(revoked_at__isnull=True),
            ),
            # «Expired and deleted keys» in ENDED_ORDER: migration 0008 (NULLS LAST is written in the
            # index on PostgreSQL only; SQLite's DESC puts NULLs last already and refuses the clause there).
        ]
        constraints = [
            # A deletion names who deleted it, except a key reported as exposed: anyone may report a
            # token they found, and the reporter is no user (their address is in the audit log).
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True)
                | Q(revoked_by__isnull=False)
                | Q(revoked_by__isnull=True, revoke_reason=EXPOSED_REASON),
                name="apikey_revoked_has_actor",
            ),
            # A secret's hash does not depend on the key ID: a copy under another key ID would revive it.
            models.UniqueConstraint(fields=["secret_hash"], name="apikey_unique_secret_hash"),
            # The guide's rule 4 in the database itself: no key is valid for (much) more than two years.
            models.CheckConstraint(
                condition=Q(valid_until__lte=LatestValidUntilInDatabase("created_at")),
                name="apikey_valid_at_most_two_years",
            ),
            models.UniqueConstraint(
                fields=["replaces"], condition=Q(replaces__isnull=False), name="apikey_one_replacement"
            ),
        ]

    def __str__(self) -> str:
        return self.key_id

    @property
    def status(self) -> str:
        return self.status_at()

    def status_at(self, today: datetime.date | None = None, now: datetime.datetime | None = None) -> str:
        """The status on `today` at `now` (default: this moment): a page of keys asks once for all rows."""
        return status_of(self.revoked_at, self.valid_until, today, ends_at=self.ends_at, now=now)

    @property
    def days_left(self) -> int:
        return days_left(self.valid_until)

    @property
    def expires_soon(self) -> bool:
        return self.expires_soon_at()

    def expires_soon_at(self, today: datetime.date | None = None, now: datetime.datetime | None = None) -> bool:
        """A valid key, not being replaced, whose validity ends within `EXPIRES_SOON_DAYS` days."""
        return (
            self.ends_at is None
            and self.status_at(today, now) == Status.VALID
            and days_left(self.valid_until, today) <= EXPIRES_SOON_DAYS
        )

    @property
    def stops_at(self) -> datetime.datetime:
        """When the key stops working at the latest: the end of its overlap, else of its validity."""
        end = end_of_validity(self.valid_until)
        return min(end, self.ends_at) if self.ends_at else end

    def get_status_display(self) -> str:
        return Status(self.status).label

    @property
    def is_valid(self) -> bool:
        return self.status == Status.VALID

    @property
    def reported_exposed(self) -> bool:
        """Deleted because its token was reported as exposed (no actor: see EXPOSED_REASON)."""
        return self.revoked_at is not None and self.revoked_by_id is None and self.revoke_reason == EXPOSED_REASON

    @property
    def expired_on(self) -> datetime.date:
        """The first day on which the key no longer worked."""
        if self.ends_at is not None and self.ends_at < end_of_validity(self.valid_until):
            return timezone.localdate(self.ends_at)
        return self.valid_until + datetime.timedelta(days=1)

    @property
    def network_list(self) -> list[str]:
        return (self.allowed_networks or "").split()

    @property
    def is_pending_approval(self) -> bool:
        """Created under four-eyes and not approved yet: the API refuses it (`Failure.PENDING_APPROVAL`)."""
        return self.approval_requested_at is not None and self.approved_at is None

    @property
    def approval_deadline(self) -> datetime.datetime | None:
        """Until when a second Admin user may approve the key; after that it is deleted."""
        return self.approval_requested_at + APPROVAL_WINDOW if self.approval_requested_at else None

    def approval_lapsed(self, now: datetime.datetime | None = None) -> bool:
        return self.is_pending_approval and (now or timezone.now()) >= self.approval_deadline


class Action(models.TextChoices):
    KEY_CREATED = "key_created", _("Key created")
    KEY_DELETED = "key_deleted", _("Key deleted")
    KEY_REPLACED = "key_replaced", _("Key replaced")
    KEY_REVOKED = "key_revoked", _("Key revoked by bank support")
    KEY_EXPOSED = "key_exposed", _("Key deleted: reported as exposed")
    AUTH_FAILED = "auth_failed", _("Failed API authentication")
    KEY_IN_URL = "key_in_url", _("Key sent in a URL")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Login locked")
    # The contract's security policy (issue 13).
    POLICY_CHANGED = "policy_changed", _("Security policy changed")
    POLICY_REQUESTED = "policy_requested", _("Security policy change requested")
    POLICY_APPROVED = "policy_approved", _("Security policy change approved")
    POLICY_REJECTED = "policy_rejected", _("Security policy change rejected")
    KEY_APPROVED = "key_approved", _("Key approved")
    KEY_REJECTED = "key_rejected", _("Key rejected")
    APPROVAL_LAPSED = "approval_lapsed", _("Key deleted: not approved in time")
    KEY_NETWORKS = "key_networks", _("Allowed networks of a key changed")
    KEYS_SUSPENDED = "keys_suspended", _("All keys suspended")
    KEYS_RESUMED = "keys_resumed", _("All keys resumed")
    # What the bank's staff changed about a user of the organization (users.signals.Change: the same values).
    USER_ADDED = "user_added", _("User added by bank support")
    ADMIN_GRANTED = "admin_granted", _("Admin flag granted by bank support")
    ADMIN_WITHDRAWN = "admin_withdrawn", _("Admin flag withdrawn by bank support")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated by bank support")
    USER_REACTIVATED = "user_reactivated", _("User reactivated by bank support")
    USER_MOVED_OUT = "user_moved_out", _("User moved to another organization by bank support")
    USER_MOVED_IN = "user_moved_in", _("User moved here by bank support")
    USER_CHANGED = "user_changed", _("User details changed by bank support")
    PASSWORD_LINK_SENT = "password_link_sent", _("Set-password link sent by bank support")


# Entries of what the bank's staff did (shown as «bank support» with the staff user's name).
BANK_ACTIONS = frozenset(
    {
        Action.KEY_REVOKED,
        Action.USER_ADDED,
        Action.ADMIN_GRANTED,
        Action.ADMIN_WITHDRAWN,
        Action.USER_DEACTIVATED,
        Action.USER_REACTIVATED,
        Action.USER_MOVED_OUT,
        Action.USER_MOVED_IN,
        Action.USER_CHANGED,
        Action.PASSWORD_LINK_SENT,
    }
)

# The reason recorded when a user's keys are deleted because the user left (deactivated, or moved
# to another organization); stored in English, shown in the reader's language.
REASON_USER_LEFT = gettext_noop("The user left the organization or was deactivated.")
KNOWN_REASONS = frozenset({REASON_USER_LEFT})


class ExposureSource(models.TextChoices):
    """Where a token was reported as exposed."""

    REPORT = "report", _("reported to the public revocation endpoint")
    GITHUB = "github", _("found by GitHub secret scanning")


class AppendOnly(Exception):
    """An audit entry cannot be changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AppendOnly("audit entries cannot be deleted")

    def of_organization(self, organization_id: int):
        return self.filter(organization_id=organization_id)

    def involving(self, user):
        """Entries in which `user` acted or which concern them (the key's user, the login tried)."""
        return self.filter(models.Q(actor=user) | models.Q(subject=user))


class AuditEvent(models.Model):
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The username as it was, or as typed at a failed login (which may match no user).
    username = models.CharField(_("user identification"), max_length=150, blank=True, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    organization = models.ForeignKey(
        "users.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    key_id = models.CharField(_("key ID"), max_length=tokens.KEY_ID_LENGTH, blank=True, editable=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True, editable=False)
    details = models.JSONField(_("details"), default=dict, blank=True, editable=False)
    # Failed API authentications: one row per key and hour; `count` grows, `last_at` follows.
    hour = models.DateTimeField(_("hour"), null=True, blank=True, editable=False)
    count = models.PositiveIntegerField(_("count"), default=1, editable=False)
    last_at = models.DateTimeField(_("last time"), null=True, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["organization", "-at"], name="audit_org_time"),
            models.Index(fields=["key_id"], name="audit_key_id"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["key_id", "hour"], condition=models.Q(action="auth_failed"), name="audit_auth_failed_key_hour"
            ),
            models.CheckConstraint(
                condition=models.Q(action="auth_failed", hour__isnull=False)
                | (~models.Q(action="auth_failed") & models.Q(hour__isnull=True, count=1)),
                name="audit_counter_only_for_auth_failures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.key_id or self.username}".rstrip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be deleted")

    @property
    def api_display(self) -> str:
        api = self.details.get("api")
        return Api(api).label if api in Api.values else ""

    @property
    def valid_until(self) -> datetime.date | None:
        value = self.details.get("valid_until")
        return datetime.date.fromisoformat(value) if value else None

    @property
    def ends_at(self) -> datetime.datetime | None:
        """Of a replacement: when the old key stops working."""
        value = self.details.get("ends_at")
        return datetime.datetime.fromisoformat(value) if value else None

    @property
    def new_key_id(self) -> str:
        return self.details.get("new_key_id", "")

    @property
    def reason(self) -> str:
        return self.details.get("reason", "")

    @property
    def reason_display(self) -> str:
        """The reason as stored (support's words), or translated when the product wrote it."""
        return gettext(self.reason) if self.reason in KNOWN_REASONS else self.reason

    @property
    def by_bank(self) -> bool:
        return self.action in BANK_ACTIONS

    @property
    def changed_fields_display(self) -> str:
        """The user's fields that a ``user_changed`` entry names, by their labels."""
        meta = get_user_model()._meta
        labels = []
        for name in self.details.get("fields", []):
            try:
                labels.append(str(meta.get_field(name).verbose_name))
            except FieldDoesNotExist:  # a field renamed since: its stored name
                labels.append(name)
        return ", ".join(labels)

    @property
    def exposure_source_display(self) -> str:
        """Where a key reported as exposed was reported (`ExposureSource`)."""
        source = self.details.get("source")
        return ExposureSource(source).label if source in ExposureSource.values else ""

    @property
    def exposure_url(self) -> str:
        """The address at which the token was found, as the secret scanner reported it."""
        return self.details.get("url", "")

    @property
    def failure_display(self) -> str:
        """Why the latest API authentication of a failure row was refused."""
        return Failure(self.reason).label if self.reason in Failure.values else ""


# --- The contract's security policy (issue 13) --------------------------------------------------


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

    def weakened_by(self, *, max_validity_days: int | None, four_eyes: bool, allowed_networks: str) -> bool:
        """Whether these values would weaken the policy: four-eyes off, a longer maximum, wider networks."""
        # None is the guide's two years: the longest there is.
        longer = self.max_validity_days is not None and (
            max_validity_days is None or max_validity_days > self.max_validity_days
        )
        wider = not networks.within(networks.parse(allowed_networks), networks.parse(self.allowed_networks))
        return (self.four_eyes and not four_eyes) or longer or wider


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a later request")


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
    key = models.ForeignKey(ApiKey, verbose_name=_("API key"), on_delete=models.CASCADE, null=True, related_name="+")
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
    def max_validity_days(self):
        return self.values.get("max_validity_days")

    @property
    def four_eyes(self):
        return self.values.get("four_eyes")

    @property
    def network_list(self) -> list[str]:
        return (self.values.get("allowed_networks") or "").split()
