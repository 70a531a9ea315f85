"""Signals of the users app: what the bank's staff changed about a customer's user.

`users` may not import `apikeys` (the arrows go `billing → apikeys → users`), yet a change of a
customer's user by the bank has consequences there: an entry in the organization's audit log, the
e-mail to its Admin users, and — when the user is deactivated or leaves the organization — the
deletion of their valid API keys. So `users.services` sends `customer_user_changed` after it saved
the user, inside the same transaction, and `apikeys` connects its receiver in
`ApikeysConfig.ready()`. The signal is sent with ``send`` (not ``send_robust``): a receiver that
fails rolls the whole change back, so a user is never deactivated with their keys still valid.

Arguments: ``user`` (as saved), ``by`` (the staff user), ``changes`` (a list of `UserChange`, in
the order they are recorded), ``ip`` (the staff user's address). A receiver may answer a dict; the
admin shows ``{"deleted_keys": [key IDs]}`` after saving.
"""

from dataclasses import dataclass, field

from django.dispatch import Signal

customer_user_changed = Signal()


class Change:
    """The kinds of change that are recorded (the audit log's actions of the same names)."""

    ADDED = "user_added"
    ADMIN_GRANTED = "admin_granted"
    ADMIN_WITHDRAWN = "admin_withdrawn"
    DEACTIVATED = "user_deactivated"
    REACTIVATED = "user_reactivated"
    MOVED_OUT = "user_moved_out"
    MOVED_IN = "user_moved_in"
    CHANGED = "user_changed"
    SET_PASSWORD_LINK_SENT = "password_link_sent"  # noqa: S105 (an action, not a password)

    # After these the user's valid keys are deleted: they left (the organization, or the bank).
    LEAVING = frozenset({DEACTIVATED, MOVED_OUT})


@dataclass(frozen=True)
class UserChange:
    """One change of a customer's user, recorded in the log of `organization_id`."""

    kind: str
    organization_id: int
    details: dict = field(default_factory=dict)
