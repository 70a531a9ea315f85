"""What the page of one key says about it beyond its columns: its one status pill and its timeline."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from apikeys.models import ApiKey, Status
from audit.models import Action, AuditEvent
from efinance.lib.when import day, moment
from users.models import OutboxMessage


def api_state(key: ApiKey, suspended: bool, now: datetime.datetime | None = None) -> str:
    """The key's state as the API treats it now, in the order `verify_token` checks: the end states
    (``deleted``, ``expired``, ``replaced``), then what refuses a valid key (``user_inactive``, the
    contract's stop ``suspended``, a missing approval ``pending``), then ``replacing`` (in a
    replacement's overlap) or ``working``. The key page's pill and support's sentence both say this."""
    status = key.status_at(now=now or timezone.now())
    if status in (Status.DELETED, Status.EXPIRED, Status.REPLACED):
        return status
    if not key.user.is_active:
        return "user_inactive"
    if suspended:
        return "suspended"
    if key.is_pending_approval:
        return "pending"
    return "replacing" if key.ends_at is not None else "working"


@dataclass(frozen=True)
class Pill:
    name: str  # working, pending, replaced, suspended, expired, deleted (the CSS class `pill-<name>`)
    label: str


def status_pill(key: ApiKey, suspended: bool, now: datetime.datetime | None = None) -> Pill:
    """One word for the key's state as the API treats it now (`api_state`)."""
    state = api_state(key, suspended, now)
    if state == "replacing":
        return Pill("replaced", _("replaced, stops %(end)s") % {"end": moment(key.ends_at)})
    labels = {
        Status.DELETED: ("deleted", _("deleted")),
        Status.EXPIRED: ("expired", _("expired")),
        Status.REPLACED: ("replaced", _("replaced")),
        "user_inactive": ("suspended", _("refused: its user is deactivated")),
        "suspended": ("suspended", _("suspended")),
        "pending": ("pending", _("waiting for approval")),
        "working": ("working", _("working")),
    }
    return Pill(*labels[state])


def api_answer(key: ApiKey, suspended: bool, now: datetime.datetime | None = None) -> str:
    """What the API answers the key's requests now (`api_state`), in one sentence for the bank's
    support: «Accepted» (with its limits: the end of a replacement's overlap, the allowed networks) or
    «Refused now: …» and why. Reads the key, its user and its organization's stop: no query of its own."""
    state = api_state(key, suspended, now)
    refusals = {
        Status.DELETED: lambda: _("Refused now: deleted on %(when)s") % {"when": moment(key.revoked_at)},
        Status.EXPIRED: lambda: _("Refused now: expired on %(day)s") % {"day": day(key.expired_on)},
        Status.REPLACED: lambda: _("Refused now: replaced, stopped on %(when)s") % {"when": moment(key.ends_at)},
        "user_inactive": lambda: _("Refused now: its user is deactivated"),
        "suspended": lambda: _("Refused now: every key of the organization is suspended (emergency stop)"),
        "pending": lambda: _("Refused now: waiting for a second Admin user's approval"),
    }
    if state in refusals:
        return refusals[state]()
    answer = _("Accepted")
    if state == "replacing":
        answer = _("Accepted until %(when)s (replaced)") % {"when": moment(key.ends_at)}
    if key.network_list:
        answer += " — " + _("only from %(networks)s; refused from any other address") % {
            "networks": ", ".join(key.network_list)
        }
    return answer


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
