"""A key's status, derived from its dates and its revocation record, never stored: `status_of` in
Python, `valid_q` the same rule in SQL."""

import datetime

from django.db.models import F, Q
from django.utils import timezone

from apikeys.models.choices import Status
from apikeys.models.validity import EXPIRES_SOON_DAYS


def status_of(
    revoked_at,
    valid_until: datetime.date,
    today: datetime.date | None = None,
    *,
    ends_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> str:
    """The status of a key: deleted once revoked, replaced once the end chosen at its replacement
    (`ends_at`) has come, expired once its last valid day has passed (Europe/Zurich), valid
    otherwise. `valid_q` is the same rule in SQL."""
    now = now or timezone.now()
    if revoked_at is not None:
        return Status.DELETED
    if ends_at is not None and ends_at <= now:
        return Status.REPLACED
    if valid_until < (today or timezone.localdate(now, timezone.get_default_timezone())):
        return Status.EXPIRED
    return Status.VALID


# The order of «Expired and deleted keys», alike on every database: deleted ones by deletion, newest
# first, then the expired ones (PostgreSQL would put the NULLs of a DESC order first).
ENDED_ORDER = [F("revoked_at").desc(nulls_last=True), "-valid_until", "-id"]


def valid_q(today: datetime.date | None = None, prefix: str = "", now: datetime.datetime | None = None) -> Q:
    """The keys that are valid on `today` (at `now`), as a filter; `prefix` reaches them through a
    relation (``"api_keys__"`` from a user). The SQL form of `status_of`."""
    now = now or timezone.now()
    return Q(
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": now}),
        **{f"{prefix}revoked_at__isnull": True, f"{prefix}valid_until__gte": today or timezone.localdate(now)},
    )


def expires_soon_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Of the valid keys, those whose validity ends within `EXPIRES_SOON_DAYS` days and that are not
    being replaced (those show their replacement's end instead). The SQL form of `ApiKey.expires_soon`."""
    today = today or timezone.localdate()
    return Q(
        **{
            f"{prefix}valid_until__lte": today + datetime.timedelta(days=EXPIRES_SOON_DAYS),
            f"{prefix}ends_at__isnull": True,
        }
    )
