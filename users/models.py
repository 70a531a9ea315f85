from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as AuthUserManager
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from efinance.lib.bidi import PlainCharField


def active_admin_q() -> Q:
    """The users who act as an e-finance Admin user: the Admin flag, and still active. Stated once;
    every list of «the Admin users of an organization» (e-mails, approvals, whom to contact) asks it."""
    return Q(is_active=True, is_org_admin=True)


class UserQuerySet(models.QuerySet):
    def active_admins(self, organization_id: int | None = None):
        """The active e-finance Admin users (of `organization_id`, when given)."""
        admins = self.filter(active_admin_q())
        return admins if organization_id is None else admins.filter(organization_id=organization_id)

    def by_name(self):
        """In the order in which a notice names them («Ask Anna Admin or Bruno Berger»)."""
        return self.order_by("last_name", "first_name", "username")

    def people(self):
        return self.filter(is_technical=False)

    def technical(self):
        """The technical users («ERP Abacus»): identities of a contract that own keys, never log in."""
        return self.filter(is_technical=True)


class UserManager(AuthUserManager.from_queryset(UserQuerySet)):
    pass


class Organization(models.Model):
    """One e-finance contract. Every customer user belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    # Emergency stop of the contract's security policy: while set, every key of the organization is
    # refused (read in the API's one verification query). Set and cleared by `apikeys.policy`.
    keys_suspended_at = models.DateTimeField(_("all keys suspended since"), null=True, blank=True, editable=False)
    keys_suspended_by = models.ForeignKey(
        "users.User",
        verbose_name=_("suspended by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    keys_suspension_reason = PlainCharField(_("reason of the suspension"), max_length=500, blank=True, editable=False)
    # The security policy's «Admin users must use a second factor» (`users.factors.services.
    # factor_required`): set by `apikeys.policy`, never by the bank's staff. Here rather than on the
    # policy itself, so that the login and the enrolment, which `users` owns, can read it. A default in
    # the database too, for rows written by code that predates the column (a migration's own models).
    admins_need_factor = models.BooleanField(
        _("Admin users must use a second factor"), default=False, db_default=False, editable=False
    )
    # When the contract first had an Admin user of its own (set by `users.services` and
    # `users.bank_changes` when one takes effect or is changed; by the migration for those before). A
    # contract that had one is never onboarded again by the bank alone: its new Admin users, addresses
    # and moves wait for one of its Admin users (`Organization.had_admins`).
    had_admin_at = models.DateTimeField(_("had an Admin user since"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    @property
    def keys_suspended(self) -> bool:
        return self.keys_suspended_at is not None

    def active_admins(self):
        return self.users.active_admins()

    def had_admins(self) -> bool:
        """Whether the contract ever had an Admin user: recorded, or an Admin flag still on a user (rows
        written outside the services: the demo data, a shell)."""
        return self.had_admin_at is not None or self.users.filter(is_org_admin=True).exists()

    @classmethod
    def mark_had_admin(cls, organization_id: int | None) -> None:
        if organization_id is not None:
            cls.objects.filter(pk=organization_id, had_admin_at__isnull=True).update(had_admin_at=timezone.now())


class User(AbstractUser):
    """An e-finance user. `username` is the «User identification» shown on every screen.

    Customer users belong to one organization; the bank's support staff (Django staff) to none.
    """

    # Names are free text that others read (a technical user's name is its only label): a bidirectional
    # control is refused where typed (the admin's and the technical user's forms) and, where one is
    # stored anyway, read as its visible code (`efinance.lib.bidi`). The columns are Django's own.
    first_name = PlainCharField(_("first name"), max_length=150, blank=True)
    last_name = PlainCharField(_("last name"), max_length=150, blank=True)
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
    # The language of the e-mails to this user: set from the language switch; empty until then.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    # When the bank's staff last changed the e-mail address: a set-password link waits a while after
    # it (`users.services.set_password_link_held_until`).
    email_changed_by_staff_at = models.DateTimeField(_("e-mail address changed by the bank"), null=True, blank=True)
    # When two of the bank's staff made this user an Admin user of a contract that had no active Admin
    # user to confirm it (onboarding, `users.bank_changes`): their first login is marked on «Activity».
    admin_onboarded_at = models.DateTimeField(
        _("made the first Admin user by the bank"), null=True, blank=True, editable=False
    )
    # Such an Admin user was made by the bank alone: they decide no four-eyes request (a key, a policy
    # change) until another Admin user of the organization, one not made so, confirms them (User
    # management → «Confirm as Admin user», `users.bank_changes.onboarded_admin_confirm`).
    admin_confirmed_at = models.DateTimeField(
        _("confirmed as Admin user by the organization on"), null=True, blank=True, editable=False
    )
    admin_confirmed_by = models.ForeignKey(
        "self",
        verbose_name=_("confirmed as Admin user by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # Set when someone else reset the user's second factor (a lost phone): the user must set up a new
    # one at the next login, whatever the policy. Cleared by the enrolment.
    must_enrol_factor = models.BooleanField(
        _("must set up a second factor"), default=False, db_default=False, editable=False
    )
    # A technical user («ERP Abacus») owns keys on behalf of the contract: no password, no e-mail,
    # never staff or Admin, never able to log in (`users.backends.UserBackend` looks up people only).
    # Fixed at creation: nobody turns a person into one or back, nor moves one to another organization
    # (CHECK `technical_user_is_no_person`, trigger `users_technical_user_fixed`).
    # Defaults in the database too: a row written by code that predates these fields (an older
    # release during a deploy, a migration's historical model) is a person without a description.
    is_technical = models.BooleanField(_("technical user"), default=False, db_default=False, editable=False)
    description = PlainCharField(_("description"), max_length=500, blank=True, default="", db_default="")
    # Counts up when the user's sessions must end (`end_sessions`): a factor reset or removed, «Log out
    # everywhere» (`users.services.user_sessions_end`).
    # A new password ends them without it (the session hash reads the password's hash too).
    sessions_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_org_admin=False) | Q(organization__isnull=False),
                name="org_admin_has_organization",
            ),
            models.CheckConstraint(
                condition=Q(is_technical=False)
                | Q(
                    organization__isnull=False,
                    is_staff=False,
                    is_superuser=False,
                    is_org_admin=False,
                    email="",
                    password__startswith="!",  # noqa: S106 (Django's mark of an unusable password)
                ),
                name="technical_user_is_no_person",
            ),
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_support_staff(self) -> bool:
        """The bank's support staff: Django staff of no organization (customers are never staff)."""
        return self.is_staff and self.organization_id is None

    @property
    def is_admin_of_organization(self) -> bool:
        """In Python what `active_admin_q` is in SQL, for a user of an organization."""
        return self.is_active and self.is_org_admin and self.organization_id is not None

    def is_admin_of(self, organization_id: int) -> bool:
        """An active Admin user of `organization_id` (one who may decide its four-eyes requests, and
        whose own requests stand while they are)."""
        return self.is_admin_of_organization and self.organization_id == organization_id

    @property
    def awaits_admin_confirmation(self) -> bool:
        """Made an Admin user by the bank alone (onboarding) and not yet confirmed by the organization."""
        return self.admin_onboarded_at is not None and self.admin_confirmed_at is None

    def may_decide_four_eyes(self, organization_id: int) -> bool:
        """An active Admin user of `organization_id` whom the organization stands behind: the one rule of
        who decides a request that waits for a second Admin user (a key, a policy change), and who
        confirms an Admin user the bank made alone. Never one the bank made alone and nobody confirmed."""
        return self.is_admin_of(organization_id) and not self.awaits_admin_confirmation

    def get_session_auth_hash(self) -> str:
        """What a session of this user keeps and Django compares at each request: an HMAC of the
        password's hash, as Django's, and of `sessions_epoch`, so that either changing ends the sessions."""
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)

    def _session_hash(self, *, secret) -> str:
        value = f"{self.password}\x00{self.sessions_epoch}"
        salt = "users.models.User.get_session_auth_hash"
        return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()

    def end_sessions(self) -> None:
        """End every session of this user at its next request. A request of the user's own that should
        stay logged in calls `django.contrib.auth.update_session_auth_hash` afterwards."""
        User.objects.filter(pk=self.pk).update(sessions_epoch=F("sessions_epoch") + 1)
        self.refresh_from_db(fields=["sessions_epoch"])

    @property
    def mail_language(self) -> str:
        """The language of e-mails to this user: their choice, else the site's default."""
        return self.language or settings.LANGUAGE_CODE


