"""What happens to keys, in the audit log (`audit`): a key created (by, for, API, validity end),
replaced, deleted by its Admin user, revoked by support (by, reason), deleted because its token was
reported as exposed (the reporter's address, where); failed API authentications with a well-formed
token, one row per key and hour with a counter (unknown key IDs: one row an hour, without
organization); a token sent in a URL. Every entry carries the actor, the organization, the IP address
and the time. The logins are recorded by `users.receivers`.
"""

import datetime
import logging

from django.db import connection
from django.utils import timezone

from apikeys import sql
from apikeys.models import EXPOSED_REASON
from audit.log import record
from audit.models import Action, AuditEvent

log = logging.getLogger("apikeys.activity")


def record_key_created(*, key, by, ip: str | None = None) -> AuditEvent:
    return record(
        action=Action.KEY_CREATED,
        actor=by,
        key=key,
        ip=ip,
        details={
            "api": key.api,
            "valid_until": key.valid_until.isoformat(),
            "note": key.note,
            "scopes": key.scope_list,
            # The contract's security policy: only when it applies.
            **({"allowed_networks": key.allowed_networks} if key.allowed_networks else {}),
            **({"pending_approval": True} if key.approval_requested_at else {}),
            **({"replaces": key.replaces.key_id} if key.replaces_id else {}),
        },
        at=key.created_at,  # now, except for demo and imported keys
    )


def record_key_replaced(*, old, new, by, ip: str | None = None) -> AuditEvent:
    """«Replace»: on the old key, which new key replaces it and when the old one stops working (none
    yet while the new key waits for approval: then the overlap that will follow the approval)."""
    details = {
        "new_key_id": new.key_id,
        "ends_at": old.ends_at.isoformat() if old.ends_at else None,
        "valid_until": new.valid_until.isoformat(),
    }
    if new.replaces_overlap is not None:
        details["overlap_after_approval_seconds"] = int(new.replaces_overlap.total_seconds())
    return record(action=Action.KEY_REPLACED, actor=by, key=old, ip=ip, details=details)


def record_key_revoked(*, key, by, reason: str = "", ip: str | None = None) -> AuditEvent:
    """Deleted by an Admin user of the key's organization, or revoked by the bank's support staff."""
    return record(
        action=Action.KEY_REVOKED if by.is_support_staff else Action.KEY_DELETED,
        actor=by,
        key=key,
        ip=ip,
        details={"reason": reason} if reason else {},
    )


def record_auth_failure(*, key_id: str, reason: str, ip: str | None = None, at=None) -> None:
    """Count a refused API authentication that presented `key_id` in the row of its key and hour.

    A key that exists gets its own row, with its organization, shown on that organization's Activity.
    Unknown key IDs all count in one row of the hour without key ID or organization (support's audit
    log only): a made-up key ID says nothing about any organization, and could not fill the log. The
    statement, and the write, are the same either way, so the API's two refusals cost the same.
    """
    at = at or timezone.now()
    hour = at.replace(minute=0, second=0, microsecond=0)
    meta = AuditEvent._meta
    values = {
        "at": at,
        "action": Action.AUTH_FAILED.value,
        "username": "",
        "ip": ip,
        "details": {"reason": str(reason), "last_ip": ip},
        "hour": hour,
        "count": 1,
        "last_at": at,
    }
    params = [meta.get_field(name).get_db_prep_value(values[name], connection) for name in sql.AUTH_FAILURE_COLUMNS]
    sql.AUTH_FAILURE_UPSERT.execute([*params, key_id])


IN_URL_ENTRY_INTERVAL = datetime.timedelta(hours=1)


def record_key_in_url(*, verification, where: str, ip: str | None = None) -> bool:
    """Note on the key's Activity that its token was sent in a URL (`where`: ``path`` or ``query``), so
    that it may be in the logs of proxies and in browser histories: the Admin user should replace it.

    Once an hour per key at most (a client that does it on every request would otherwise fill the
    log); answers whether it wrote.
    """
    now = timezone.now()
    recent = AuditEvent.objects.filter(
        action=Action.KEY_IN_URL, key_id=verification.key_id, at__gte=now - IN_URL_ENTRY_INTERVAL
    )
    if recent.exists():
        return False
    record(
        action=Action.KEY_IN_URL,
        subject_id=verification.user_id,
        organization_id=verification.organization_id,
        key_id=verification.key_id,
        ip=ip,
        details={"where": where},
        at=now,
    )
    return True


def record_keys_exposed(*, keys, source: str, ip: str | None = None, at=None) -> None:
    """One entry per key deleted because its token was reported as exposed, all in one statement.

    No actor (nobody of the bank or the customer decided it): the reporter's address, where the token
    was reported (`ExposureSource`) and, from a secret scanner, the address at which it was found.
    `keys` are mappings with ``key_id``, ``user_id``, ``organization_id`` and ``url`` (may be empty).
    """
    at = at or timezone.now()
    meta = AuditEvent._meta
    rows = []
    for key in keys:
        details = {"reason": EXPOSED_REASON, "source": str(source)}
        if key.get("url"):
            details["url"] = key["url"]
        values = {
            "at": at,
            "action": Action.KEY_EXPOSED.value,
            "username": "",
            "actor": None,
            "subject": key["user_id"],
            "organization": key["organization_id"],
            "key_id": key["key_id"],
            "ip": ip,
            "details": details,
            "count": 1,
        }
        rows.append(
            [meta.get_field(name).get_db_prep_value(values[name], connection) for name in sql.AUDIT_INSERT_COLUMNS]
        )
    sql.AUDIT_INSERT.executemany(rows)


def record_report_downloaded(*, by, organization_id: int, name: str, rows: int, ip: str | None = None) -> AuditEvent:
    """«Download credential report»: who took the contract's report, which file, how many keys."""
    return record(
        action=Action.REPORT_DOWNLOADED,
        actor=by,
        organization_id=organization_id,
        ip=ip,
        details={"file": name, "rows": rows},
    )


def record_new_network(*, verification, network: str, ip: str | None, at: datetime.datetime) -> AuditEvent:
    """«First use from a new network»: the key's first successful request from `network` (an IPv4 /24,
    an IPv6 /48) in `SEEN_NETWORK_DAYS` days, with the request's address."""
    return record(action=Action.KEY_NEW_NETWORK, key=verification, ip=ip, details={"network": network}, at=at)
