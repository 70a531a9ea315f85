"""E-mail through the outbox: in the recipient's language, once per dedupe key, never lost when SMTP
fails, and delivered for real to an SMTP server on the loopback (aiosmtpd)."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core import mail
from django.test import Client

from users.mail import claim, notify, send_pending
from users.models import OutboxMessage

TEMPLATES = {
    "probe.subject.txt": "{% load i18n %}{% translate 'Language' %} {{ recipient.username }}",
    "probe.txt": "{% load i18n %}{% translate 'Close' %} {{ value }}",
    "probe.html": "{% load i18n %}<p>{% translate 'Close' %} {{ value }}</p>",
}


@pytest.fixture
def probe_templates(tmp_path, settings):
    """A message kind of the tests' own, so that these tests do not depend on a product's notice."""
    (tmp_path / "emails").mkdir()
    for name, text in TEMPLATES.items():
        (tmp_path / "emails" / name).write_text(text)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]


def test_each_recipient_gets_the_message_in_their_language(probe_templates, alice, bob):
    bob.language = "it"
    bob.save()
    notify([alice, bob], "probe", {"value": 42})
    assert send_pending() == (2, 0)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert by_recipient[alice.email].subject == "Language alice"
    assert by_recipient[bob.email].subject == "Lingua bob"
    # the text part ends with the zone of its times, named once (efinance.lib.when), in the reader's language
    assert by_recipient[bob.email].body == "Chiudere 42\n\nTutti gli orari in ora svizzera (Europe/Zurich).\n"
    assert by_recipient[bob.email].alternatives[0][0] == "<p>Chiudere 42</p>"


def test_a_recipient_without_an_address_or_named_twice_gets_one_or_none(probe_templates, alice, bob):
    bob.email = ""
    bob.save()
    assert len(notify([alice, alice, bob], "probe", {})) == 1


def test_a_dedupe_key_queues_a_message_once_ever(probe_templates, alice):
    assert len(notify([alice], "probe", {}, dedupe_key="reminder:k1:30")) == 1
    assert notify([alice], "probe", {}, dedupe_key="reminder:k1:30") == []
    assert OutboxMessage.objects.count() == 1


def test_a_failed_send_is_kept_and_sent_on_the_next_run(probe_templates, alice, settings):
    notify([alice], "probe", {})
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    assert send_pending() == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending() == (1, 0)
    assert send_pending() == (0, 0)  # sent once, not again
    assert len(mail.outbox) == 1


def test_a_message_claimed_by_another_sender_is_left_to_it(probe_templates, alice):
    [message] = notify([alice], "probe", {})
    assert claim(1)[2] == [message]  # another runner took it a moment ago
    assert send_pending() == (0, 0)
    assert mail.outbox == []


def test_the_language_switch_keeps_a_signed_in_users_choice_for_their_mail(alice_client, alice):
    alice_client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "fr"
    Client().post("/i18n/setlang/", {"language": "de", "next": "/"})  # anonymous: a cookie only
    alice.refresh_from_db()
    assert alice.language == "fr"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def test_it_delivers_through_a_real_smtp_server_on_the_loopback(probe_templates, alice, settings):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_closed_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.DEFAULT_FROM_EMAIL = "e-finance <no-reply@bank.example>"
        notify([alice], "probe", {"value": "ok"})
        assert send_pending() == (1, 0)
    finally:
        controller.stop()
    [received] = inbox.messages
    assert received["To"] == alice.email
    assert received["From"] == "e-finance <no-reply@bank.example>"
    assert received["Subject"] == "Language alice"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in received.walk()
        if not part.is_multipart()
    }
    assert parts["text/plain"].startswith("Close ok\r\n\r\nAll times are Swiss time (Europe/Zurich).")
    assert parts["text/html"] == "<p>Close ok</p>"


class _CountingInbox(_Inbox):
    """Counts the SMTP sessions (one per connection: each starts with EHLO or HELO)."""

    def __init__(self):
        super().__init__()
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses


def test_a_batch_goes_over_one_smtp_connection(probe_templates, alice, bob, charlie, settings):
    inbox = _CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_closed_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        for value in range(3):
            notify([alice, bob, charlie], "probe", {"value": value})
        assert send_pending() == (9, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 9
    assert inbox.sessions == 1


def test_a_refused_message_does_not_fail_the_rest_of_the_batch(probe_templates, alice, bob, settings):
    class RefusesAlice(_CountingInbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == alice.email:
                return "550 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox = RefusesAlice()
    controller = Controller(inbox, hostname="127.0.0.1", port=_closed_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        notify([alice], "probe", {"value": 1})
        notify([bob], "probe", {"value": 2})
        assert send_pending() == (1, 1)
    finally:
        controller.stop()
    assert [message["To"] for message in inbox.messages] == [bob.email]
    assert OutboxMessage.objects.get(to=alice.email).sent_at is None  # kept for the next run
    assert inbox.sessions == 2  # the failure closed the connection; the next message opened another


def test_text_parts_and_subjects_show_what_was_typed_only_html_escapes(probe_templates, alice, settings):
    alice.username = "a&b<c>"
    alice.save()
    notify([alice], "probe", {"value": 'Müller & Söhne <AG> "quoted"'})
    assert send_pending() == (1, 0)
    [message] = mail.outbox
    assert message.subject == "Language a&b<c>"
    assert message.body.startswith('Close Müller & Söhne <AG> "quoted"\n\n')
    assert message.alternatives[0][0] == "<p>Close Müller &amp; Söhne &lt;AG&gt; &quot;quoted&quot;</p>"
