import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audit.log import record
from audit.models import Action
from efinance.lib.logging import log_event
from users.factors.services import factors_delete
from users.mail import notify
from users.models import BankChange, Organization, User
from users.signals import UserChange, customer_user_changed

log = logging.getLogger("users")

SUPPORT_GROUP = "Support staff"
SUPPORT_PERMISSIONS = [
    ("apikeys", "view_apikey"),
    ("apikeys", "change_apikey"),  # needed for the revoke action; every field stays read-only
    ("audit", "view_auditevent"),  # the audit log, read-only
    ("apikeys", "view_securitypolicy"),  # the contracts' security policies, read-only
    ("apikeys", "view_policychange"),
    ("users", "view_user"),
    ("users", "add_user"),
    ("users", "change_user"),
    ("users", "view_organization"),
    ("users", "add_organization"),
    ("users", "change_organization"),
    # Changes of a customer's login asked for by another staff user: approve or withdraw them.
    ("users", "view_bankchange"),
    ("users", "change_bankchange"),
    ("users", "view_outboxmessage"),  # the e-mail outbox, read-only and without the messages' text
    # The per-account login limit: see it, and lift a lock (audited; the admin's fields stay read-only).
    ("users", "view_loginlimit"),
    ("users", "change_loginlimit"),
    # Login lockouts (django-axes): see them, and unlock a login by deleting its access attempt.
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("axes", "view_accesslog"),
]


def ensure_support_group() -> Group:
    """The group of the bank's support staff, with what the Django admin needs and no more."""
    group, _created = Group.objects.get_or_create(name=SUPPORT_GROUP)
    perms = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in SUPPORT_PERMISSIONS]
    group.permissions.set(perms)
    return group


# --- Changes of a customer's user by the bank's staff (the support admin) ----------------------

# The fields whose change is recorded; privileges (staff, superuser, groups) are a superuser's and
# never a customer's, passwords are never set by the bank.
TRACKED_FIELDS = ("username", "first_name", "last_name", "email", "organization_id", "is_active", "is_org_admin")
DETAIL_FIELDS = ("username", "first_name", "last_name", "email")


@dataclass
class StaffChange:
    """What `user_save_by_staff` / `send_set_password_link` recorded, and the keys the receivers deleted;
    `held`: what waits for a second staff user and the organization (`BankChange`s)."""

    changes: list[UserChange]
    deleted_keys: list[str]
    held: list[BankChange] = field(default_factory=list)


def _changes(previous: dict | None, user: User) -> list[UserChange]:
    """The recorded changes between the stored row `previous` (None: just added) and `user`."""
    now_in = user.organization_id
    if previous is None:
        if now_in is None:
            return []
        changes = [UserChange(Action.USER_ADDED, now_in, {"is_org_admin": user.is_org_admin})]
        if user.is_org_admin:
            changes.append(UserChange(Action.ADMIN_GRANTED, now_in))
        return changes
    was_in = previous["organization_id"]
    changes = []
    if was_in != now_in:
        if was_in is not None:
            changes.append(UserChange(Action.USER_MOVED_OUT, was_in))  # where to is the other organization's business
        if now_in is not None:
            changes.append(UserChange(Action.USER_MOVED_IN, now_in))
    # A change of state is recorded where the user is now (where they were, when they left for none).
    home = now_in if now_in is not None else was_in
    if home is None:
        return changes  # bank staff, not a customer: django_admin_log has it
    if previous["is_active"] and not user.is_active:
        changes.append(UserChange(Action.USER_DEACTIVATED, home))
    elif not previous["is_active"] and user.is_active:
        changes.append(UserChange(Action.USER_REACTIVATED, home))
    if not previous["is_org_admin"] and user.is_org_admin:
        changes.append(UserChange(Action.ADMIN_GRANTED, home))
    elif previous["is_org_admin"] and not user.is_org_admin:
        changes.append(UserChange(Action.ADMIN_WITHDRAWN, home))
    fields = [name for name in DETAIL_FIELDS if previous[name] != getattr(user, name)]
    if fields:
        details = {"fields": fields}
        if "email" in fields:
            details["previous_email"] = previous["email"]
        changes.append(UserChange(Action.USER_CHANGED, home, details))
    return changes


