"""The contract's own security policy: operations that write several rows together.

- Four-eyes: a production key made while `SecurityPolicy.four_eyes` is on waits for a second Admin
  user (`apikey_approve`, `apikey_reject`); the Admin user who made it can never decide it. Not approved
  within `APPROVAL_WINDOW`, the API keeps refusing it and `apikeys_delete_lapsed` (command
  ``delete_unapproved_keys``, daily) deletes it. A request whose requester has left (no longer an
  active Admin user of the organization) lapses at once and is never approved (`apikeys.leavers`).
- A change that weakens the policy while four-eyes is on (four-eyes off, a longer maximum, wider
  networks, Admin users' second factor no longer required), and widening one key's networks, wait as
  a `PolicyChange` for a second Admin user (`policy_change_decide`); a change that does not weaken
  (turning that rule on, say) applies at once.
- Networks of a new key lie within the policy's (`key_networks`): the policy bounds every key, and a
  key with wider networks would be a weakening nobody approved.
- The emergency stop (`apikeys_suspend`, `apikeys_resume`): every key of the organization is refused while
  it lasts; resuming needs an Admin user other than the one who suspended, or, when there is no
  other active Admin user, that same one after entering their password again.

Each decision is in the audit log; the Admin users concerned get an e-mail (`users.mail.notify`).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import networks
from apikeys.leavers import stands_behind_q
from apikeys.models import APPROVAL_WINDOW, ApiKey, Decision, PolicyChange, SecurityPolicy, end_of_validity
from audit.log import record
from audit.models import Action
from users.mail import notify
from users.models import Organization

MESSAGES = {
    "outside_policy": _(
        "Your contract's security policy allows only addresses in %(networks)s: choose networks within them."
    ),
    "own_request": _("You requested this yourself: another Admin user must decide it."),
    "not_admin": _("Only an active Admin user of the organization can decide this request."),
    "unconfirmed_admin": _(
        "The bank made you an Admin user: another Admin user of your organization must confirm you (User "
        "management) before you decide a request that waits for a second Admin user."
    ),
    "decided": _("This request has already been decided or has lapsed."),
    "requester_left": _("The Admin user who requested this has left: the request cannot be approved."),
    "not_pending": _("This key does not wait for approval."),
    "two_admins": _(
        "Four-eyes needs at least two active Admin users in your organization: ask the bank to add a second "
        "Admin user first."
    ),
    "already_suspended": _("All keys are already suspended."),
    "not_suspended": _("The keys are not suspended."),
    "other_admin": _("Another Admin user of your organization must resume the keys: you suspended them."),
    "password": _("Enter your password to resume the keys."),
}

REASON_REJECTED = "rejected"
REASON_LAPSED = "approval_lapsed"


class NotAllowed(Exception):
    """A decision the acting Admin user may not take; `message` says why, in their language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.message = MESSAGES[code]


def other_admins(organization_id: int, than=None):
    """The active Admin users of the organization, except `than`."""
    admins = Organization(pk=organization_id).active_admins()
    return admins.exclude(pk=than.pk) if than is not None else admins


# Four-eyes needs this many active Admin users: one to make a production key, another to approve it.
FOUR_EYES_ADMINS = 2


def can_have_four_eyes(organization_id: int) -> bool:
    return other_admins(organization_id).count() >= FOUR_EYES_ADMINS


def key_networks(policy: SecurityPolicy, requested: str | None) -> str:
    """The stored networks of a new key: the policy's default when `requested` is None; otherwise the
    requested list, which must lie within the policy's (ValidationError ``outside_policy``)."""
    if requested is None:
        return policy.allowed_networks
    parsed = networks.parse(requested)
    bound = networks.parse(policy.allowed_networks)
    if not networks.within(parsed, bound):
        raise ValidationError(
            MESSAGES["outside_policy"], code="outside_policy", params={"networks": ", ".join(map(str, bound))}
        )
    return networks.as_text(parsed)


def networks_widen(key: ApiKey, allowed_networks: str) -> bool:
    """Whether `allowed_networks` (as typed or stored) allow an address that the key's own refuse.
    Raises ValidationError for a list that is not one."""
    return not networks.within(networks.parse(allowed_networks), networks.parse(key.allowed_networks))


