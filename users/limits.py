"""The per-account login limit, beside django-axes' per-address one.

Axes counts failures by username and address (an IPv6 client by its /64), so that one address cannot
try many passwords; an attacker with many addresses still could. This limit counts the failures
against one existing account from every address together (`LoginLimit`): a wrong password, a wrong
code or passkey at the login's second step, a wrong proof at a step-up. Axes cannot do it for us: it
has one failure limit and one cool-off for all its parameter sets, no slowdown, a lockout that only
its page announces (a different answer from a wrong password) and that only time or support lifts.

- Up to `LOGIN_ACCOUNT_SLOWDOWN_AFTER` failures, every attempt is checked.
- From there on, one attempt per window is checked: the window starts at the last failure (or the
  last attempt let through) and doubles with each failure, from `LOGIN_ACCOUNT_BACKOFF_SECONDS` up
  to `LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS`. Letting an attempt through is a conditional UPDATE on the
  count and the window's start (`attempt_allowed`), so that of many requests arriving at once one is
  checked, on SQLite and PostgreSQL alike, whatever the number of app servers.
- At `LOGIN_ACCOUNT_LOCK_AFTER` failures the account locks: the user gets an e-mail with a one-time
  link that lifts the lock (valid `LOGIN_ACCOUNT_UNLOCK_LINK_HOURS`; a new one is sent, at most once
  per validity, when someone tries to log in after it ended), an Admin user of the organization can
  lift it on User management, and so can the bank's support in the support admin. Each is audited.

An attempt refused by the limit is answered exactly as a wrong password or code (the same page,
message and status), with the same password hashing, so its time does not tell either; an unknown
username takes the same path. It is not counted again: nothing was checked. Only a full login (the
second factor included) sets the count back.

Failures are counted by a receiver of Django's `user_login_failed` (every login form sends it, and
the second step and the step-up send it for a wrong factor), as axes counts its own.
"""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from audit.log import record
from audit.models import Action
from efinance.lib.net import client_ip
from users.mail import notify
from users.models import LoginLimit, User

# Set on a request whose attempt was refused before anything was checked (by this limit or by axes):
# the failed login that Django then signals is not one to count again.
NOT_CHECKED = "login_not_checked"


class LiftedBy:
    """How a lock was lifted (the ``via`` of the audit entry)."""

    ADMIN = "admin"
    EMAIL = "email"
    SUPPORT = "support"


def backoff(failures: int) -> datetime.timedelta:
    """How long after the last failure the next attempt waits, at `failures` failures."""
    over = failures - settings.LOGIN_ACCOUNT_SLOWDOWN_AFTER
    if over < 0:
        return datetime.timedelta(0)
    seconds = settings.LOGIN_ACCOUNT_BACKOFF_SECONDS * 2 ** min(over, 32)
    return datetime.timedelta(seconds=min(seconds, settings.LOGIN_ACCOUNT_BACKOFF_MAX_SECONDS))


def failures_of(user_id: int) -> int:
    return LoginLimit.objects.filter(user_id=user_id).values_list("failures", flat=True).first() or 0


def is_locked(user_id: int) -> bool:
    return LoginLimit.objects.filter(user_id=user_id, locked_at__isnull=False).exists()


def attempt_allowed(user_id: int | None, *, since_failures: int | None = None) -> bool:
    """Whether an attempt against the account `user_id` may be checked now (see the module); None, an
    unknown username, reads the same way and is allowed. `since_failures`: the count when the login's
    password was right, for its second step, which goes on without a new window while nothing failed
    since."""
    row = LoginLimit.objects.filter(user_id=user_id).values_list("failures", "last_attempt_at", "locked_at").first()
    if row is None:
        return True
    failures, last, locked_at = row
    if locked_at is not None:
        _renew_link_when_ended(user_id)
        return False
    if since_failures is not None and failures <= since_failures:
        return True
    wait = backoff(failures)
    if not wait:
        return True
    now = timezone.now()
    if last is not None and now < last + wait:
        return False
    # One attempt per window: the first to move the window's start takes it.
    window = LoginLimit.objects.filter(user_id=user_id, failures=failures, last_attempt_at=last, locked_at__isnull=True)
    return window.update(last_attempt_at=now) == 1


def on_login_failed(sender, credentials, request=None, **kwargs):
    """Count a failed web login against the existing, active person it names (`user_login_failed`): a
    deactivated user cannot log in anyway, and gets no e-mail from strangers' attempts."""
    if request is None or getattr(request, NOT_CHECKED, False):
        return
    username = credentials.get("username")
    if not isinstance(username, str) or not username:
        return
    user = User.objects.filter(username=username, is_technical=False, is_active=True).first()
    if user is not None:
        failure_count(user=user, ip=client_ip(request))


def on_login(sender, request, user, **kwargs):
    """A full login (the second factor included) sets the count back; a lock stays until lifted."""
    LoginLimit.objects.filter(user_id=user.pk, locked_at__isnull=True).delete()


