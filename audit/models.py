"""The audit log («Activity»): an append-only record of who did what, from where and when.

It sits below the apps that write to it (`billing → apikeys → users → audit`): its foreign keys name
the user and the organization by string, as `django.contrib.admin.models.LogEntry` does, and what it
needs to show an entry — its actions, which of them are the bank's, the reasons the product writes
and the known refusal reasons of the API — is stated here, so that no writer has to mirror it.

Append-only, twice over: the model refuses to save an existing entry or to delete one, and the
database refuses an UPDATE (trigger `apikeys_audit_append_only`, created when the log was added),
except the counter of a failed-authentication row, which may only grow, and a DELETE (on SQLite
since `0012_keys_kept_forever`; PostgreSQL also a TRUNCATE). pytest-django's flush of the tests gets
around it in the tests only (tests/conftest.py).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from efinance.lib.bidi import PlainCharField, PlainJSONField

# The length of an API key's public ID (`apikeys.tokens.KEY_ID_LENGTH`, which a test compares).
KEY_ID_MAX_LENGTH = 12


class Failure(models.TextChoices):
    """Why a token was refused, in the order verification finds out."""

    MALFORMED = "malformed", _("The token is malformed or its checksum does not match.")
    UNKNOWN = "unknown", _("Unknown key ID or wrong secret.")
    DELETED = "deleted", _("The key has been deleted.")
    EXPIRED = "expired", _("The key has expired.")
    REPLACED = "replaced", _("The key has been replaced and its overlap has ended.")
    USER_INACTIVE = "user_inactive", _("The key's user has been deactivated.")
    WRONG_API = "wrong_api", _("The key is for the other API.")
    # The contract's security policy.
    SUSPENDED = "suspended", _("All keys of the contract are suspended.")
    PENDING_APPROVAL = "pending_approval", _("The key waits for a second Admin user's approval.")
    ADDRESS_NOT_ALLOWED = "address_not_allowed", _("The request came from an address the key does not allow.")
    # Least privilege: a valid key asked for something outside its scopes.
    INSUFFICIENT_SCOPE = "insufficient_scope", _("The key lacks the scope of the request.")


class Action(models.TextChoices):
    KEY_CREATED = "key_created", _("Key created")
    KEY_DELETED = "key_deleted", _("Key deleted")
    KEY_REPLACED = "key_replaced", _("Key replaced")
    KEY_REVOKED = "key_revoked", _("Key revoked by bank support")
    KEY_EXPOSED = "key_exposed", _("Key deleted: reported as exposed")
    AUTH_FAILED = "auth_failed", _("Failed API authentication")
    KEY_NEW_NETWORK = "key_new_network", _("Key used from a new network")
    KEY_IN_URL = "key_in_url", _("Key sent in a URL")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Login locked")
    # The contract's security policy.
    POLICY_CHANGED = "policy_changed", _("Security policy changed")
    POLICY_REQUESTED = "policy_requested", _("Security policy change requested")
    POLICY_APPROVED = "policy_approved", _("Security policy change approved")
    POLICY_REJECTED = "policy_rejected", _("Security policy change rejected")
    KEY_APPROVED = "key_approved", _("Key approved")
    KEY_REJECTED = "key_rejected", _("Key rejected")
    APPROVAL_LAPSED = "approval_lapsed", _("Key deleted: not approved in time")
    REQUEST_LAPSED = "request_lapsed", _("Request lapsed: the requester left")
    KEY_NETWORKS = "key_networks", _("Allowed networks of a key changed")
    KEYS_SUSPENDED = "keys_suspended", _("All keys suspended")
    KEYS_RESUMED = "keys_resumed", _("All keys resumed")
    REPORT_DOWNLOADED = "report_downloaded", _("Credential report downloaded")
    # Technical users of the contract («ERP Abacus»), managed by its Admin users.
    TECHNICAL_USER_CREATED = "tech_user_created", _("Technical user created")
    TECHNICAL_USER_CHANGED = "tech_user_changed", _("Technical user renamed or described")
    TECHNICAL_USER_DEACTIVATED = "tech_user_disabled", _("Technical user deactivated")
    # What the bank's staff changed about a user of the organization (recorded by `users.services`).
    USER_ADDED = "user_added", _("User added by bank support")
    ADMIN_GRANTED = "admin_granted", _("Admin flag granted by bank support")
    ADMIN_WITHDRAWN = "admin_withdrawn", _("Admin flag withdrawn by bank support")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated by bank support")
    USER_REACTIVATED = "user_reactivated", _("User reactivated by bank support")
    USER_MOVED_OUT = "user_moved_out", _("User moved to another organization by bank support")
    USER_MOVED_IN = "user_moved_in", _("User moved here by bank support")
    USER_CHANGED = "user_changed", _("User details changed by bank support")
    PASSWORD_LINK_SENT = "password_link_sent", _("Set-password link sent by bank support")
    # A user added, the Admin flag granted or a login address changed by the bank waits for a second
    # staff user and the organization's confirmation (`users.bank_changes`).
    CHANGE_REQUESTED = "bank_requested", _("Change asked for by bank support")
    CHANGE_APPROVED = "bank_approved", _("Change approved by a second bank employee")
    CHANGE_WITHDRAWN = "bank_withdrawn", _("Change refused by bank support")
    CHANGE_CONFIRMED = "bank_confirmed", _("Change by bank support confirmed")
    CHANGE_REFUSED = "bank_refused", _("Change by bank support refused")
    FIRST_ADMIN_LOGIN = "first_admin_login", _("First login of the Admin user onboarded by the bank")
    ADMIN_CONFIRMED = "admin_confirmed", _("Admin user onboarded by the bank confirmed")
    ORGANIZATION_ADDED = "org_added", _("Organization created by bank support")
    ORGANIZATION_CHANGED = "org_changed", _("Organization changed by bank support")
    # The second factor (users.factors).
    FACTOR_ADDED = "factor_added", _("Second factor added")
    FACTOR_REMOVED = "factor_removed", _("Second factor removed")
    FACTOR_RESET = "factor_reset", _("Second factor reset")
    FACTOR_RESET_BY_SUPPORT = "factor_reset_support", _("Second factor reset by bank support")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    RECOVERY_CODES_NEW = "recovery_codes_new", _("New recovery codes made")
    FACTOR_LOGIN_FAILED = "factor_login_failed", _("Failed login: wrong second factor")
    STEP_UP_FAILED = "step_up_failed", _("Confirmation failed: wrong second factor or password")
    # The per-account login limit (users.limits).
    ACCOUNT_LOCKED = "account_locked", _("Login locked: too many failed logins")
    LOCK_LIFTED = "lock_lifted", _("Login lock lifted")
    LOCK_LIFTED_BY_SUPPORT = "lock_lifted_support", _("Login lock lifted by bank support")
    # «Log out everywhere»: every session of the user ended, by the user or by the bank's support.
    SESSIONS_ENDED = "sessions_ended", _("Logged out everywhere")
    SESSIONS_ENDED_BY_SUPPORT = "sessions_end_support", _("Logged out everywhere by bank support")


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
        Action.FACTOR_RESET_BY_SUPPORT,
        Action.SESSIONS_ENDED_BY_SUPPORT,
        Action.CHANGE_REQUESTED,
        Action.CHANGE_APPROVED,
        Action.CHANGE_WITHDRAWN,
        Action.ORGANIZATION_ADDED,
        Action.ORGANIZATION_CHANGED,
        Action.LOCK_LIFTED_BY_SUPPORT,
    }
)

# Entries about a change of a customer's login that the bank asked for (`users.BankChange`); their
# details name the change, the user's real name and address.
BANK_CHANGE_ACTIONS = frozenset(
    {
        Action.CHANGE_REQUESTED,
        Action.CHANGE_APPROVED,
        Action.CHANGE_WITHDRAWN,
        Action.CHANGE_CONFIRMED,
        Action.CHANGE_REFUSED,
    }
)

# The groups of «Activity»'s action filter, in its order: each action in exactly one; a group is
# chosen whole («All of: Keys») or one action of it. The bank's support is a group of its own.
ACTION_GROUPS: dict[str, tuple[str, list[str]]] = {
    "keys": (
        _("Keys"),
        [
            Action.KEY_CREATED,
            Action.KEY_REPLACED,
            Action.KEY_DELETED,
            Action.KEY_EXPOSED,
            Action.KEY_NETWORKS,
            Action.KEY_NEW_NETWORK,
            Action.AUTH_FAILED,
            Action.KEY_IN_URL,
            Action.REPORT_DOWNLOADED,
        ],
    ),
    "approvals": (
        _("Approvals"),
        [
            Action.KEY_APPROVED,
            Action.KEY_REJECTED,
            Action.APPROVAL_LAPSED,
            Action.REQUEST_LAPSED,
            Action.POLICY_REQUESTED,
            Action.POLICY_APPROVED,
            Action.POLICY_REJECTED,
            Action.CHANGE_CONFIRMED,
            Action.CHANGE_REFUSED,
            Action.ADMIN_CONFIRMED,
        ],
    ),
    "logins": (
        _("Logins and second factors"),
        [
            Action.LOGIN,
            Action.LOGIN_FAILED,
            Action.LOCKED_OUT,
            Action.ACCOUNT_LOCKED,
            Action.LOCK_LIFTED,
            Action.FIRST_ADMIN_LOGIN,
            Action.FACTOR_LOGIN_FAILED,
            Action.STEP_UP_FAILED,
            Action.FACTOR_ADDED,
            Action.FACTOR_REMOVED,
            Action.FACTOR_RESET,
            Action.RECOVERY_CODE_USED,
            Action.RECOVERY_CODES_NEW,
            Action.SESSIONS_ENDED,
        ],
    ),
    "contract": (
        _("Security policy and technical users"),
        [
            Action.POLICY_CHANGED,
            Action.KEYS_SUSPENDED,
            Action.KEYS_RESUMED,
            Action.TECHNICAL_USER_CREATED,
            Action.TECHNICAL_USER_CHANGED,
            Action.TECHNICAL_USER_DEACTIVATED,
        ],
    ),
    "support": (_("Bank support"), sorted(BANK_ACTIONS)),
}

# The reason recorded when a user's keys are deleted because the user left (deactivated, or moved
# to another organization); stored in English, shown in the reader's language.
REASON_USER_LEFT = gettext_noop("The user left the organization or was deactivated.")
KNOWN_REASONS = frozenset({REASON_USER_LEFT})


class ExposureSource(models.TextChoices):
    """Where a token was reported as exposed."""

    REPORT = "report", _("reported to the public revocation endpoint")
    GITHUB = "github", _("found by GitHub secret scanning")


class FactorKind(models.TextChoices):
    """A user's second factor (users.factors), as entries about it name it."""

    TOTP = "totp", _("Authenticator app")
    PASSKEY = "passkey", _("Passkey")
    RECOVERY_CODE = "recovery_code", _("Recovery code")


