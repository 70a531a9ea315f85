"""E-mail to users, through an outbox in the database.

`notify(recipients, kind, context)` renders ``templates/emails/<kind>.subject.txt``, ``<kind>.txt``
and ``<kind>.html`` once per recipient, in that recipient's language (`User.mail_language`), and
stores one `OutboxMessage` each in the caller's transaction, so that a notice exists exactly when
what it reports was committed. When that transaction commits, the pending messages are sent; what
cannot be sent then (SMTP down) stays in the outbox and `python manage.py send_outbox` (cron, every
minute) sends it later. Two app servers draining at once never send one message twice: a message is
claimed by a conditional UPDATE before it is sent.

A message never carries a token or a secret: the templates name a key by its key ID only.
"""

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from efinance.lib.logging import log_event
from users.models import OutboxMessage, User

log = logging.getLogger("users.mail")

CLAIM = datetime.timedelta(minutes=5)  # a sender that died mid-send gives its messages back after this
BATCH = 100
# Kinds whose text holds a single-use link (a set-password link): once sent, the outbox keeps the
# row (to, kind, time) but not the text, so that nobody who reads the database later finds the link.
FORGOTTEN_AFTER_SENDING = frozenset({"set_password_link"})
FORGOTTEN = "(sent; the text held a single-use link and was removed)"


def notify(
    recipients: Iterable[User],
    kind: str,
    context: dict,
    *,
    dedupe_key: str | None = None,
    send_on_commit: bool = True,
) -> list[OutboxMessage]:
    """Queue the e-mail `kind` to each recipient that has an address (each once), in their language.

    With `dedupe_key`, the message to one recipient is queued at most once ever: the key is made
    unique per recipient (``<dedupe_key>:<user id>``), and a second call queues nothing for them.
    With `send_on_commit` False, the commit does not send: the caller sends later (`send_pending`,
    e.g. once its answer has gone out, so that SMTP never delays it), or `send_outbox` does.
    """
    queued, seen = [], set()
    for user in recipients:
        if not user.email or user.pk in seen:
            continue
        seen.add(user.pk)
        with translation.override(user.mail_language):
            values = {**context, "recipient": user, "site_url": settings.SITE_URL}
            subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", values).split())
            body = render_to_string(f"emails/{kind}.txt", values)
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
    if queued and send_on_commit:
        transaction.on_commit(send_pending, robust=True)
    return queued


def _claim(message_id: int, now: datetime.datetime) -> bool:
    """Take the message for this sender, unless it was sent or another sender holds it."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return (
        OutboxMessage.objects.filter(free, pk=message_id, sent_at__isnull=True).update(
            claimed_until=now + CLAIM, attempts=F("attempts") + 1
        )
        == 1
    )


def send_pending(limit: int = BATCH) -> tuple[int, int]:
    """Send up to `limit` pending messages, oldest first; answer (sent, failed).

    One connection to the mail server for the whole batch (a connection per message cost about 12 ms
    each: `tools.bench_reminders`). A message that fails closes it; the next one opens a new one, so
    that one refused message does not fail the rest of the batch.
    """
    now = timezone.now()
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    sent = failed = 0
    connection = get_connection()
    try:
        for message_id in list(pending.values_list("pk", flat=True)[:limit]):
            if not _claim(message_id, now):
                continue
            if _send(OutboxMessage.objects.get(pk=message_id), connection):
                sent += 1
            else:
                failed += 1
    finally:
        connection.close()
    return sent, failed


def _send(message: OutboxMessage, connection) -> bool:
    """Send one claimed message on `connection` and record the outcome; answer whether it was sent."""
    email = EmailMultiAlternatives(
        message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to], connection=connection
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    try:
        connection.open()  # nothing if it is open already
        email.send()
    except Exception as error:
        connection.close()
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