def _policy_values(*, max_validity_days, four_eyes, allowed_networks, admins_need_factor) -> dict:
    return {
        "max_validity_days": max_validity_days,
        "four_eyes": bool(four_eyes),
        "allowed_networks": networks.normalize(allowed_networks),
        "admins_need_factor": bool(admins_need_factor),
    }


def _policy_delta(policy: SecurityPolicy, values: dict) -> dict:
    """The fields of `values` that differ from `policy` now: what a change of the policy changes."""
    current = _policy_values(
        max_validity_days=policy.max_validity_days,
        four_eyes=policy.four_eyes,
        allowed_networks=policy.allowed_networks,
        admins_need_factor=policy.admins_need_factor,
    )
    return {name: value for name, value in values.items() if current[name] != value}


def old_key_end(key: ApiKey, overlap: datetime.timedelta, start: datetime.datetime) -> datetime.datetime:
    """When a replaced key stops working: `overlap` after its successor starts working (`start`),
    never later than its own end of validity. Whole seconds: the end is shown and told to integrators
    (keys/self, Sunset) to the second."""
    return min((start + overlap).replace(microsecond=0), end_of_validity(key.valid_until))


# --- Four-eyes for production keys ----------------------------------------------------------------


def apikey_request_approval(*, key: ApiKey, by) -> None:
    """Tell the other Admin users that `key` waits for one of them (called by `apikey_create`)."""
    notify(
        other_admins(key.organization_id, than=by),
        "key_approval_requested",
        {"key": key, "requested_by": by, "deadline": key.approval_deadline},
    )


def _check_decider(*, key: ApiKey, by, now) -> None:
    if not by.is_admin_of(key.organization_id):
        raise NotAllowed("not_admin")  # never a user held by the bank (`users.bank_changes`), nor an outsider
    if not by.may_decide_four_eyes(key.organization_id):
        raise NotAllowed("unconfirmed_admin")  # made by the bank alone, not yet confirmed by the organization
    if not key.is_pending_approval or key.revoked_at is not None or not key.is_valid:
        raise NotAllowed("not_pending")
    if by.pk == key.created_by_id:
        raise NotAllowed("own_request")
    if key.approval_lapsed(now):
        raise NotAllowed("decided")


def _record_decision(
    *, key: ApiKey, action: Action, by, ip: str | None, now: datetime.datetime, reason: str = ""
) -> None:
    """The audit entry of the decision on a key that waited for approval: a second Admin user's
    approval or rejection (with its reason), or (`by` None) the lapse of its window."""
    details = {"api": key.api, "requested_by": key.created_by.username}
    if reason:
        details["reason"] = reason
    record(action=action, actor=by, key=key, ip=ip, details=details, at=now)


def _tell_requester(requester, kind: str, context: dict) -> None:
    """E-mail the Admin user who asked (while still active) how their request was decided."""
    if requester is not None and requester.is_active:
        notify([requester], kind, context)


@transaction.atomic
def apikey_approve(*, key: ApiKey, by, ip: str | None = None, now: datetime.datetime | None = None) -> ApiKey:
    """A second Admin user approves a production key: from now on the API accepts it. A replacement's
    approval starts the overlap of the key it replaces (`replaces_overlap` from now, never later than
    that key's own end of validity)."""
    now = now or timezone.now()
    _check_decider(key=key, by=by, now=now)
    if not key.created_by.is_admin_of(key.organization_id):
        raise NotAllowed("requester_left")
    updated = (
        ApiKey.objects.valid()
        .filter(stands_behind_q("created_by"))
        .filter(pk=key.pk, approved_at__isnull=True, approval_requested_at__gt=now - APPROVAL_WINDOW)
        .exclude(created_by=by)
        .update(approved_at=now, approved_by=by)
    )
    if not updated:
        raise NotAllowed("decided")
    key.refresh_from_db(fields=["approved_at", "approved_by"])
    if key.replaces_id is not None and key.replaces_overlap is not None:
        old = ApiKey.objects.get(pk=key.replaces_id)
        ApiKey.objects.valid(now=now).filter(pk=old.pk, ends_at__isnull=True).update(
            ends_at=old_key_end(old, key.replaces_overlap, now)
        )
    _record_decision(key=key, action=Action.KEY_APPROVED, by=by, ip=ip, now=now)
    _tell_requester(key.created_by, "key_decided", {"key": key, "approved": True, "by": by, "reason": ""})
    return key


