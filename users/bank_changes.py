"""No single bank employee makes a customer's login: the decisions on a `BankChange`.

A staff user who adds a customer user, grants the Admin flag or sets a login e-mail address in the
support admin only asks for it (`users.services.user_save_by_staff` holds it as a `BankChange`, records
«Change asked for by bank support» on the organization's «Activity» and e-mails its Admin users, before
anything takes effect). Then:

1. `bank_change_approve`: a second staff user, never the one who asked (also a CHECK of the database).
   Where the organization has an active Admin user, the change now waits for one of them (the
   «Waiting for your confirmation» list of User management, the band of Overview and Administration,
   an e-mail); where it has none (the bank onboards the contract), it takes effect, and that first
   Admin user's first login is marked as such on «Activity» (`users.receivers`).
2. `bank_change_confirm`: an active Admin user of the organization; the change takes effect.
3. `bank_change_refuse`: any staff user (withdrawn) or an active Admin user of the organization
   (refused), while it is open: nothing takes effect, and a user added by the bank stays inactive.

An Admin user made by the bank alone (onboarding: `User.admin_onboarded_at`) decides no four-eyes
request until another active Admin user of the organization, one the organization stands behind
(`User.may_decide_four_eyes`), confirms them: `onboarded_admin_confirm`. They do confirm the bank's
later changes for the organization (someone must, and each of those took two bank employees first).

Taking effect is announced like any change by the staff (`users.services.announce`: «Activity», the
Admin users' e-mail, the previous address of a changed one), and an added user gets their set-password
link only then. A decision on a change that is no longer open is refused (a replayed form).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.log import record
from audit.models import Action
from users.models import BankChange, Organization, User
from users.services import announce, bank_change_details, may_get_set_password_link, send_set_password_link
from users.signals import UserChange

MESSAGES = {
    "own_request": _("You asked for this change yourself: another staff user of the bank must approve it."),
    "decided": _("This change has already been decided."),
    "not_waiting_for_bank": _("This change no longer waits for the bank."),
    "not_waiting_for_you": _("This change waits for a second bank employee first."),
    "not_allowed": _("Only the bank's support staff or an Admin user of the organization can decide this change."),
    "user_moved": _("The user has moved to another organization since: refuse the change and ask again."),
    "not_a_confirming_admin": _(
        "Only another Admin user of the organization, one it has confirmed, can confirm an Admin user made by the bank."
    ),
    "nothing_to_confirm": _("This user is not an Admin user made by the bank who waits for confirmation."),
}


class Refused(Exception):
    """A decision that `by` may not take now; `message` says why, in their language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.message = MESSAGES[code]


def _locked(change: BankChange) -> BankChange:
    return BankChange.objects.select_for_update().select_related("user", "requested_by").get(pk=change.pk)


@transaction.atomic
def bank_change_approve(*, change: BankChange, by, ip: str | None = None) -> BankChange:
    """The second staff user's approval: the change then waits for the organization's Admin users, or
    takes effect when the organization has none."""
    change = _locked(change)
    if not by.is_support_staff:
        raise Refused("not_allowed")
    if change.state != BankChange.State.BANK:
        raise Refused("not_waiting_for_bank" if change.is_open else "decided")
    if by.pk == change.requested_by_id:
        raise Refused("own_request")
    if change.user.organization_id != change.user_organization_id:
        raise Refused("user_moved")
    now = timezone.now()
    at_once = takes_effect_on_approval(change)
    # Onboarding: a contract that never had an Admin user of its own gets one from the two staff users.
    onboarding = at_once and change.kind not in BankChange.BANK_ONLY and change.kind != BankChange.Kind.REACTIVATED
    change.approved_by, change.approved_at = by, now
    change.state = BankChange.State.DONE if at_once else BankChange.State.ORGANIZATION
    if at_once:
        change.decided_at = now
    change.save()
    details = bank_change_details(change, onboarding=onboarding)
    announce(
        user=change.user, by=by, changes=[UserChange(Action.CHANGE_APPROVED, change.organization_id, details)], ip=ip
    )
    if at_once:
        _take_effect(change, onboarding=onboarding)
    return change


def takes_effect_on_approval(change: BankChange) -> bool:
    """Whether the second staff user's approval alone makes `change` take effect, with nobody of the
    organization to confirm it:

    - the deactivation or the withdrawn flag of its last active Admin user: always (the organization
      has nobody else; the user themselves does not decide on losing their rights);
    - where the organization has an active Admin user: never, they confirm it;
    - where it has none: a reactivation (a former user's own login: the way back for a contract whose
      Admin users all left), and anything else only while the contract never had an Admin user of its
      own (onboarding). A contract that had one waits: the bank reactivates one of its former Admin
      users, who then confirms; two bank employees never make its new Admin user alone."""
    if change.kind in BankChange.BANK_ONLY:
        return True
    if User.objects.active_admins(change.organization_id).exists():
        return False
    if change.kind == BankChange.Kind.REACTIVATED:
        return True
    return not change.organization.had_admins()