def bank_change_details(change: BankChange, **extra) -> dict:
    """What an entry about a `BankChange` keeps: the change, and who it is about as the staff user saw
    them (user identification, real name, address), so that «Activity» shows a look-alike for what it is."""
    user = change.user
    return {
        "change": change.pk,
        "kind": change.kind,
        "name": user.get_full_name(),
        "email": change.email or user.email,
        "is_org_admin": change.is_org_admin,
        **extra,
    }


def _last_admin(previous: dict, user: User) -> bool:
    """Whether `user` was, as stored, the only active Admin user of their organization."""
    organization_id = previous["organization_id"]
    if organization_id is None or not (previous["is_active"] and previous["is_org_admin"]):
        return False
    return not User.objects.active_admins(organization_id).exclude(pk=user.pk).exists()


def _hold(previous: dict | None, user: User) -> list[BankChange]:
    """Take off `user` what a single staff user may not do alone and answer it as unsaved `BankChange`s:
    a new customer user, the Admin flag, a login address, a reactivation, a move into an organization,
    and the deactivation or the withdrawn flag of an organization's last active Admin user (which would
    leave the contract to the bank's onboarding). The row keeps the user as they were (an added user
    inactive and no Admin user) until a second staff user and, where the change gives a login to the
    organization, the organization agree (`users.bank_changes`). A user added by the bank that is not in
    effect stays so whatever is posted."""
    if user.is_technical or (user.organization_id is None and (previous is None or not _last_admin(previous, user))):
        return []
    if previous is None:
        held = [BankChange(kind=BankChange.Kind.USER_ADDED, is_org_admin=user.is_org_admin, email=user.email)]
        user.is_active = user.is_org_admin = False
        return held
    added = BankChange.objects.filter(user=user, kind=BankChange.Kind.USER_ADDED)
    if added.exclude(state=BankChange.State.DONE).exists():
        user.is_active = user.is_org_admin = False
        user.email = previous["email"]
        user.organization_id = previous["organization_id"]
        return []
    Kind, held = BankChange.Kind, []
    was_in = previous["organization_id"]
    if user.organization_id != was_in:
        if user.organization_id is not None:
            held.append(BankChange(kind=Kind.MOVED, organization_id=user.organization_id, from_organization_id=was_in))
            user.organization_id = was_in
        elif _last_admin(previous, user):  # out of every organization: the last Admin user leaves theirs
            held.append(BankChange(kind=Kind.DEACTIVATED, organization_id=was_in))
            user.organization_id = was_in
    if user.organization_id is None:
        return held
    last_admin = _last_admin(previous, user)
    if previous["is_active"] and not user.is_active and last_admin:
        if not any(change.kind == Kind.DEACTIVATED for change in held):
            held.append(BankChange(kind=Kind.DEACTIVATED))
        user.is_active = True
    elif not previous["is_active"] and user.is_active:
        held.append(BankChange(kind=Kind.REACTIVATED))
        user.is_active = False
    if user.is_org_admin and not previous["is_org_admin"]:
        held.append(BankChange(kind=Kind.ADMIN_GRANTED))
        user.is_org_admin = False
    elif previous["is_org_admin"] and not user.is_org_admin and last_admin:
        held.append(BankChange(kind=Kind.ADMIN_WITHDRAWN))
        user.is_org_admin = True
    if user.email != previous["email"]:
        held.append(BankChange(kind=Kind.EMAIL_CHANGED, email=user.email))
        user.email = previous["email"]
    return held


def _request(*, user: User, by, held: list[BankChange]) -> list[UserChange]:
    """Store the held changes; an open one of the same kind is withdrawn (the newer asks again)."""
    changes = []
    for change in held:
        change.user, change.requested_by = user, by
        change.organization_id = change.organization_id or user.organization_id
        stale = BankChange.objects.select_for_update().filter(user=user, kind=change.kind, state__in=BankChange.OPEN)
        for old in stale:
            old.state, old.decided_by, old.decided_at = BankChange.State.REFUSED, by, timezone.now()
            old.save(update_fields=["state", "decided_by", "decided_at"])
            changes.append(UserChange(Action.CHANGE_WITHDRAWN, old.organization_id, bank_change_details(old)))
        change.save()
        details = bank_change_details(change)
        changes.append(UserChange(Action.CHANGE_REQUESTED, change.organization_id, details))
        if change.kind == BankChange.Kind.MOVED and change.from_organization_id is not None:
            # The organization the user would leave is told as well: their keys would end with the move.
            changes.append(UserChange(Action.CHANGE_REQUESTED, change.from_organization_id, details))
    return changes


