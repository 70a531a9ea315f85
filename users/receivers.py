"""What `users` records in the audit log (`audit`) of its own: logins, failed logins and lockouts.

Connected in `UsersConfig.ready` to Django's login signals and django-axes' lockout signal.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.log import record
from audit.models import Action, AuditEvent
from efinance.lib.metrics import count_login
from efinance.lib.net import client_ip
from users.backends import recorded_username


def _user_by_username(username: str):
    User = get_user_model()
    if not username:
        return None
    return User.objects.filter(**{User.USERNAME_FIELD: username}).first()


def on_login(sender, request, user, **kwargs):
    count_login("success")
    ip = client_ip(request)
    record(action=Action.LOGIN, actor=user, organization_id=user.organization_id, ip=ip)
    if user.admin_onboarded_at is not None:
        # The first Admin user of a contract onboarded by two bank employees (no Admin user could confirm
        # them, `users.bank_changes`): their first action, the first login, is marked as such once.
        first = Action.FIRST_ADMIN_LOGIN
        if not AuditEvent.objects.filter(organization_id=user.organization_id, actor=user, action=first).exists():
            record(action=first, actor=user, subject=user, organization_id=user.organization_id, ip=ip)


def on_login_failed(sender, credentials, request=None, **kwargs):
    """A wrong password; with ``second_factor`` in the credentials (users.factors.login) a wrong code
    after the right password; with ``step_up`` (users.factors.stepup) a wrong proof before an action."""
    count_login("failed")
    username = recorded_username(str(credentials.get("username", "")).replace("\x00", ""))
    user = _user_by_username(username)
    if credentials.get("step_up"):
        action = Action.STEP_UP_FAILED
    elif credentials.get("second_factor"):
        action = Action.FACTOR_LOGIN_FAILED
    else:
        action = Action.LOGIN_FAILED
    record(
        action=action,
        subject=user,
        organization_id=user.organization_id if user else None,
        ip=client_ip(request),
        username=username,
    )


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """django-axes signals a lockout at the limit and again at every attempt while locked: one entry
    per username, address and lockout period is enough (the metrics count every refused attempt)."""
    count_login("locked_out")
    ip = ip_address or client_ip(request)
    username = recorded_username(username or "")  # axes passes what it counted: already so, but never raw
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