@transaction.atomic
def failure_count(*, user: User, ip: str | None) -> None:
    """One more failure against `user`'s account; at the limit, lock it, record it and e-mail the link."""
    now = timezone.now()
    LoginLimit.objects.get_or_create(user_id=user.pk)
    LoginLimit.objects.filter(user_id=user.pk).update(failures=F("failures") + 1, last_attempt_at=now)
    limit = settings.LOGIN_ACCOUNT_LOCK_AFTER
    if limit <= 0:
        return
    token = secrets.token_urlsafe(32)
    locking = LoginLimit.objects.filter(user_id=user.pk, locked_at__isnull=True, failures__gte=limit)
    if not locking.update(locked_at=now, unlock_digest=_digest(user.pk, token), unlock_expires_at=_link_end(now)):
        return  # below the limit, or locked already (by this request's rival, say)
    record(
        action=Action.ACCOUNT_LOCKED,
        subject=user,
        organization_id=user.organization_id,
        ip=ip,
        username=user.username,
        details={"failures": failures_of(user.pk)},
    )
    _send_link(user, token)


def _link_end(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(hours=settings.LOGIN_ACCOUNT_UNLOCK_LINK_HOURS)


def _digest(user_id: int, token: str) -> str:
    """What the database keeps of a link's token: an HMAC (SECRET_KEY) of the token and its user."""
    return salted_hmac("users.limits.unlock", f"{user_id}:{token}", algorithm="sha256").hexdigest()


def _send_link(user: User, token: str) -> None:
    """Queue the e-mail with the link (the outbox forgets its text once sent: `users.mail`)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.SITE_URL + reverse("users:unlock_link", args=[uidb64, token])
    context = {
        "link": link,
        "hours": settings.LOGIN_ACCOUNT_UNLOCK_LINK_HOURS,
        "failures": settings.LOGIN_ACCOUNT_LOCK_AFTER,
    }
    notify([user], "account_locked", context)


def _renew_link_when_ended(user_id: int) -> None:
    """Someone tries to log in to a locked account whose link has ended: a new link to the user, at
    most once per validity (the first request to replace the old one sends it)."""
    now = timezone.now()
    row = LoginLimit.objects.filter(user_id=user_id).values_list("unlock_expires_at", flat=True).first()
    if row is None or row > now:
        return
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        renewed = LoginLimit.objects.filter(user_id=user_id, locked_at__isnull=False, unlock_expires_at=row).update(
            unlock_digest=_digest(user_id, token), unlock_expires_at=_link_end(now)
        )
        if renewed:
            _send_link(user, token)


def link_user(uidb64: str, token: str) -> User | None:
    """The locked, active user whose current link this is; None for any other link (used, ended,
    tampered with, or another user's)."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    row = (
        LoginLimit.objects.filter(
            user_id=user_id, user__is_active=True, locked_at__isnull=False, unlock_expires_at__gt=timezone.now()
        )
        .select_related("user")
        .first()
    )
    if row is None or not row.unlock_digest or not constant_time_compare(row.unlock_digest, _digest(user_id, token)):
        return None
    return row.user


@transaction.atomic
def lock_lift_by_link(*, uidb64: str, token: str, ip: str | None) -> User | None:
    """Lift the lock with the user's e-mailed link, once: the user whose lock was lifted, or None."""
    user = link_user(uidb64, token)
    if user is None:
        return None
    lifted, _ = LoginLimit.objects.filter(
        user_id=user.pk, locked_at__isnull=False, unlock_digest=_digest(user.pk, token)
    ).delete()
    if not lifted:
        return None  # a concurrent request used it first
    _record_lifted(user=user, by=user, via=LiftedBy.EMAIL, ip=ip)
    return user


@transaction.atomic
def lock_lift(*, user: User, by: User, ip: str | None) -> bool:
    """Lift `user`'s lock as an Admin user of the same organization, or as the bank's support. False
    when there was none. The user logs in afresh, with the password and the second factor."""
    if by.is_support_staff:
        via = LiftedBy.SUPPORT
    elif by.is_admin_of(user.organization_id or 0):
        via = LiftedBy.ADMIN
    else:
        raise PermissionError("only an Admin user of the organization or the bank's support lift a lock")
    lifted, _ = LoginLimit.objects.filter(user_id=user.pk, locked_at__isnull=False).delete()
    if not lifted:
        return False
    _record_lifted(user=user, by=by, via=via, ip=ip)
    return True


def _record_lifted(*, user: User, by: User, via: str, ip: str | None) -> None:
    """The audit entry of a lifted lock; lifted by someone else, the user is told by e-mail too."""
    action = Action.LOCK_LIFTED_BY_SUPPORT if via == LiftedBy.SUPPORT else Action.LOCK_LIFTED
    record(action=action, actor=by, subject=user, organization_id=user.organization_id, ip=ip, details={"via": via})
    if via != LiftedBy.EMAIL:
        notify([user], "lock_lifted", {"by": by, "by_bank": via == LiftedBy.SUPPORT})
