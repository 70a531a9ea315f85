"""E-mail to users, through an outbox in the database.

`notify(recipients, kind, context)` renders ``templates/emails/<kind>.subject.txt``, ``<kind>.txt``
and ``<kind>.html`` once per recipient, in that recipient's language (`User.mail_language`), and
stores one `OutboxMessage` each in the caller's transaction, so that a notice exists exactly when
what it reports was committed. Nothing else: a web request never talks to the mail server (a hung
relay would hold the request, and with it the token of a key just created). Only the outbox's runner
sends: `python manage.py send_outbox --loop` as a service (a notice leaves within seconds), or
`send_outbox` from cron every minute. What cannot be sent (SMTP down) stays for the next round.

Any number of runners may drain at once; each message is sent by one of them. A runner claims one
message at a time with a lease (`OUTBOX_LEASE_SECONDS`, from the moment of that claim, far longer than one send can
take with `EMAIL_TIMEOUT`): a conditional UPDATE that only succeeds while nobody else's lease runs,
the candidate picked with ``FOR UPDATE SKIP LOCKED`` where the database has it (PostgreSQL), so that
runners do not queue on the same row. A message is sent twice only if a runner dies between the mail
server's answer and the UPDATE that records it.

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
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from efinance.lib.logging import log_event
from efinance.lib.when import zone_note
from users.models import OutboxMessage, User

log = logging.getLogger("users.mail")

BATCH = 100
# Kinds whose text holds a single-use link (a set-password link, the link that lifts a login's lock):
# once sent, the outbox keeps the row (to, kind, time) but not the text, so that nobody who reads the
# database later finds the link.
FORGOTTEN_AFTER_SENDING = frozenset({"set_password_link", "account_locked"})
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
    queued, seen = [], set()
    for user in recipients:
        if not user.email or user.pk in seen:
            continue
        seen.add(user.pk)
        with translation.override(user.mail_language):
            values = {**context, "recipient": user, "site_url": settings.SITE_URL}
            subject = " ".join(_render_text(f"emails/{kind}.subject.txt", values).split())
            # Every time in a notice is Swiss time (efinance.lib.when); the text names the zone once, at the end.
            body = f"{_render_text(f'emails/{kind}.txt', values).rstrip()}\n\n{zone_note()}\n"
            html = render_to_string(f"emails/{kind}.html", values)
        message = OutboxMessage(
            to=user.email,
            recipient=user,
            subject=subject[:255],
            body=body,
            html=html,
            kind=kind,
            dedupe_key=f"{dedupe_key}:{user.pk}" if dedupe_key else None,
        )
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            if dedupe_key is None:
                raise
            continue  # queued once already (by an earlier or a concurrent run)
        queued.append(message)
    return queued


def _render_text(name: str, values: dict) -> str:
    """A subject or text part: plain text, so nothing is HTML-escaped (`&` and `<` stay as typed; only
    the HTML part escapes). Neutralising what a text could hide (a bidirectional override) is the
    values' business, not escaping's."""
    return get_template(name).template.render(Context(values, autoescape=False))


def _free(now: datetime.datetime) -> Q:
    return Q(sent_at__isnull=True) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _claim(message_id: int) -> bool:
    """Take the message for this runner, unless it was sent or another runner's lease still runs."""
    now = timezone.now()
    return (
        OutboxMessage.objects.filter(_free(now), pk=message_id).update(
            claimed_until=now + datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS), attempts=F("attempts") + 1
        )
        == 1
    )


def _claim_next(skip: set[int]) -> OutboxMessage | None:
    """Claim the oldest free message not in `skip` (those failed in this round); None when none is left."""
    while True:
        with transaction.atomic():
            candidates = OutboxMessage.objects.filter(_free(timezone.now())).exclude(pk__in=skip).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            message_id = candidates.values_list("pk", flat=True).first()
            if message_id is None:
                return None
            if _claim(message_id):
                return OutboxMessage.objects.get(pk=message_id)
        # Another runner claimed it between our look and our UPDATE (SQLite has no row locks): next.


def send_pending(limit: int = BATCH) -> tuple[int, int]:
    """Send up to `limit` pending messages, oldest first; answer (sent, failed).

    One connection to the mail server for the whole batch (a connection per message cost about 12 ms
    each: `tools.bench_reminders`). A message that fails closes it; the next one opens a new one, so
    that one refused message does not fail the rest of the batch (it waits for the next round).
    """
    sent = failed = 0
    failures: set[int] = set()
    mail_connection = get_connection()
    try:
        while sent + failed < limit:
            message = _claim_next(failures)
            if message is None:
                break
            if _send(message, mail_connection):
                sent += 1
            else:
                failed += 1
                failures.add(message.pk)
    finally:
        mail_connection.close()
    return sent, failed


def _send(message: OutboxMessage, mail_connection) -> bool:
    """Send one claimed message on `mail_connection` and record the outcome; answer whether it was sent."""
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
    done = {"sent_at": timezone.now(), "claimed_until": None, "last_error": ""}
    if message.kind in FORGOTTEN_AFTER_SENDING:
        done.update(body=FORGOTTEN, html="")
    OutboxMessage.objects.filter(pk=message.pk).update(**done)
    log_event(log, "mail.sent", kind=message.kind, message_id=message.pk)
    return True
