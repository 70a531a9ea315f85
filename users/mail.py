"""E-mail to users, through an outbox in the database.

`notify(recipients, kind, context)` renders ``templates/emails/<kind>.subject.txt``, ``<kind>.txt``
and ``<kind>.html`` once per recipient, in that recipient's language (`User.mail_language`), and
stores one `OutboxMessage` each in the caller's transaction, so that a notice exists exactly when
what it reports was committed. `notify_batch` does the same for many notices of one kind (a batch of
the reminder run): the templates looked up once, the messages stored in one INSERT. Nothing else: a
web request never talks to the mail server (a hung relay would hold the request, and with it the token
of a key just created). Only the outbox's runner sends: `python manage.py send_outbox --loop` as a
service (a notice leaves within seconds), or `send_outbox` from cron every minute. What cannot be sent
(SMTP down) stays for the next round.

Any number of runners may drain at once; each message is sent by one of them. A runner claims the
oldest free messages, up to `CLAIM` at once, each with a lease of its own (`OUTBOX_LEASE_SECONDS`,
far longer than one send can take with `EMAIL_TIMEOUT`): a conditional UPDATE that only takes the
messages on which nobody else's lease runs, the candidates picked with ``FOR UPDATE SKIP LOCKED``
where the database has it (PostgreSQL), so that runners do not queue on the same rows. The lease's
end is the claim's mark: before each send, when less than half of it is left, the runner renews the
lease of the claimed messages it has not sent — only of those still marked as its own — so that no
message is sent on a lease that could run out during its send, however long the batch takes. The
messages sent are recorded in one UPDATE at the end of the batch (and at each renewal): a message is
sent twice only if a runner dies between the mail server's answer and that UPDATE — then the messages
it had sent since its last record go out again once their lease has run out.

A message never carries a token or a secret: the templates name a key by its key ID only.
"""

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from efinance.lib.logging import log_event
from efinance.lib.when import zone_note
from users.models import OutboxMessage, User

log = logging.getLogger("users.mail")

BATCH = 100
CLAIM = 100  # messages a runner claims at once: a few statements per claim, not per message
# Kinds whose text holds a single-use link (a set-password link, the link that lifts a login's lock):
# once sent, the outbox keeps the row (to, kind, time) but not the text, so that nobody who reads the
# database later finds the link.
FORGOTTEN_AFTER_SENDING = frozenset({"set_password_link", "account_locked"})

# What each kind of notice is, in words: the outbox shows these to support, never the template's name.
# One entry per ``templates/emails/<kind>.subject.txt`` (a test holds the two together).
NOTICES = {
    "account_locked": _("Login locked"),
    "lock_lifted": _("Login unlocked"),
    "expiry_reminder": _("Expiry reminder"),
    "factor_added": _("Second factor added"),
    "factor_removed": _("Second factor removed"),
    "factor_reset": _("Second factor reset"),
    "key_approval_requested": _("Key waiting for approval"),
    "key_created": _("Key created"),
    "key_decided": _("Key approved or rejected"),
    "key_exposed": _("Key exposed and revoked"),
    "key_new_network": _("Key used from a new network"),
    "key_replaced": _("Key replaced"),
    "keys_outside_policy": _("Keys outside the security policy"),
    "keys_resumed": _("Keys work again"),
    "keys_revoked_by_support": _("Keys revoked by support"),
    "keys_suspended": _("All keys suspended"),
    "organization_changed": _("Organization changed by the bank"),
    "policy_change_decided": _("Security policy change decided"),
    "policy_change_requested": _("Security policy change waiting for approval"),
    "recovery_code_used": _("Recovery code used"),
    "sessions_ended": _("Logged out everywhere"),
    "set_password_link": _("Link to set the password"),
    "support_change": _("Change by the bank"),
    "tokens_seen": _("Keys whose tokens a leaver saw"),
}


def notice_label(kind: str) -> str:
    """The notice's name in the reader's language; an unknown kind (an old row) as it is stored."""
    return str(NOTICES.get(kind, kind))


FORGOTTEN = "(sent; the text held a single-use link and was removed)"


