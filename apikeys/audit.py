"""The audit log: an append-only record of who did what to which key, from where and when.

Recorded: a key created (by, for, API, validity end), deleted by its Admin user, revoked by support
(by, reason); failed API authentications against an existing key ID, one row per key and hour with a
counter; logins, failed logins and lockouts. Every entry carries the actor, the organization, the IP
address and the time.

Append-only, twice over: the model refuses to save an existing entry or to delete one, and the
database refuses an UPDATE (triggers in migration ``0004_audit_append_only``), except the counter of a
failed-authentication row, which may only grow. PostgreSQL also refuses a DELETE; SQLite does not,
because pytest-django empties the tables of transactional tests with DELETE there (PostgreSQL uses
TRUNCATE, which fires no row trigger).
"""

import datetime
import logging

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import connection, models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import tokens
from apikeys.models import Api, Failure

log = logging.getLogger("apikeys.audit")


class Action(models.TextChoices):
    KEY_CREATED = "key_created", _("Key created")
    KEY_DELETED = "key_deleted", _("Key deleted")
    KEY_REVOKED = "key_revoked", _("Key revoked by bank support")
    AUTH_FAILED = "auth_failed", _("Failed API authentication")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Login locked")


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
    def reason(self) -> str:
        return self.details.get("reason", "")

    @property
    def failure_display(self) -> str:
        """Why the latest API authentication of a failure row was refused."""
        return Failure(self.reason).label if self.reason in Failure.values else ""


def client_ip(request) -> str | None:
    """The client's address as the login protection sees it (`users.backends.client_ip`: REMOTE_ADDR,
    or behind `TRUSTED_PROXY_COUNT` proxies the one they saw); None without a request."""
    if request is None:
        return None
    from users.backends import client_ip as protected_client_ip  # imports django-axes: not at model load

    return protected_client_ip(request)


def record(
    *,
    action: str,
    actor=None,
    subject=None,
    subject_id: int | None = None,
    organization_id: int | None = None,
    key_id: str = "",
    ip: str | None = None,
    username: str = "",
    details: dict | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        action=action,
        actor=actor,
        subject_id=subject.pk if subject is not None else subject_id,
        organization_id=organization_id,
        key_id=key_id,
        ip=ip,
        username=(username or (actor.username if actor else ""))[:150],
        details=details or {},
    )


def record_key_created(*, key, by, ip: str | None = None) -> AuditEvent:
    return record(
        action=Action.KEY_CREATED,
        actor=by,
        subject_id=key.user_id,
        organization_id=key.organization_id,
        key_id=key.key_id,
        ip=ip,
        details={"api": key.api, "valid_until": key.valid_until.isoformat(), "note": key.note},
        at=key.created_at,  # now, except for demo and imported keys
    )


def record_key_revoked(*, key, by, reason: str = "", ip: str | None = None) -> AuditEvent:
    """Deleted by an Admin user of the key's organization, or revoked by the bank's support staff."""
    by_support = by.organization_id != key.organization_id
    return record(
        action=Action.KEY_REVOKED if by_support else Action.KEY_DELETED,
        actor=by,
        subject_id=key.user_id,
        organization_id=key.organization_id,
        key_id=key.key_id,
        ip=ip,
        details={"reason": reason} if reason else {},
    )


_upsert_sql = None


def _auth_failure_sql() -> str:
    """One INSERT … ON CONFLICT DO UPDATE (SQLite ≥ 3.24, PostgreSQL): a concurrent first failure of
    the hour cannot make two rows, and counting costs one statement on the API's failure path."""
    global _upsert_sql
    if _upsert_sql is None:
        q = connection.ops.quote_name
        meta = AuditEvent._meta
        table = q(meta.db_table)

        def col(name):
            return q(meta.get_field(name).column)

        columns = ["at", "action", "username", "organization", "key_id", "ip", "details", "hour", "count", "last_at"]
        # Identifiers come from the model, every value is a bound parameter.
        _upsert_sql = (
            f"INSERT INTO {table} ({', '.join(col(c) for c in columns)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({col('key_id')}, {col('hour')}) WHERE {col('action')} = '{Action.AUTH_FAILED.value}' "
            f"DO UPDATE SET {col('count')} = {table}.{col('count')} + 1, "
            f"{col('last_at')} = excluded.{col('last_at')}, {col('details')} = excluded.{col('details')}"
        )
    return _upsert_sql


def record_auth_failure(*, key_id: str, organization_id: int, reason: str, ip: str | None = None, at=None) -> None:
    """Count a refused API authentication against an existing key ID in the row of its hour.

    Only for a key that exists: a token with an unknown key ID says nothing about any organization
    and would let anyone fill the log.
    """
    at = at or timezone.now()
    hour = at.replace(minute=0, second=0, microsecond=0)
    meta = AuditEvent._meta
    values = {
        "at": at,
        "action": Action.AUTH_FAILED.value,
        "username": "",
        "organization": organization_id,
        "key_id": key_id,
        "ip": ip,
        "details": {"reason": str(reason), "last_ip": ip},
        "hour": hour,
        "count": 1,
        "last_at": at,
    }
    params = [meta.get_field(name).get_db_prep_value(value, connection) for name, value in values.items()]
    with connection.cursor() as cursor:
        cursor.execute(_auth_failure_sql(), params)


def _user_by_username(username: str):
    User = get_user_model()
    if not username:
        return None
    return User.objects.filter(**{User.USERNAME_FIELD: username}).first()


@receiver(user_logged_in, dispatch_uid="apikeys.audit.login")
def _on_login(sender, request, user, **kwargs):
    record(action=Action.LOGIN, actor=user, organization_id=user.organization_id, ip=client_ip(request))


@receiver(user_login_failed, dispatch_uid="apikeys.audit.login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    user = _user_by_username(username)
    record(
        action=Action.LOGIN_FAILED,
        subject=user,
        organization_id=user.organization_id if user else None,
        ip=client_ip(request),
        username=username,
    )


def _on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """django-axes signals a lockout at the limit and again at every attempt while locked: one entry
    per username, address and lockout period is enough."""
    ip = ip_address or client_ip(request)
    username = username or ""
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    if isinstance(cooloff, int | float):  # axes reads a number as hours
        cooloff = datetime.timedelta(hours=cooloff)
    if not isinstance(cooloff, datetime.timedelta):  # none (locked until unlocked), or a callable
        cooloff = datetime.timedelta(days=1)
    recent = AuditEvent.objects.filter(
        action=Action.LOCKED_OUT, username=username[:150], ip=ip, at__gte=timezone.now() - cooloff
    )
    if recent.exists():
        return
    user = _user_by_username(username)
    record(
        action=Action.LOCKED_OUT,
        subject=user,
        organization_id=user.organization_id if user else None,
        ip=ip,
        username=username,
    )


if apps.is_installed("axes"):  # django-axes: login lockouts
    from axes.signals import user_locked_out

    user_locked_out.connect(_on_locked_out, dispatch_uid="apikeys.audit.locked_out")