def announce(*, user: User, by, changes: list[UserChange], ip: str | None) -> StaffChange:
    deleted: list[str] = []
    if changes:
        # In the organization's audit log (a move in both organizations' logs), the staff user as the
        # actor, so that «Activity» shows it as done by the bank's support.
        entries = [
            record(
                action=change.kind,
                actor=by,
                subject=user,
                organization_id=change.organization_id,
                ip=ip,
                details=change.details,
            )
            for change in changes
        ]
        answers = customer_user_changed.send(sender=User, user=user, by=by, changes=changes, entries=entries, ip=ip)
        for _receiver, answer in answers:
            if isinstance(answer, dict):
                deleted.extend(answer.get("deleted_keys", []))
        log_event(
            log,
            "user.changed_by_staff",
            user=user.username,
            organization=user.organization_id,
            changes=",".join(change.kind for change in changes),
            by=by.username,
            ip=ip,
        )
    return StaffChange(changes=changes, deleted_keys=deleted)


@transaction.atomic
def user_save_by_staff(*, user: User, by, ip: str | None = None) -> StaffChange:
    """Save `user` as the bank's staff changed or added them in the support admin, and announce it.

    The stored row is read (and locked) first, the differences that matter to the customer become
    `UserChange`s, recorded in the organization's audit log (both organizations' for a move), and
    `customer_user_changed` is sent in this transaction. What one staff user may not do alone (a new
    customer user, the Admin flag, a login address) is held instead (`_hold`): stored as a `BankChange`
    and recorded as asked for, it waits for `users.bank_changes`. The signal's receiver in `apikeys`
    e-mails the organization's Admin users, and deletes the user's valid keys for good when they were
    deactivated or moved out. Whatever fails, nothing of it stays.
    """
    previous = None
    if not user._state.adding:
        previous = User.objects.select_for_update().filter(pk=user.pk).values(*TRACKED_FIELDS).first()
        if previous["is_org_admin"]:
            Organization.mark_had_admin(previous["organization_id"])  # before a change can erase the trace
    held = _hold(previous, user)
    user.save()
    changes = [] if previous is None and held else _changes(previous, user)
    changes += _request(user=user, by=by, held=held)
    result = announce(user=user, by=by, changes=changes, ip=ip)
    result.held = held
    return result