@transaction.atomic
def apikey_reject(
    *, key: ApiKey, by, reason: str = "", ip: str | None = None, now: datetime.datetime | None = None
) -> ApiKey:
    """A second Admin user rejects a production key, saying why (`reason`, in the audit log and the
    requester's e-mail): it is deleted for good (a key it was to replace works on to its own end)."""
    now = now or timezone.now()
    _check_decider(key=key, by=by, now=now)
    updated = (
        ApiKey.objects.valid()
        .filter(pk=key.pk, approved_at__isnull=True)
        .exclude(created_by=by)
        .update(revoked_at=now, revoked_by=by, revoke_reason=REASON_REJECTED)
    )
    if not updated:
        raise NotAllowed("decided")
    key.refresh_from_db(fields=["revoked_at", "revoked_by", "revoke_reason"])
    ApiKey.objects.release_predecessors([key.pk], now=now)
    _record_decision(key=key, action=Action.KEY_REJECTED, by=by, ip=ip, now=now, reason=reason)
    _tell_requester(key.created_by, "key_decided", {"key": key, "approved": False, "by": by, "reason": reason})
    return key


def apikeys_delete_lapsed(now: datetime.datetime | None = None) -> list[str]:
    """Delete the keys whose approval window passed unapproved; answer their key IDs. The API refuses
    them anyway (`Failure.PENDING_APPROVAL`); this makes the deletion final and visible. A key one of
    them was to replace works on to its own end."""
    now = now or timezone.now()
    deleted = []
    lapsed = ApiKey.objects.filter(
        revoked_at__isnull=True, approved_at__isnull=True, approval_requested_at__lte=now - APPROVAL_WINDOW
    )
    for key in lapsed.select_related("created_by"):
        with transaction.atomic():
            # Deleted in the name of the Admin user who requested it (the request lapsed).
            if not ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True, approved_at__isnull=True).update(
                revoked_at=now, revoked_by=key.created_by, revoke_reason=REASON_LAPSED
            ):
                continue
            ApiKey.objects.release_predecessors([key.pk], now=now)
            _record_decision(key=key, action=Action.APPROVAL_LAPSED, by=None, ip=None, now=now)
        deleted.append(key.key_id)
    return deleted


# --- Policy changes --------------------------------------------------------------------------------


def _request_change(*, organization_id: int, by, values: dict, key: ApiKey | None, ip, now) -> PolicyChange:
    """File a change for a second Admin user. A change of the policy holds only the fields it changes
    (`_policy_delta`) and supersedes only an open change of one of those fields: two waiting changes of
    different fields both stand, and each applies to the policy as it is when approved."""
    open_changes = PolicyChange.objects.open(now).filter(organization_id=organization_id, key=key)
    if key is None:
        open_changes = open_changes.filter(
            pk__in=[change.pk for change in open_changes if set(change.values) & set(values)]
        )
    open_changes.update(decided_at=now, decided_by=by, decision=Decision.SUPERSEDED)
    change = PolicyChange.objects.create(
        organization_id=organization_id, key=key, values=values, requested_at=now, requested_by=by
    )
    record(
        action=Action.POLICY_REQUESTED,
        actor=by,
        organization_id=organization_id,
        key_id=key.key_id if key else "",
        ip=ip,
        details=values,
        at=now,
    )
    notify(other_admins(organization_id, than=by), "policy_change_requested", {"change": change, "requested_by": by})
    return change


def _apply_policy(*, organization_id: int, values: dict, by, now, ip=None) -> SecurityPolicy:
    """The fields of `values` onto the policy as it is now (a field absent stays as it is); narrower
    networks narrow the keys they no longer cover (`_keys_within_networks`)."""
    policy = SecurityPolicy.of(organization_id)
    before = policy.allowed_networks
    for name in ("max_validity_days", "four_eyes", "allowed_networks"):
        if name in values:
            setattr(policy, name, values[name])
    policy.changed_at, policy.changed_by = now, by
    policy.save()
    if policy.allowed_networks != before:
        _keys_within_networks(policy, by=by, ip=ip, now=now)
    if values.get("admins_need_factor") is not None:  # absent from a change requested before the rule
        Organization.objects.filter(pk=organization_id).update(admins_need_factor=values["admins_need_factor"])
    return policy


