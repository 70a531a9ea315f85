"""The outbox's runners for real: `manage.py send_outbox` in separate processes against an SMTP relay on
the loopback (aiosmtpd) that takes 3 s per message, `send_outbox --loop` as the service runs it, and a
relay that never answers while an Admin user creates a key: the request does not wait for it."""

import signal
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from apikeys.models import Api, ApiKey
from tests.apikeys.policy_cast import create_via_form
from tests.smtp import Inbox, finish, free_port, start
from users.mail import notify
from users.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
SLOW = 3  # seconds the relay takes to accept each message
LEASE = 12  # seconds a runner holds a claimed message in these tests: longer than one send (SLOW)


@pytest.fixture
def relay():
    handler = Inbox(SLOW)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def _runner(port: int, *arguments: str) -> subprocess.Popen:
    return start("send_outbox", *arguments, smtp_port=port, EMAIL_TIMEOUT="30", OUTBOX_LEASE_SECONDS=str(LEASE))


@pytest.fixture
def queued(demo_ag, alice, bob):
    """Ten notices in the outbox, committed (the runners read them from another process)."""
    for _n in range(5):
        notify([alice, bob], "support_change", {"organization": demo_ag, "user": bob, "entries": []})
    assert OutboxMessage.objects.count() == 10
    return list(OutboxMessage.objects.values_list("to", "subject"))


def test_two_runners_on_a_slow_relay_send_every_message_exactly_once(relay, queued):
    # Each runner needs longer than a lease for its share (5 × 3 s > 12 s): a claim dated from the
    # start of the batch instead of the message's own claim would let the other runner take it again.
    first, second = _runner(relay.port), _runner(relay.port)
    outputs = [finish(first), finish(second)]
    received = Counter(m["Message-ID"] for m in relay.messages)
    assert len(relay.messages) == 10
    assert set(received.values()) == {1}
    assert sorted(m["To"] for m in relay.messages) == sorted(to for to, _subject in queued)
    sent = [int(out.split(" sent")[0].rsplit(" ", 1)[1]) for out in outputs]
    assert sum(sent) == 10
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert "0 sent, 0 failed" in finish(_runner(relay.port))  # a third run finds nothing left


def test_the_loop_sends_what_is_queued_while_it_runs_and_stops_on_sigterm(demo_ag, alice):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    loop = _runner(controller.port, "--loop", "--interval", "0.2")
    try:
        assert "until stopped" in loop.stdout.readline()  # the service is up, the outbox empty
        notify([alice], "support_change", {"organization": demo_ag, "user": alice, "entries": []})
        deadline = time.monotonic() + 60
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        loop.send_signal(signal.SIGTERM)
        out = finish(loop)
    finally:
        if loop.poll() is None:
            loop.kill()
        controller.stop()
    assert [m["To"] for m in inbox.messages] == [alice.email]
    assert "outbox: 1 sent, 0 failed" in out
    assert out.rstrip().endswith("outbox: stopped")
    assert OutboxMessage.objects.get().sent_at is not None


@pytest.fixture(params=["silent", "stalling"])
def stalled_relay(request, settings):
    """A hung relay: one that accepts connections and never says a word («silent»), or an aiosmtpd
    server that greets, then holds every message's data for an hour («stalling»). Answers a function
    that tells how many conversations reached it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 30
    if request.param == "stalling":
        inbox = Inbox(delay=3600)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        yield lambda: inbox.offered
        controller.stop()
        return
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.getsockname()[1]
    yield lambda: len(accepted)
    server.close()
    for conversation in accepted:
        conversation.close()


def test_create_answers_with_its_token_while_the_relay_hangs(stalled_relay, alice_client, alice, bob, settings):
    started = time.monotonic()
    response, token = create_via_form(alice_client, bob, api=Api.INTEGRATION)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert token.startswith(f"bsint_{key.key_id}_")  # the token, shown once
    assert stalled_relay() == 0  # the request never talked to the relay
    assert elapsed < settings.EMAIL_TIMEOUT  # a single SMTP step would have waited the whole timeout
    assert OutboxMessage.objects.filter(kind="key_created", sent_at__isnull=True).count() == 2
