"""What waits for an Admin user: the «Needs attention» block at the top of the key list, and the bands
of the Overview and of Administration.

- the keys waiting for this Admin user's approval (made by another Admin user of the contract, still
  within their approval window), with «Approve» and «Reject» in the block;
- the keys that expire within `EXPIRES_SOON_DAYS` days and are not being replaced;
- the replaced keys whose overlap ends within `REPLACEMENT_ENDS_WITHIN`: the software must have
  switched to the new key by then;
- the emergency stop: while it holds, every key is refused, and the band says so first;
- the changes of the contract's logins by the bank that wait for an Admin user's confirmation (a band
  that leads to User management, `apikeys.bank_changes`).

The cost does not grow with the contract: each list is one query that stops after `SHOWN` rows and one
count that stops after `COUNT_CAP` + 1 («more than 1,000», `efinance.lib.counting`), each read from an
index that holds only the keys it is about (`apikey_org_status`, and the partial indexes of the keys
waiting for approval and of the keys being replaced).
"""

import dataclasses
import datetime

from django.utils import timezone

from apikeys.models import APPROVAL_WINDOW, ApiKey
from apikeys.models.status import expires_soon_q, valid_q
from apikeys.policy.rules import resume_rule
from efinance.lib.counting import counts_capped
from users.models import BankChange, User

SHOWN = 5  # rows of each list in the block; the count says how many there are
REPLACEMENT_ENDS_WITHIN = datetime.timedelta(days=7)
# What a row of the block shows of a key, its approval forms included (templates/apikeys/_key_approval.html).
ROW_FIELDS = (
    "key_id",
    "api",
    "note",
    "valid_until",
    "ends_at",
    "created_by_id",
    "approval_requested_at",
    "approved_at",
    "user__username",
    # Who made it, as the row names them (`includes/person.html`).
    "created_by__username",
    "created_by__first_name",
    "created_by__last_name",
    "created_by__email",
)


@dataclasses.dataclass(frozen=True)
class Listed:
    """The first `SHOWN` keys of one kind and how many there are in all (`capped`: «more than 1,000»)."""

    keys: list[ApiKey]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.keys)


@dataclasses.dataclass(frozen=True)
class Attention:
    suspended: bool
    may_resume: bool  # this Admin user may lift the stop (`resume_rule`: not the one who set it, unless alone)
    waiting: Listed
    expiring: Listed
    ending: Listed
    # Changes of the contract's logins by the bank that wait for this Admin user's confirmation.
    bank_changes: int = 0

    @property
    def keys_need_attention(self) -> bool:
        return bool(self.waiting.count or self.expiring.count or self.ending.count)

    def __bool__(self) -> bool:
        return self.suspended or self.keys_need_attention or bool(self.bank_changes)


def waiting_for(user, now: datetime.datetime):
    """The keys of `user`'s contract that `user` may approve or reject now (`apikey_approve`'s rule):
    made by another Admin user who is still one here (the request of someone who left cannot be approved)."""
    requesters = User.objects.active_admins(user.organization_id).exclude(pk=user.pk).values("pk")
    return ApiKey.objects.of_organization(user.organization_id).filter(
        revoked_at__isnull=True,
        approved_at__isnull=True,
        approval_requested_at__gt=now - APPROVAL_WINDOW,
        created_by_id__in=requesters,
    )


def attention_of(user, *, today: datetime.date | None = None, now: datetime.datetime | None = None, rows: bool = True):
    """What waits for the Admin user `user`; with `rows`, the first keys of each kind (the block), else
    the counts only (the bands)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now, timezone.get_default_timezone())
    organization = user.organization
    valid = ApiKey.objects.of_organization(organization.pk).filter(valid_q(today, now=now))
    kinds = {
        "waiting": waiting_for(user, now).order_by("approval_requested_at", "id"),
        "expiring": valid.filter(expires_soon_q(today)).order_by("valid_until", "id"),
        "ending": valid.filter(ends_at__lte=now + REPLACEMENT_ENDS_WITHIN).order_by("ends_at", "id"),
    }
    listed = {}
    for name, keys in kinds.items():
        count = counts_capped(keys)[0]
        shown = list(keys.select_related("user", "created_by").only(*ROW_FIELDS)[:SHOWN]) if rows and count else []
        listed[name] = Listed(shown, count)
    suspended = organization.keys_suspended_at is not None
    return Attention(
        suspended=suspended,
        may_resume=suspended and resume_rule(organization, user) != "other_admin",
        bank_changes=BankChange.objects.filter(
            organization_id=organization.pk, state=BankChange.State.ORGANIZATION
        ).count(),
        **listed,
    )