def _keys_within_networks(policy: SecurityPolicy, *, by, ip, now) -> None:
    """Every key of the contract that allows an address the policy's networks no longer cover: narrowed
    to the addresses both allow, on its «Activity»; a key that shares no address with the policy's
    networks keeps its own (narrowing it would widen it to addresses it never had) and is flagged: an
    entry on its «Activity» and one e-mail to the Admin users, naming each such key."""
    bound = networks.parse(policy.allowed_networks)
    if not bound:
        return
    flagged = []
    for key in ApiKey.objects.filter(organization_id=policy.organization_id, revoked_at__isnull=True).order_by("pk"):
        own = networks.parse(key.allowed_networks)
        if networks.within(own, bound):
            continue
        common = networks.intersection(own, bound)
        if common:
            _apply_key_networks(key=key, new=networks.as_text(common), by=by, ip=ip, now=now, by_policy=True)
            continue
        flagged.append(key)
        record(
            action=Action.KEY_NETWORKS,
            actor=by,
            key=key,
            ip=ip,
            details={"allowed_networks": key.allowed_networks or "", "outside_policy": policy.allowed_networks},
            at=now,
        )
    if flagged:
        notify(
            Organization.objects.get(pk=policy.organization_id).active_admins(),
            "keys_outside_policy",
            {"keys": flagged, "networks": policy.network_list, "by": by},
        )