def set_password_path(user: User) -> str:
    """The path of a single-use set-password link for `user` (Django's password-reset token).

    The token is made of the user's password hash, last login and e-mail address and a time stamp:
    setting the password (or logging in, or a new address) spends it, and it expires after
    ``PASSWORD_RESET_TIMEOUT`` seconds (settings: 3 days).
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("users:set_password", args=[uid, default_token_generator.make_token(user)])


# How long a set-password link waits after the bank's staff changed the address of a user who has a
# password: the change was e-mailed to the organization's Admin users and to the previous address at
# once, so that a support account cannot quietly move someone's login to an address of its own.
SET_PASSWORD_LINK_HOLD = datetime.timedelta(days=7)


def set_password_link_held_until(user: User, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """Until when no set-password link may go to `user` (None: it may now). A user without a password
    yet (just added) gets one at once: there is no login to take over."""
    changed = user.email_changed_by_staff_at
    if changed is None or not user.has_usable_password():
        return None
    until = changed + SET_PASSWORD_LINK_HOLD
    return until if until > (now or timezone.now()) else None


def may_get_set_password_link(user: User) -> bool:
    """An active person with an address; never a technical user, which has no password at all."""
    return not user.is_technical and user.is_active and bool(user.email) and set_password_link_held_until(user) is None


@transaction.atomic
def send_set_password_link(*, user: User, by, ip: str | None = None) -> StaffChange:
    """E-mail `user` a set-password link (the only way a password is set for them), and announce it.

    The link is in the e-mail only: never in a log line, a message on the screen or the admin; the
    outbox forgets the message's text once it is sent (`users.mail.FORGOTTEN_AFTER_SENDING`).
    """
    if not may_get_set_password_link(user):
        raise ValueError("an inactive user or a user without an e-mail address gets no link")
    days = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 86400))
    notify([user], "set_password_link", {"link": settings.SITE_URL + set_password_path(user), "days": days})
    changes = [UserChange(Action.PASSWORD_LINK_SENT, user.organization_id)] if user.organization_id else []
    return announce(user=user, by=by, changes=changes, ip=ip)


@transaction.atomic
def factor_reset_by_staff(*, user: User, by, ip: str | None = None) -> StaffChange | None:
    """The bank's support resets a customer user's second factor (a lost phone, no recovery code left):
    the factor and the recovery codes are gone, the user must set up a new one at the next login, the
    user is told at once, and the reset is recorded on the organization's «Activity» and e-mailed to
    its Admin users (`customer_user_changed`). None when the user had no factor: nothing happened."""
    if user.organization_id is None:
        raise ValueError("support resets the factor of a customer's user only")
    kinds = factors_delete(user)
    if not kinds:
        return None
    notify([user], "factor_reset", {"user": user, "by": by, "by_bank": True})
    change = UserChange(Action.FACTOR_RESET_BY_SUPPORT, user.organization_id, {"kind": kinds[0]})
    return announce(user=user, by=by, changes=[change], ip=ip)


# --- Changes of an organization by the bank's staff ------------------------------------------------


@transaction.atomic
def organization_save_by_staff(*, organization: Organization, by, ip: str | None = None) -> None:
    """Save `organization` as the bank's staff added or changed it in the support admin: recorded on its
    «Activity» (its previous name too, when renamed) and e-mailed to its active Admin users at once."""
    fields = [f.attname for f in Organization._meta.concrete_fields if f.editable and not f.primary_key]
    previous = None
    if not organization._state.adding:
        previous = Organization.objects.select_for_update().filter(pk=organization.pk).values(*fields).first()
    organization.save()
    if previous is None:
        action, details = Action.ORGANIZATION_ADDED, {"name": organization.name}
    else:
        changed = [name for name in fields if previous[name] != getattr(organization, name)]
        if not changed:
            return
        action, details = Action.ORGANIZATION_CHANGED, {"fields": changed, "name": organization.name}
        if "name" in changed:
            details["previous_name"] = previous["name"]
    entry = record(action=action, actor=by, organization_id=organization.pk, ip=ip, details=details)
    activity = settings.SITE_URL + reverse("apikeys:activity")
    context = {"organization": organization, "actor": by, "entry": entry, "activity_url": activity}
    notify(organization.active_admins().order_by("pk"), "organization_changed", context)
    log_event(log, "organization.changed_by_staff", organization=organization.pk, by=by.username, ip=ip)


@transaction.atomic
def user_sessions_end(*, user: User, by, ip: str | None = None) -> StaffChange | None:
    """«Log out everywhere»: every session of `user` ends at its next request, on every app server, the
    session of the one who asked too (`User.end_sessions`; the password stays). By the user on their
    «Security» page, or by the bank's support on a customer's user: then on the organization's
    «Activity» as done by the bank and e-mailed to its Admin users (`announce`). The user is e-mailed
    either way, so that a session ended by someone else does not go unnoticed."""
    if user.is_technical:
        raise ValueError("a technical user never logs in: it has no session to end")
    user.end_sessions()
    notify([user], "sessions_ended", {"user": user, "by": by, "by_bank": by.pk != user.pk})
    if by.pk == user.pk:
        record(action=Action.SESSIONS_ENDED, actor=by, subject=user, organization_id=user.organization_id, ip=ip)
        return None
    if user.organization_id is None:  # a staff user, by a superuser: the support admin's own log
        record(action=Action.SESSIONS_ENDED_BY_SUPPORT, actor=by, subject=user, ip=ip)
        return None
    change = UserChange(Action.SESSIONS_ENDED_BY_SUPPORT, user.organization_id)
    return announce(user=user, by=by, changes=[change], ip=ip)
