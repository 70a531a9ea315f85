"""Signals of the users app: what the bank's staff changed about a customer's user.

`users` may not import `apikeys` (the arrows go `billing → apikeys → users → audit`), yet a change
of a customer's user by the bank has consequences there: the e-mail to the organization's Admin
users, and — when the user is deactivated or leaves the organization — the deletion of their valid
API keys. So `users.services` records the change in the audit log and then sends
`customer_user_changed`, inside the same transaction, and `apikeys` connects its receiver in
`ApikeysConfig.ready()`. The signal is sent with ``send`` (not ``send_robust``): a receiver that
fails rolls the whole change back, so a user is never deactivated with their keys still valid.

Arguments: ``user`` (as saved), ``by`` (the staff user), ``changes`` (a list of `UserChange`, in
the order they are recorded), ``entries`` (their audit entries, in the same order), ``ip`` (the staff
user's address). A receiver may answer a dict; the
admin shows ``{"deleted_keys": [key IDs]}`` after saving.
"""

from dataclasses import dataclass, field

from django.dispatch import Signal

from audit.models import Action

customer_user_changed = Signal()


# After these the user's valid keys are deleted: they left (the organization, or the bank).
LEAVING = frozenset({Action.USER_DEACTIVATED, Action.USER_MOVED_OUT})


@dataclass(frozen=True)
class UserChange:
    """One change of a customer's user, recorded in the log of `organization_id`."""

    kind: str
    organization_id: int
    details: dict = field(default_factory=dict)