class LoginLimit(models.Model):
    """The per-account login limit of one user (`users.limits`): failed logins against the account
    from any address, when the last was, and since when the account is locked. A row exists from the
    first failure on; a full login (with the second factor) sets it back to none.

    The lock's link e-mailed to the user is kept as a keyed hash only (`unlock_digest`), with its end;
    the link works once (lifting the lock clears it). Counted with conditional UPDATEs (`F()`), so that
    concurrent requests on any number of app servers neither lose a failure nor lock twice.
    """

    user = models.OneToOneField(
        "users.User", verbose_name=_("user"), on_delete=models.CASCADE, primary_key=True, related_name="login_limit"
    )
    failures = models.PositiveIntegerField(_("failed logins"), default=0)
    # The last failure, or the last attempt let through in the slowdown (each starts the next window).
    last_attempt_at = models.DateTimeField(_("last attempt checked"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked since"), null=True, blank=True)
    unlock_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    unlock_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("login limit of an account")
        verbose_name_plural = _("login limits of accounts")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class BankChange(models.Model):
    """A change of a customer's login that one of the bank's staff asked for in the support admin: a user
    added, the Admin flag granted, or the login e-mail address changed. It takes effect only after a
    second staff user approves it (never the one who asked: CHECK `bank_change_second_employee`) and,
    where the organization then has an active Admin user, after one of them confirms it on their User
    management. Until then the user is as before: an added user is inactive (no login, no set-password
    link), a user granted the flag is no Admin user, and the address is the old one
    (`users.bank_changes`). A contract with no active Admin user is onboarded by the two staff users.
    """

    class Kind(models.TextChoices):
        USER_ADDED = "user_added", _("User added")
        ADMIN_GRANTED = "admin_granted", _("Admin flag granted")
        EMAIL_CHANGED = "email_changed", _("Login e-mail address changed")
        # The organization's last active Admin user deactivated, or their flag withdrawn: the bank's
        # second employee decides (the organization has nobody else), never the user themselves.
        DEACTIVATED = "deactivated", _("Last Admin user deactivated")
        ADMIN_WITHDRAWN = "admin_withdrawn", _("Admin flag of the last Admin user withdrawn")
        REACTIVATED = "reactivated", _("User reactivated")
        # Into `organization` (which confirms it) from `from_organization`.
        MOVED = "moved", _("User moved into the organization")

    # What only the bank decides (a second employee): rights taken from the organization's last Admin user.
    BANK_ONLY = (Kind.DEACTIVATED, Kind.ADMIN_WITHDRAWN)

    class State(models.TextChoices):
        BANK = "bank", _("Waits for a second bank employee")
        ORGANIZATION = "organization", _("Waits for the organization's confirmation")
        DONE = "done", _("In effect")
        REFUSED = "refused", _("Refused")

    OPEN = (State.BANK, State.ORGANIZATION)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="bank_changes"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="bank_changes"
    )
    kind = models.CharField(_("change"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.BANK)
    # Of a move: the organization the user leaves (None: a user of no organization).
    from_organization = models.ForeignKey(
        Organization,
        verbose_name=_("from organization"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Of an added user: whether they were added as an Admin user.
    is_org_admin = models.BooleanField(_("e-finance Admin user"), default=False)
    # The address asked for: an added user's, or the new one.
    email = models.EmailField(_("e-mail address"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked on"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True)
    # Who confirmed it for the organization (an Admin user), or refused it (a staff or an Admin user).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("change by the bank")
        verbose_name_plural = _("changes by the bank")
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("requested_by")),
                name="bank_change_second_employee",
            ),
            models.UniqueConstraint(
                fields=["user", "kind"], condition=Q(state__in=["bank", "organization"]), name="bank_change_one_open"
            ),
        ]
        indexes = [models.Index(fields=["organization", "state"], name="bank_change_org_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    @property
    def user_organization_id(self) -> int | None:
        """Where the user must still be for the change to stand (a move: where they leave from)."""
        return self.from_organization_id if self.kind == self.Kind.MOVED else self.organization_id


class OutboxMessage(models.Model):
    """An e-mail waiting to be sent, or sent: the outbox that `users.mail` fills in the transaction
    of what it reports, and that only its runner (`send_outbox`, `--loop` as a service) drains, never a
    request. A failed send stays here and is retried; nothing is lost.

    `dedupe_key`, when set, is unique: a notice that must go out once (a reminder of one key and
    threshold to one recipient) is enqueued at most once, however often or concurrently it is tried.
    """

    to = models.EmailField(_("to"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+", null=True
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    kind = models.CharField(_("kind"), max_length=40)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, editable=False)  # noqa: DJ001 (NULLs are not unique)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["sent_at", "created_at"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"


# The second factors' models live with their concept; imported here so that Django finds them in `users`.
from users.factors.models import Passkey, RecoveryCode, TOTPDevice  # noqa: E402

__all__ = [
    "BankChange",
    "LoginLimit",
    "Organization",
    "OutboxMessage",
    "Passkey",
    "RecoveryCode",
    "TOTPDevice",
    "User",
    "active_admin_q",
]