@transaction.atomic
def policy_update(
    *,
    organization_id: int,
    by,
    max_validity_days: int | None,
    four_eyes: bool,
    allowed_networks: str,
    admins_need_factor: bool | None = None,
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> PolicyChange | None:
    """Change the policy at once, or, when four-eyes is on and the change weakens it, file it for a
    second Admin user: answer that `PolicyChange` (None when applied). `admins_need_factor` None keeps
    that rule as it is."""
    now = now or timezone.now()
    # Serialize concurrent changes of one organization's policy on its row.
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    policy = SecurityPolicy.of(organization_id)
    policy.organization = organization
    if admins_need_factor is None:
        admins_need_factor = organization.admins_need_factor
    values = _policy_values(
        max_validity_days=max_validity_days,
        four_eyes=four_eyes,
        allowed_networks=allowed_networks,
        admins_need_factor=admins_need_factor,
    )
    if values["four_eyes"] and not policy.four_eyes and not can_have_four_eyes(organization_id):
        raise NotAllowed("two_admins")
    if policy.four_eyes and policy.weakened_by(**values):
        delta = _policy_delta(policy, values)
        return _request_change(organization_id=organization_id, by=by, values=delta, key=None, ip=ip, now=now)
    _apply_policy(organization_id=organization_id, values=values, by=by, now=now, ip=ip)
    record(action=Action.POLICY_CHANGED, actor=by, organization_id=organization_id, ip=ip, details=values, at=now)
    return None


@transaction.atomic
def apikey_set_networks(
    *, key: ApiKey, by, allowed_networks: str, ip: str | None = None, now: datetime.datetime | None = None
) -> PolicyChange | None:
    """Narrowing (or keeping) a key's networks applies at once; widening them is a policy change: it
    waits for a second Admin user while four-eyes is on. Either way they stay within the policy's."""
    now = now or timezone.now()
    policy = SecurityPolicy.of(key.organization_id)
    new = key_networks(policy, allowed_networks)
    if networks_widen(key, new) and policy.four_eyes:
        return _request_change(
            organization_id=key.organization_id, by=by, values={"allowed_networks": new}, key=key, ip=ip, now=now
        )
    _apply_key_networks(key=key, new=new, by=by, ip=ip, now=now)
    return None


def _apply_key_networks(
    *, key: ApiKey, new: str, by, ip, now, action=Action.KEY_NETWORKS, by_policy: bool = False
) -> None:
    before = key.allowed_networks or ""
    ApiKey.objects.filter(pk=key.pk).update(allowed_networks=new or None)
    key.allowed_networks = new or None
    record(
        action=action,
        actor=by,
        key=key,
        ip=ip,
        details={"allowed_networks": new, "before": before, **({"by_policy": True} if by_policy else {})},
        at=now,
    )


@transaction.atomic
def policy_change_decide(
    *,
    change: PolicyChange,
    by,
    approve: bool,
    reason: str = "",
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> PolicyChange:
    """A second Admin user approves (then it applies) or rejects a waiting change, saying why
    (`reason`); the Admin user who asked gets an e-mail either way."""
    now = now or timezone.now()
    if not by.is_admin_of(change.organization_id):
        raise NotAllowed("not_admin")  # never a user held by the bank (`users.bank_changes`), nor an outsider
    if not by.may_decide_four_eyes(change.organization_id):
        raise NotAllowed("unconfirmed_admin")  # made by the bank alone, not yet confirmed by the organization
    if by.pk == change.requested_by_id:
        raise NotAllowed("own_request")
    if approve and change.decided_at is None and change.requester_left:
        raise NotAllowed("requester_left")
    decision = Decision.APPROVED if approve else Decision.REJECTED
    open_changes = PolicyChange.objects.open(now)
    if approve:
        open_changes = open_changes.filter(stands_behind_q("requested_by"))
    updated = (
        open_changes.filter(pk=change.pk)
        .exclude(requested_by=by)
        .update(decided_at=now, decided_by=by, decision=decision)
    )
    if not updated:
        raise NotAllowed("decided")
    change.refresh_from_db()
    key = change.key
    if approve and key is not None:
        if not key.is_valid:
            raise NotAllowed("decided")
        _apply_key_networks(key=key, new=change.values["allowed_networks"], by=by, ip=ip, now=now)
    elif approve:
        _apply_policy(organization_id=change.organization_id, values=change.values, by=by, now=now, ip=ip)
    record(
        action=Action.POLICY_APPROVED if approve else Action.POLICY_REJECTED,
        actor=by,
        organization_id=change.organization_id,
        key_id=key.key_id if key else "",
        ip=ip,
        details={
            **change.values,
            "requested_by": change.requested_by.username,
            **({"reason": reason} if reason else {}),
        },
        at=now,
    )
    _tell_requester(
        change.requested_by,
        "policy_change_decided",
        {"change": change, "approved": approve, "by": by, "reason": reason},
    )
    return change


# --- Emergency stop ----------------------------------------------------------------------------------


def _tell_admins(organization: Organization, kind: str, by, reason: str = "") -> None:
    notify(organization.active_admins(), kind, {"organization": organization, "by": by, "reason": reason})


@transaction.atomic
def apikeys_suspend(*, organization: Organization, by, reason: str, ip: str | None = None, now=None) -> None:
    """Every key of the organization is refused from the next request on; nothing is deleted."""
    now = now or timezone.now()
    updated = Organization.objects.filter(pk=organization.pk, keys_suspended_at__isnull=True).update(
        keys_suspended_at=now, keys_suspended_by=by, keys_suspension_reason=reason
    )
    if not updated:
        raise NotAllowed("already_suspended")
    organization.refresh_from_db()
    record(action=Action.KEYS_SUSPENDED, actor=by, organization_id=organization.pk, ip=ip, details={"reason": reason})
    _tell_admins(organization, "keys_suspended", by, reason)


def resume_rule(organization: Organization, user) -> str:
    """How `user` may resume: ``ok``; ``password`` (they suspended and are the only active Admin
    user: after entering their password again); ``other_admin`` (they suspended, another must resume)."""
    if user.pk != organization.keys_suspended_by_id:
        return "ok"
    if other_admins(organization.pk, than=user).exists():
        return "other_admin"
    return "password"


@transaction.atomic
def apikeys_resume(
    *, organization: Organization, by, password_confirmed: bool = False, ip: str | None = None, now=None
) -> None:
    now = now or timezone.now()
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.keys_suspended_at is None:
        raise NotAllowed("not_suspended")
    rule = resume_rule(organization, by)
    if rule == "other_admin" or (rule == "password" and not password_confirmed):
        raise NotAllowed(rule)
    suspended_by = organization.keys_suspended_by.username if organization.keys_suspended_by else ""
    reason = organization.keys_suspension_reason
    Organization.objects.filter(pk=organization.pk).update(
        keys_suspended_at=None, keys_suspended_by=None, keys_suspension_reason=""
    )
    organization.refresh_from_db()
    record(
        action=Action.KEYS_RESUMED,
        actor=by,
        organization_id=organization.pk,
        ip=ip,
        details={"reason": reason, "suspended_by": suspended_by, "password_confirmed": rule == "password"},
        at=now,
    )
    _tell_admins(organization, "keys_resumed", by, reason)