def notify(
    recipients: Iterable[User],
    kind: str,
    context: dict,
    *,
    dedupe_key: str | None = None,
) -> list[OutboxMessage]:
    """Queue the e-mail `kind` to each recipient that has an address (each once), in their language.

    With `dedupe_key`, the message to one recipient is queued at most once ever: the key is made
    unique per recipient (``<dedupe_key>:<user id>``), and a second call queues nothing for them.
    Nothing is sent here nor when the transaction commits: the outbox's runner sends (`send_pending`).
    """
    return notify_batch(kind, [(recipients, context, dedupe_key)])


def notify_batch(kind: str, notices: Iterable[tuple[Iterable[User], dict, str | None]]) -> list[OutboxMessage]:
    """Queue the e-mail `kind` for each notice ``(recipients, context, dedupe_key)`` as `notify` does,
    in a fixed number of statements however many there are: the dedupe keys already queued read in
    one query (their messages are not rendered), the templates looked up once, the messages stored in
    one INSERT (one per 83 messages on SQLite, whose statements take at most 999 parameters). A dedupe
    key that a concurrent run queues meanwhile makes the INSERT fail: then each message is stored on
    its own and the taken ones are skipped, as `notify` always did."""
    wanted = []
    for recipients, context, dedupe_key in notices:
        seen = set()
        for user in recipients:
            if not user.email or user.pk in seen:
                continue
            seen.add(user.pk)
            wanted.append((user, context, f"{dedupe_key}:{user.pk}" if dedupe_key else None))
    keys = [key for _user, _context, key in wanted if key]
    # Recipients already reminded (by an earlier or a concurrent run) are skipped before their
    # message is rendered; the unique dedupe key decides in the end.
    taken = set(OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)) if keys else ()
    templates = _templates(kind)
    messages = [_render(user, kind, templates, context, key) for user, context, key in wanted if key not in taken]
    if not messages:
        return []
    try:
        with transaction.atomic():
            return OutboxMessage.objects.bulk_create(messages)
    except IntegrityError:
        if not any(message.dedupe_key for message in messages):
            raise
    queued = []
    for message in messages:
        message.pk = None
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            if message.dedupe_key is None:
                raise
            continue  # queued once already (by an earlier or a concurrent run)
        queued.append(message)
    return queued


def _templates(kind: str) -> tuple:
    """The subject's, the text's and the HTML's templates of `kind`, looked up once for a batch."""
    return tuple(get_template(f"emails/{kind}.{part}") for part in ("subject.txt", "txt", "html"))


def _render(user: User, kind: str, templates: tuple, context: dict, dedupe_key: str | None) -> OutboxMessage:
    """The message of `kind` to `user`, in their language, not saved."""
    subject_template, text_template, html_template = templates
    with translation.override(user.mail_language):
        values = {**context, "recipient": user, "site_url": settings.SITE_URL}
        subject = " ".join(_render_text(subject_template, values).split())
        # Every time in a notice is Swiss time (efinance.lib.when); the text names the zone once, at the end.
        body = f"{_render_text(text_template, values).rstrip()}\n\n{zone_note()}\n"
        html = html_template.render(values)
    return OutboxMessage(
        to=user.email,
        recipient=user,
        subject=subject[:255],
        body=body,
        html=html,
        kind=kind,
        dedupe_key=dedupe_key,
    )


def _render_text(template, values: dict) -> str:
    """A subject or text part: plain text, so nothing is HTML-escaped (`&` and `<` stay as typed; only
    the HTML part escapes). Neutralising what a text could hide (a bidirectional override) is the
    values' business, not escaping's."""
    return template.template.render(Context(values, autoescape=False))


def _free(now: datetime.datetime) -> Q:
    return Q(sent_at__isnull=True) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _lease() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claim(limit: int, after: int = 0) -> tuple[list[int], datetime.datetime, list[OutboxMessage]]:
    """Claim up to `limit` of the oldest free messages with an ID above `after`, each with a lease to
    the same end; answer (the IDs looked at, the lease's end, the messages claimed). A message that
    was sent, or on which another runner's lease runs, is left to it."""
    now = timezone.now()
    until = _lease()
    with transaction.atomic():
        candidates = OutboxMessage.objects.filter(_free(now), pk__gt=after).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if not ids:
            return [], until, []
        # Conditional: on SQLite (no row locks) another runner may have claimed one since our look.
        OutboxMessage.objects.filter(_free(now), pk__in=ids).update(claimed_until=until, attempts=F("attempts") + 1)
        return ids, until, list(OutboxMessage.objects.filter(pk__in=ids, claimed_until=until).order_by("pk"))


