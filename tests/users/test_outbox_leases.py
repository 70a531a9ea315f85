"""The outbox's runner claims its messages a batch at a time, each with a lease of its own: while it
sends a long batch it renews the lease of the messages still to send, so that no other runner takes
them; a message whose lease ran out and that another runner took is left to that runner. The clock is
the test's (`timezone.now`), the mail backend Django's locmem one: no timing, no chance."""

import datetime

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from users.mail import claim, notify, send_pending
from users.models import OutboxMessage

LEASE = 600


@pytest.fixture
def clock(monkeypatch, settings):
    """The time as the outbox sees it, moved on by the test: [now]."""
    settings.OUTBOX_LEASE_SECONDS = LEASE
    now = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


@pytest.fixture
def queued(alice, bob, charlie, demo_ag):
    for user in (alice, bob, charlie):
        notify([user], "support_change", {"organization": demo_ag, "user": user, "entries": []})
    return list(OutboxMessage.objects.order_by("pk"))


def _each_send(monkeypatch, then):
    """Call `then(number)` while the locmem backend sends the message `number` (1, 2, ...)."""
    send = EmailBackend.send_messages
    count = [0]

    def sending(self, messages):
        count[0] += 1
        then(count[0])
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", sending)


def test_a_batch_longer_than_its_lease_renews_it_and_no_other_runner_takes_a_message(monkeypatch, clock, queued):
    taken_by_others = []

    def slow_send(number):
        clock[0] += datetime.timedelta(seconds=400)  # each send takes two thirds of a lease
        taken_by_others.append(claim(10)[0])  # another runner looks for free messages meanwhile

    _each_send(monkeypatch, slow_send)
    assert send_pending() == (3, 0)
    assert taken_by_others == [[], [], []]  # the first claim's lease alone would have freed the third at 800 s
    assert [message.to[0] for message in mail.outbox] == [message.to for message in queued]
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert not OutboxMessage.objects.filter(claimed_until__isnull=False).exists()


def test_messages_whose_lease_ran_out_and_that_another_runner_took_are_left_to_it(monkeypatch, clock, queued):
    other = []

    def stalled_send(number):
        if number == 1:
            clock[0] += datetime.timedelta(seconds=LEASE + 60)  # the first send outlived every lease
            other.extend(claim(10)[2])  # another runner takes what is free: this batch's messages

    _each_send(monkeypatch, stalled_send)
    assert send_pending() == (1, 0)  # the first, in flight already; not the others
    assert [message.pk for message in other] == [message.pk for message in queued]
    assert [message.to[0] for message in mail.outbox] == [queued[0].to]
    for message in OutboxMessage.objects.filter(pk__in=[queued[1].pk, queued[2].pk]):
        assert message.sent_at is None  # the other runner sends them
        assert message.claimed_until == clock[0] + datetime.timedelta(seconds=LEASE)  # on its lease


def test_the_messages_sent_are_recorded_before_a_renewal(monkeypatch, clock, queued):
    recorded = []

    def slow_send(number):
        recorded.append(OutboxMessage.objects.filter(sent_at__isnull=False).count())
        clock[0] += datetime.timedelta(seconds=400)

    _each_send(monkeypatch, slow_send)
    send_pending()
    assert recorded == [0, 1, 2]  # each renewal records what was sent since the last one
