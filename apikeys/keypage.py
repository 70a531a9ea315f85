"""What the page of one key says about it beyond its columns: its one status pill and its timeline."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from apikeys.models import ApiKey, Status
from audit.models import Action, AuditEvent
from users.models import OutboxMessage


@dataclass(frozen=True)
class Pill:
    name: str  # working, pending, replaced, suspended, expired, deleted (the CSS class `pill-<name>`)
    label: str


def status_pill(key: ApiKey, suspended: bool, now: datetime.datetime | None = None) -> Pill:
    """One word for the key's state as the API treats it now: the end states first, then what stops a
    valid key (the contract's suspension, a missing approval), then a replacement's overlap."""
    now = now or timezone.now()
    status = key.status_at(now=now)
    if status == Status.DELETED:
        return Pill("deleted", _("deleted"))
    if status == Status.EXPIRED:
        return Pill("expired", _("expired"))
    if status == Status.REPLACED:
        return Pill("replaced", _("replaced"))
    if suspended:
        return Pill("suspended", _("suspended"))
    if key.is_pending_approval:
        return Pill("pending", _("waiting for approval"))
    if key.ends_at is not None:
        end = timezone.localtime(key.ends_at).strftime("%d.%m.%Y %H:%M")
        return Pill("replaced", _("replaced, stops %(end)s") % {"end": end})
    return Pill("working", _("working"))


@dataclass(frozen=True)
class Moment:
    at: datetime.datetime
    title: str
    text: str = ""
    mail: bool = False


def timeline(key: ApiKey) -> list[Moment]:
    """The key's life from the audit log (created, approved, replaced, networks, deleted, …) and the
    e-mails about it from the outbox (their subjects name the key ID), oldest first. The counters of
    failed authentications are not moments: the page shows them apart."""
    moments = []
    entries = (
        AuditEvent.objects.filter(key_id=key.key_id, organization_id=key.organization_id)
        .exclude(action=Action.AUTH_FAILED)
        .select_related("actor")
        .order_by("at", "id")
    )
    for entry in entries:
        by = entry.actor.username if entry.actor_id else entry.username
        moments.append(Moment(entry.at, str(entry.get_action_display()), _("by %(who)s") % {"who": by} if by else ""))
    mails = (
        OutboxMessage.objects.filter(subject__contains=key.key_id, created_at__gte=key.created_at)
        .filter(recipient__organization_id=key.organization_id)
        .order_by("created_at", "id")
        .values_list("created_at", "sent_at", "subject", "to")
    )
    for created_at, sent_at, subject, to in mails:
        state = _("sent to %(to)s") % {"to": to} if sent_at else _("waiting to be sent to %(to)s") % {"to": to}
        moments.append(Moment(sent_at or created_at, _("E-mail «%(subject)s»") % {"subject": subject}, state, True))
    return sorted(moments, key=lambda moment: moment.at)
