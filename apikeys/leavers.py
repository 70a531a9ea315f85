"""An Admin user who leaves: deactivated, moved to another organization, or no longer an Admin user.

- Their requests that wait for a second Admin user (a production key under four-eyes, a weakening of
  the policy, wider networks of a key) lapse at once (`requests_lapse`): nobody stands behind them any
  more. Whatever path took them out (also one that bypassed this), `policy.rules` refuses to decide a
  request whose requester is not an active Admin user of its organization (`stands_behind_q`,
  `User.is_admin_of`).
- The tokens they saw stay a risk: every valid key they created (its token was shown to them once,
  at its creation or replacement) is shown to the other Admin users, by e-mail at once
  (`notify_tokens_seen`) and in the band over the key list (`tokens_seen_by_leavers`: the first
  `BAND_SHOWN`, «and N more»), with «Replace» one click away, until it is replaced or deleted.
"""

import datetime

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from apikeys import sql
from apikeys.models import ApiKey, Decision, PolicyChange
from audit.log import record
from audit.models import Action
from efinance.lib.counting import CappedCount, capped
from users.mail import notify
from users.models import User

# The revoke reason of a key whose approval lapsed because its requester left.
REASON_REQUESTER_LEFT = "requester_left"
# Keys named in the band over the key list; «and N more» says how many others there are.
BAND_SHOWN = 10


def stands_behind_q(field: str) -> Q:
    """Rows whose user in `field` (the requester) is still an active Admin user of the row's
    organization: in SQL what `User.is_admin_of` is in Python."""
    same_organization = {f"{field}__organization_id": F("organization_id")}
    return Q(**{f"{field}__is_active": True, f"{field}__is_org_admin": True}, **same_organization)


def requests_lapse(*, user: User, organization_id: int, now: datetime.datetime | None = None) -> dict:
    """Every request of `user` in `organization_id` that waits for a second Admin user lapses now:
    a production key waiting for approval is deleted (in their name, as a lapse is; a key it was to
    replace works on), an open policy change is closed undecided. Answer what lapsed:
    ``{"keys": [ApiKey], "changes": [PolicyChange]}``."""
    now = now or timezone.now()
    waiting = ApiKey.objects.filter(
        organization_id=organization_id,
        created_by=user,
        revoked_at__isnull=True,
        approval_requested_at__isnull=False,
        approved_at__isnull=True,
    )
    keys = []
    for key in waiting.select_for_update().select_related("user").order_by("key_id"):
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=user, revoke_reason=REASON_REQUESTER_LEFT
        )
        key.revoked_at, key.revoked_by, key.revoke_reason = now, user, REASON_REQUESTER_LEFT
        record(
            action=Action.REQUEST_LAPSED,
            actor=None,
            key=key,
            details={"api": key.api, "requested_by": user.username},
            at=now,
        )
        keys.append(key)
    ApiKey.objects.release_predecessors([key.pk for key in keys], now=now)
    changes = list(
        PolicyChange.objects.open(now)
        .filter(organization_id=organization_id, requested_by=user)
        .select_related("key")
        .order_by("pk")
    )
    PolicyChange.objects.filter(pk__in=[change.pk for change in changes]).update(
        decided_at=now, decided_by=None, decision=Decision.LAPSED
    )
    for change in changes:
        record(
            action=Action.REQUEST_LAPSED,
            actor=None,
            organization_id=organization_id,
            key_id=change.key.key_id if change.key else "",
            details={**change.values, "requested_by": user.username},
            at=now,
        )
    return {"keys": keys, "changes": changes}


def _not_being_replaced(keys):
    """Of `keys`, those not replaced already: no end set, no successor that is not deleted."""
    successor = ApiKey.objects.filter(replaces=OuterRef("pk"), revoked_at__isnull=True)
    return keys.filter(ends_at__isnull=True).exclude(Exists(successor))


def tokens_seen_by(user: User, organization_id: int):
    """The valid keys of `organization_id` that `user` created (they saw each token once), not
    replaced yet: what the other Admin users should replace now that `user` left."""
    keys = ApiKey.objects.valid().filter(organization_id=organization_id, created_by=user)
    return _not_being_replaced(keys).select_related("user").order_by("key_id")


def leavers_of(organization_id: int) -> list[int]:
    """The users who created a key of `organization_id` and have left it since (deactivated, or moved to
    another organization): found from the contract's creators (`sql.CREATORS`, the index
    `apikey_org_creator`), never from every one of its keys."""
    creators = [row["created_by"] for row in sql.CREATORS.fetchall([organization_id, organization_id])]
    if not creators:
        return []
    left = User.objects.filter(pk__in=creators).exclude(is_active=True, organization_id=organization_id)
    return list(left.values_list("pk", flat=True))


def tokens_seen_by_leavers(organization_id: int, shown: int = BAND_SHOWN) -> tuple[list[ApiKey], int]:
    """The band over the key list: the first `shown` valid keys of `organization_id` created by someone
    who has left it since, not replaced yet (by creator, then key ID), and how many there are in all
    (`capped`: «more than 1,000»). Three queries at any size of the contract, each read from an index:
    the creators, those who left, and their keys (`apikey_org_creator`), counted up to the cap in the
    same query."""
    leavers = leavers_of(organization_id)
    if not leavers:
        return [], 0
    keys = _not_being_replaced(
        ApiKey.objects.valid().filter(organization_id=organization_id, created_by_id__in=leavers)
    )
    rows = keys.select_related("user", "created_by").order_by("created_by__username", "key_id")
    rows = list(rows.annotate(band_count=CappedCount(keys))[:shown])
    return rows, capped(rows[0].band_count) if rows else 0


def notify_tokens_seen(*, user: User, organization, lapsed: dict, left: bool = True) -> list[ApiKey]:
    """Tell the organization's active Admin users which of `user`'s requests lapsed (`lapsed`, from
    `requests_lapse`) and, when `user` `left` the organization (not only the Admin flag), which valid
    keys they created, with a «Replace» link each; nothing when there is neither. Answer the keys."""
    keys = list(tokens_seen_by(user, organization.pk)) if left else []
    if not keys and not lapsed["keys"] and not lapsed["changes"]:
        return keys
    for key in keys:
        key.replace_url = settings.SITE_URL + reverse("apikeys:replace", args=[key.key_id])
    notify(
        User.objects.active_admins(organization.pk).exclude(pk=user.pk).order_by("pk"),
        "tokens_seen",
        {
            "organization": organization,
            "leaver": user,
            "keys": keys,
            "lapsed_keys": lapsed["keys"],
            "lapsed_changes": lapsed["changes"],
            "list_url": settings.SITE_URL + reverse("apikeys:list"),
        },
    )
    return keys
