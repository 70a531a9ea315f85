"""Writing the audit log: `record` makes one entry; each app records its own events with it
(`users` the logins and what the bank's staff changed about a user, `apikeys` what happened to keys,
the contract's policy and the API's refusals)."""

import datetime

from django.utils import timezone

from audit.models import AuditEvent


def record(
    *,
    action: str,
    actor=None,
    key=None,
    subject=None,
    subject_id: int | None = None,
    organization_id: int | None = None,
    key_id: str = "",
    ip: str | None = None,
    username: str = "",
    details: dict | None = None,
    at: datetime.datetime | None = None,
) -> AuditEvent:
    """One audit entry. An entry about a key passes `key`: its user, organization and key ID."""
    if key is not None:
        subject_id, organization_id, key_id = key.user_id, key.organization_id, key.key_id
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        action=action,
        actor=actor,
        subject_id=subject.pk if subject is not None else subject_id,
        organization_id=organization_id,
        key_id=key_id,
        ip=ip,
        username=(username or (actor.username if actor else ""))[:150],
        details=details or {},
    )