def _renew(messages: list[OutboxMessage], until: datetime.datetime) -> tuple[datetime.datetime, list[OutboxMessage]]:
    """A new lease for the claimed `messages` that are still this runner's; answer its end and those
    messages. Still ours: not sent, and on the lease that ends at `until` — another runner that took
    one after that lease ran out holds it on a lease of its own, which ends later."""
    renewed = _lease()
    with transaction.atomic():
        held = OutboxMessage.objects.filter(pk__in=[message.pk for message in messages], claimed_until=until)
        if connection.features.has_select_for_update:
            held = held.select_for_update()
        ours = set(held.filter(sent_at__isnull=True).values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ours).update(claimed_until=renewed)
    return renewed, [message for message in messages if message.pk in ours]


def _record_sent(messages: list[OutboxMessage]) -> None:
    """Mark `messages` sent, in one UPDATE (two when some held a single-use link)."""
    if not messages:
        return
    done = {"sent_at": timezone.now(), "claimed_until": None, "last_error": ""}
    OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(**done)
    forgotten = [message.pk for message in messages if message.kind in FORGOTTEN_AFTER_SENDING]
    if forgotten:
        OutboxMessage.objects.filter(pk__in=forgotten).update(body=FORGOTTEN, html="")
    for message in messages:
        log_event(log, "mail.sent", kind=message.kind, message_id=message.pk)


def send_pending(limit: int = BATCH) -> tuple[int, int]:
    """Send up to `limit` pending messages, oldest first; answer (sent, failed).

    One connection to the mail server for the whole batch (a connection per message cost about 12 ms
    each: `tools.bench_reminders`). A message that fails closes it; the next one opens a new one, so
    that one refused message does not fail the rest of the batch (it waits for the next round).
    Messages are claimed `CLAIM` at a time (a few statements for each claim, not for each message).
    """
    sent = failed = 0
    after = 0  # this round goes through the outbox once, by ID: what fails waits for the next round
    mail_connection = get_connection()
    try:
        while sent + failed < limit:
            ids, until, claimed = claim(min(CLAIM, limit - sent - failed), after)
            if not ids:
                break
            after = ids[-1]
            done, refused = _send_claimed(claimed, until, mail_connection)
            sent, failed = sent + done, failed + refused
    finally:
        mail_connection.close()
    return sent, failed


def _send_claimed(messages: list[OutboxMessage], until: datetime.datetime, mail_connection) -> tuple[int, int]:
    """Send the claimed `messages` on `mail_connection`, renewing their lease whenever less than half
    of it is left; record the sent ones; answer (sent, failed)."""
    half = datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 2)
    sent, failed, unrecorded = 0, 0, []
    pending = list(messages)
    while pending:
        if until - timezone.now() < half:
            _record_sent(unrecorded)
            unrecorded = []
            until, pending = _renew(pending, until)
            if not pending:
                break
        message = pending.pop(0)
        if _send(message, mail_connection):
            sent += 1
            unrecorded.append(message)
        else:
            failed += 1
    _record_sent(unrecorded)
    return sent, failed


def _send(message: OutboxMessage, mail_connection) -> bool:
    """Send one claimed message on `mail_connection`; answer whether it was sent. A failure is recorded
    at once (the message is free again for the next round); a success by the caller, with the batch."""
    email = EmailMultiAlternatives(
        message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to], connection=mail_connection
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    try:
        mail_connection.open()  # nothing if it is open already
        email.send()
    except Exception as error:
        mail_connection.close()
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_until=None, last_error=f"{type(error).__name__}: {error}"[:500]
        )
        log_event(
            log, "mail.failed", logging.WARNING, kind=message.kind, message_id=message.pk, error=type(error).__name__
        )
        return False
    return True