# Each action's label (lazy: translated when shown), for `AuditEvent.get_action_display`.
ACTION_LABELS = dict(Action.choices)


class AppendOnly(Exception):
    """An audit entry cannot be changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AppendOnly("audit entries cannot be deleted")

    def of_organization(self, organization_id: int):
        return self.filter(organization_id=organization_id)


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
    username = PlainCharField(_("user identification"), max_length=150, blank=True, editable=False)
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
    key_id = models.CharField(_("key ID"), max_length=KEY_ID_MAX_LENGTH, blank=True, editable=False)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True, editable=False)
    details = PlainJSONField(_("details"), default=dict, blank=True, editable=False)
    # Failed API authentications: one row per key and hour; `count` grows, `last_at` follows.
    hour = models.DateTimeField(_("hour"), null=True, blank=True, editable=False)
    count = models.PositiveIntegerField(_("count"), default=1, editable=False)
    last_at = models.DateTimeField(_("last time"), null=True, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        # «Activity» pages by position (`audit.pages`): each of its filters reads one index in the
        # log's order (time, then ID) and stops after a page, at any depth of the log.
        indexes = [
            models.Index(fields=["organization", "-at", "-id"], name="audit_org_time"),
            models.Index(fields=["organization", "action", "-at", "-id"], name="audit_org_action"),
            models.Index(fields=["organization", "key_id", "-at", "-id"], name="audit_org_key"),
            models.Index(fields=["organization", "actor", "-at", "-id"], name="audit_org_actor"),
            models.Index(fields=["organization", "subject", "-at", "-id"], name="audit_org_subject"),
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

    def get_action_display(self) -> str:
        """Django's label of the action, from a map made once: Django's own makes the map of every
        action's label, each translated, for each entry (2,000 translations a page of «Activity»)."""
        return str(ACTION_LABELS.get(self.action, self.action))

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
    def factor_kind_display(self) -> str:
        kind = self.details.get("kind", "")
        return FactorKind(kind).label if kind in FactorKind.values else kind

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
    def is_bank_change(self) -> bool:
        return self.action in BANK_CHANGE_ACTIONS

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