@transaction.atomic
def bank_change_confirm(*, change: BankChange, by, ip: str | None = None) -> BankChange:
    """An Admin user of the organization confirms a change that two staff users agreed on: it takes effect."""
    change = _locked(change)
    if not by.is_admin_of(change.organization_id):
        raise Refused("not_allowed")
    if change.state != BankChange.State.ORGANIZATION:
        raise Refused("not_waiting_for_you" if change.state == BankChange.State.BANK else "decided")
    if change.user.organization_id != change.user_organization_id:
        raise Refused("user_moved")
    change.state, change.decided_by, change.decided_at = BankChange.State.DONE, by, timezone.now()
    change.save()
    record(
        action=Action.CHANGE_CONFIRMED,
        actor=by,
        subject=change.user,
        organization_id=change.organization_id,
        ip=ip,
        details=bank_change_details(change),
    )
    _take_effect(change, onboarding=False)
    return change


@transaction.atomic
def bank_change_refuse(*, change: BankChange, by, ip: str | None = None) -> BankChange:
    """A staff user withdraws, or an Admin user of the organization refuses, an open change."""
    change = _locked(change)
    staff = by.is_support_staff
    if not staff and (not by.is_admin_of(change.organization_id) or change.kind in BankChange.BANK_ONLY):
        raise Refused("not_allowed")  # the last Admin user does not keep their own rights by refusing
    if not change.is_open:
        raise Refused("decided")
    change.state, change.decided_by, change.decided_at = BankChange.State.REFUSED, by, timezone.now()
    change.save()
    details = bank_change_details(change)
    if staff:
        entry = UserChange(Action.CHANGE_WITHDRAWN, change.organization_id, details)
        announce(user=change.user, by=by, changes=[entry], ip=ip)
    else:
        record(
            action=Action.CHANGE_REFUSED,
            actor=by,
            subject=change.user,
            organization_id=change.organization_id,
            ip=ip,
            details=details,
        )
    return change


def _take_effect(change: BankChange, *, onboarding: bool) -> None:
    """Apply the change to the user and announce it as the asking staff user's (`announce`); an added
    user gets their set-password link now, and not before."""
    user = User.objects.select_for_update().get(pk=change.user_id)
    now, Kind = timezone.now(), BankChange.Kind
    org = change.organization_id
    if user.is_org_admin:
        Organization.mark_had_admin(user.organization_id)
    changes = []
    if change.kind == Kind.DEACTIVATED:  # also what a move of the last Admin user out of every organization is
        user.is_active = False
        changes.append(UserChange(Action.USER_DEACTIVATED, org))
    elif change.kind == Kind.ADMIN_WITHDRAWN:
        user.is_org_admin = False
        changes.append(UserChange(Action.ADMIN_WITHDRAWN, org))
    elif change.kind == Kind.REACTIVATED:
        user.is_active = True
        changes.append(UserChange(Action.USER_REACTIVATED, org))
    elif change.kind == Kind.MOVED:
        # Arrives as a standard user: the Admin flag in the new organization is a change of its own.
        user.organization_id, user.is_org_admin = org, False
        if change.from_organization_id is not None:
            changes.append(UserChange(Action.USER_MOVED_OUT, change.from_organization_id))
        changes.append(UserChange(Action.USER_MOVED_IN, org))
    elif change.kind == Kind.USER_ADDED:
        user.is_active, user.is_org_admin = True, change.is_org_admin
        changes.append(UserChange(Action.USER_ADDED, org, {"is_org_admin": change.is_org_admin}))
        if change.is_org_admin:
            changes.append(UserChange(Action.ADMIN_GRANTED, org))
    elif change.kind == Kind.ADMIN_GRANTED:
        user.is_org_admin = True
        changes.append(UserChange(Action.ADMIN_GRANTED, org))
    else:
        changes.append(UserChange(Action.USER_CHANGED, org, {"fields": ["email"], "previous_email": user.email}))
        user.email, user.email_changed_by_staff_at = change.email, now
    if onboarding and user.is_org_admin:
        user.admin_onboarded_at, user.admin_confirmed_at, user.admin_confirmed_by = now, None, None
    user.save()
    if user.is_org_admin and user.is_active:
        Organization.mark_had_admin(user.organization_id)
    announce(user=user, by=change.requested_by, changes=changes, ip=None)
    if change.kind == Kind.USER_ADDED and may_get_set_password_link(user):
        send_set_password_link(user=user, by=change.requested_by)


@transaction.atomic
def onboarded_admin_confirm(*, user: User, by, ip: str | None = None) -> User:
    """Another Admin user of the organization (one it stands behind) confirms an Admin user the bank made
    alone: from now on they decide four-eyes requests too. On «Activity»."""
    user = User.objects.select_for_update().get(pk=user.pk)
    organization_id = user.organization_id
    if organization_id is None or by.pk == user.pk or not by.may_decide_four_eyes(organization_id):
        raise Refused("not_a_confirming_admin")
    if not (user.is_admin_of(organization_id) and user.awaits_admin_confirmation):
        raise Refused("nothing_to_confirm")
    user.admin_confirmed_at, user.admin_confirmed_by = timezone.now(), by
    user.save(update_fields=["admin_confirmed_at", "admin_confirmed_by"])
    details = {"name": user.get_full_name(), "email": user.email}
    record(
        action=Action.ADMIN_CONFIRMED, actor=by, subject=user, organization_id=organization_id, ip=ip, details=details
    )
    return user
