"""E-mail notices about keys: the creation notice, the reminders before a key's end of validity, and
the first use of a key from a new network (to the Admin users only, `notify_new_network`).

The first two go to the key's user and to every active Admin user of its organization, each in their
own language (`users.mail.notify`), and name the key by its key ID only — never a token or a hash. A
technical user has no address: the notices of its keys go to the Admin users only.

Reminders (`send_expiry_reminders`, run daily by cron as ``manage.py send_expiry_reminders``): a key
is due a reminder when it has at most 30, 7 or 1 day(s) left (days left = last valid day − today).
Of the thresholds due at once only the nearest is sent, and a threshold that had already been
reached when the key was created is skipped (its creation notice said when it ends). Exactly once
per key and threshold: each message carries the dedupe key ``expiry:<key ID>:<threshold>``, which
the outbox makes unique per recipient, so that a second run, a run after a crash or two app servers
at once queue nothing twice; what SMTP refused stays in the outbox for the next run. Deleted keys,
replaced keys (also during their overlap) and keys of deactivated users get no reminder.
"""

import datetime
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apikeys.models import SEEN_NETWORK_DAYS, ApiKey, days_left
from users.mail import BATCH, notify, notify_batch, send_pending
from users.models import OutboxMessage, User

THRESHOLDS = (30, 7, 1)  # days left at which a reminder is due
CHUNK = 50  # keys per transaction: a crash loses at most one chunk's queueing, which the rerun redoes


def admins_of(organization_id: int) -> list[User]:
    return list(User.objects.active_admins(organization_id).by_name())


def recipients_for(key: ApiKey, admins: list[User] | None = None) -> list[User]:
    """The key's user (while active) and the organization's active Admin users (`admins`, when the
    caller has them already)."""
    admins = admins_of(key.organization_id) if admins is None else admins
    people = [key.user] if key.user.is_active else []
    return people + [admin for admin in admins if admin.pk != key.user_id]


def notify_created(key: ApiKey) -> None:
    """Queue the creation notice in the caller's transaction (that of the key's creation)."""
    notify(
        recipients_for(key),
        "key_created",
        {"key": key, "created_by": key.created_by},
    )


def notify_replaced(*, old: ApiKey, new: ApiKey, by) -> None:
    """Queue the notice of a replacement in the caller's transaction: which key ends when."""
    notify(
        recipients_for(new),
        "key_replaced",
        {"old": old, "key": new, "by": by},
    )


def notify_new_network(*, verification, network: str, at: datetime.datetime) -> None:
    """Queue «first use from a new network» to the contract's active Admin users, in the caller's
    transaction (the outbox's runner sends it). Once per key, network and stretch of use (`at` is when
    it began)."""
    # The key's facts for the notice: one more query, on this rare path only (a key's first request
    # from a network), never on the usual request.
    key = ApiKey.objects.select_related("user", "created_by").get(pk=verification.pk)
    notify(
        admins_of(verification.organization_id),
        "key_new_network",
        {"key": key, "key_id": key.key_id, "network": network, "at": at, "days": SEEN_NETWORK_DAYS},
        dedupe_key=f"network:{verification.key_id}:{network}:{at.isoformat()}",
    )


def due_threshold(key: ApiKey, today: datetime.date) -> int | None:
    """The reminder threshold due for `key` on `today`: the nearest one reached, skipping those the
    key had already reached on the day it was created; None when none is due."""
    left = days_left(key.valid_until, today)
    at_creation = days_left(key.valid_until, timezone.localdate(key.created_at))
    due = [threshold for threshold in THRESHOLDS if 0 <= left <= threshold < at_creation]
    return min(due) if due else None


def dedupe_key(key: ApiKey, threshold: int) -> str:
    return f"expiry:{key.key_id}:{threshold}"


@dataclass
class ReminderRun:
    keys: int = 0  # keys due a reminder today
    queued: int = 0  # messages queued by this run (a rerun queues none)
    sent: int = 0  # of those, sent (by this run or, concurrently, by another sender)
    waiting: int = 0  # of those, not sent yet (SMTP failed): the outbox retries them
    retried: int = 0  # older messages of the outbox sent by this run's drain
    seconds: float = 0.0


def reminder_candidates(today: datetime.date):
    """Keys that could be due: valid on `today`, not replaced (nor being replaced: a successor waits
    for approval), user active, ending within 30 days."""
    return (
        ApiKey.objects.exclude(
            pk__in=ApiKey.objects.filter(revoked_at__isnull=True, replaces__isnull=False).values("replaces")
        )
        .filter(
            revoked_at__isnull=True,
            ends_at__isnull=True,
            valid_until__gte=today,
            valid_until__lte=today + datetime.timedelta(days=max(THRESHOLDS)),
            user__is_active=True,
        )
        .select_related("user", "organization", "created_by")
        .order_by("valid_until", "id")
    )


def _admins_by_organization(organization_ids) -> dict[int, list[User]]:
    """The active Admin users of each organization, by name, in one query."""
    found: dict[int, list[User]] = {organization_id: [] for organization_id in organization_ids}
    for admin in User.objects.active_admins().filter(organization_id__in=found).by_name():
        found[admin.organization_id].append(admin)
    return found


def send_expiry_reminders(today: datetime.date | None = None) -> ReminderRun:
    """Queue the reminders due on `today` and send them with what the outbox holds.

    In batches of `CHUNK` keys, each in a fixed number of statements however many keys and
    organizations it has: the Admin users of its organizations in one query, the reminders already
    queued in one, its messages in one INSERT (`users.mail.notify_batch`), in one transaction — a
    crash loses at most that batch's queueing, which the rerun redoes. The outbox's runner then claims
    and records them a batch at a time (`users.mail.send_pending`)."""
    today = today or timezone.localdate()
    started = time.perf_counter()
    run = ReminderRun()
    due = [(key, threshold) for key in reminder_candidates(today) if (threshold := due_threshold(key, today))]
    run.keys = len(due)
    queued = []
    for start in range(0, len(due), CHUNK):  # chunks bound each query's parameters and transaction
        chunk = due[start : start + CHUNK]
        admins = _admins_by_organization({key.organization_id for key, _threshold in chunk})
        notices = [
            (
                recipients_for(key, admins[key.organization_id]),
                {
                    "key": key,
                    "threshold": threshold,
                    "days_left": days_left(key.valid_until, today),
                    "admins_by_organization": admins,
                },
                dedupe_key(key, threshold),
            )
            for key, threshold in chunk
        ]
        with transaction.atomic():
            queued += [message.pk for message in notify_batch("expiry_reminder", notices)]
    # A batch job, not a request: it drains the outbox like its runner (what it queued, and what an
    # earlier failure left), so that the reminders leave with the run.
    drained = send_pending(limit=len(queued) + BATCH)[0]
    run.queued = len(queued)
    run.sent = sum(
        OutboxMessage.objects.filter(pk__in=queued[start : start + 500], sent_at__isnull=False).count()
        for start in range(0, len(queued), 500)
    )
    run.retried = max(drained - run.sent, 0)
    run.waiting = run.queued - run.sent
    run.seconds = time.perf_counter() - started
    return run
