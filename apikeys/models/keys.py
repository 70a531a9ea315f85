"""API keys: the token's stored half, its verification and its lifecycle."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import networks, sql, tokens
from apikeys.models.choices import ALL_SCOPES, Api, Scope, Status, scope_spellings
from apikeys.models.policy import APPROVAL_WINDOW
from apikeys.models.status import status_of, valid_q
from apikeys.models.validity import EXPIRES_SOON_DAYS, LatestValidUntilInDatabase, days_left, end_of_validity
from audit.models import Failure
from efinance.lib.bidi import PlainCharField
from efinance.lib.loading import LoadedWithoutInit

# The reason of a key deleted because its token was reported as exposed (the public revocation
# endpoint, a secret-scanning alert): the one revocation without an actor (constraint
# `apikey_revoked_has_actor`), since nobody of the bank or the customer decided it.
EXPOSED_REASON = "reported as exposed"


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
    last_used_ip: str | None = None
    any_address: bool = False  # the key has no allowed networks
    scopes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failure is None

    def allows(self, scope: str) -> bool:
        """The key has `scope` (`Scope`)."""
        return scope in self.scopes

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

    def working(self):
        """Keys the API would accept apart from their dates, user and networks: not deleted, not
        waiting for approval."""
        return self.filter(revoked_at__isnull=True).filter(
            Q(approval_requested_at__isnull=True) | Q(approved_at__isnull=False)
        )

    def in_overlap(self):
        """Valid keys that have been replaced and still work until their `ends_at`."""
        return self.valid().filter(ends_at__isnull=False)


class ApiKeyManager(models.Manager.from_queryset(ApiKeyQuerySet)):
    def release_predecessors(self, successors, now: datetime.datetime | None = None) -> int:
        """The keys that `successors` (rejected, lapsed or deleted) were to replace work on to their own
        end of validity: their end of overlap, not yet come, is cleared, unless another successor of
        theirs works. The one change of `ends_at` besides setting it or bringing it forward that the
        replacement guard allows (migration 0023_replacement_waits_for_approval). Answers how many."""
        now = now or timezone.now()
        replaced = self.filter(pk__in=successors, replaces__isnull=False).values("replaces")
        return (
            self.filter(pk__in=replaced, revoked_at__isnull=True, ends_at__gt=now)
            .exclude(pk__in=self.working().filter(replaces__isnull=False).values("replaces"))
            .update(ends_at=None)
        )

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
            last_used_ip=str(row["last_used_ip"]) if row["last_used_ip"] is not None else None,
            any_address=not row["allowed_networks"],
            scopes=tuple(row["scopes"].split()),
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
    (triggers of migrations 0002_final_states_guard and 0012_keys_kept_forever), postpones `ends_at`
    or clears it unless the key's successor does not work and the end has not come
    (0023_replacement_waits_for_approval), and a validity end more than two years after creation (a
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
    note = PlainCharField(_("Note"), max_length=200, blank=True)
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
    revoke_reason = PlainCharField(_("reason"), max_length=500, blank=True, editable=False)
    # Single-use value of the creation form that made this key: a replayed or double-clicked
    # Create finds it taken and makes no second key.
    form_nonce = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001 (NULLs are not unique)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True, editable=False)
    # The contract's security policy. Nullable without defaults, so that adding them keeps
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
    # What the key may do (`Scope`), fixed at creation: the names separated by a space in the order of
    # `Scope` (`scopes_value`). At least one, and only known ones: the CHECK `apikey_has_scope`; the
    # database refuses a change (trigger of migration 0021_key_scopes). To change them, «Replace» the key.
    scopes = models.CharField(_("scopes"), max_length=40, default=ALL_SCOPES, editable=False)
    # A replacement that waits for a second Admin user's approval: the overlap chosen for the key it
    # replaces, counted from the approval (the moment this key starts working), never before.
    replaces_overlap = models.DurationField(_("overlap after approval"), null=True, blank=True, editable=False)

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
            # «Needs attention» (`apikeys.attention`) at any size of the contract: the keys waiting for an
            # approval, and the replaced keys whose overlap ends soon, each in an index of those alone.
            models.Index(
                fields=["organization", "approval_requested_at"],
                name="apikey_org_waiting",
                condition=Q(approval_requested_at__isnull=False, approved_at__isnull=True, revoked_at__isnull=True),
            ),
            models.Index(
                fields=["organization", "ends_at"],
                name="apikey_org_replaced",
                condition=Q(ends_at__isnull=False, revoked_at__isnull=True),
            ),
            # The creators of a contract's keys, one step each (`apikeys.sql.CREATORS`): the band of the
            # tokens that leavers saw starts from the creators who left, then reads their valid keys here
            # (the status columns too, so that SQLite prefers it to apikey_org_status without statistics).
            models.Index(
                fields=["organization", "created_by", "revoked_at", "valid_until", "ends_at"], name="apikey_org_creator"
            ),
            # User management counts each user's valid keys (and those that expire soon) from this index
            # alone, never from the table.
            models.Index(fields=["user", "revoked_at", "valid_until", "ends_at"], name="apikey_user_status"),
            # «Expired and deleted keys» in ENDED_ORDER: `0009_key_list_order_indexes` (NULLS LAST is in the
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
            # One successor at a time: a rejected, lapsed or deleted one leaves the key to be replaced again.
            models.UniqueConstraint(
                fields=["replaces"],
                condition=Q(replaces__isnull=False, revoked_at__isnull=True),
                name="apikey_one_live_replacement",
            ),
            # Least privilege: a key may do at least one thing, and nothing unknown.
            models.CheckConstraint(condition=Q(scopes__in=scope_spellings()), name="apikey_has_scope"),
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
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def scope_labels(self) -> list[str]:
        """The scopes in words («Read documents», «Deliver documents»), in the reader's language."""
        return [Scope(value).label for value in self.scopes.split()]

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

    def successor(self) -> "ApiKey | None":
        """The key that replaces this one and is not deleted (waiting for approval or working), if any."""
        return self.replacements.filter(revoked_at__isnull=True).first()

    def approval_lapsed(self, now: datetime.datetime | None = None) -> bool:
        return self.is_pending_approval and (now or timezone.now()) >= self.approval_deadline
