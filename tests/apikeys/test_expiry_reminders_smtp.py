"""The reminder command for real: `manage.py send_expiry_reminders` in separate processes, delivering
to an SMTP server on the loopback (aiosmtpd). Twice at once and once more: every reminder arrives
exactly once, to the right people, in their languages, also over several batches of keys. SMTP down
for a run: sent on the next."""

import datetime
import subprocess
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from apikeys.models import Api
from apikeys.notices import CHUNK
from tests.apikeys.reminder_cast import END, due_contracts, reminder_day
from tests.cast import make_user, today
from tests.smtp import Inbox, finish, free_port, start
from users.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


class _Inbox(Inbox):
    def received(self) -> list[tuple[str, str]]:
        return sorted((m["To"], str(make_header(decode_header(m["Subject"])))) for m in self.messages)


@pytest.fixture
def inbox():
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def _start(port: int) -> subprocess.Popen:
    return start("send_expiry_reminders", "--today", reminder_day().isoformat(), smtp_port=port)


@pytest.fixture
def due(make_key, alice, bob, demo_ag, charlie):
    """Two keys of Demo AG due their 30-day reminder on the reminder day, one of Other AG; the users' languages."""
    bob.language = "it"
    bob.save()
    dora = make_user("dora", demo_ag, is_org_admin=True, language="de")
    end = today() + datetime.timedelta(days=END)
    keys = [
        make_key(user=bob, api=Api.PRODUCTION, valid_until=end)[0],
        make_key(user=alice, valid_until=end)[0],
        make_key(user=charlie, created_by=charlie, valid_until=end)[0],
    ]
    OutboxMessage.objects.all().delete()  # the creation notices: these tests read the reminders
    return keys, dora


def _expected(keys, alice, bob, charlie, dora) -> list[tuple[str, str]]:
    subject = {
        "en": "API key {} expires on {:%d.%m.%Y}",
        "it": "Chiave API {} scade il {:%d.%m.%Y}",
        "de": "API-Schlüssel {} läuft am {:%d.%m.%Y} ab",
    }
    bobs, alices, charlies = keys
    to = [(bobs, bob, "it"), (bobs, alice, "en"), (bobs, dora, "de"), (alices, alice, "en"), (alices, dora, "de")]
    to.append((charlies, charlie, "en"))
    return sorted((user.email, subject[lang].format(key.key_id, key.valid_until)) for key, user, lang in to)


def test_two_runs_at_once_and_a_third_deliver_each_reminder_once(inbox, due, alice, bob, charlie):
    keys, dora = due
    first, second = _start(inbox.port), _start(inbox.port)  # two app servers' cron at the same minute
    outputs = [finish(first), finish(second)]
    assert sum(int(out.split(" messages queued")[0].rsplit(" ", 1)[1]) for out in outputs) == 6
    assert "0 messages queued" in finish(_start(inbox.port))  # a rerun after a crash, say
    assert inbox.received() == _expected(keys, alice, bob, charlie, dora)
    bodies = {m["To"]: m.get_payload()[0].get_payload(decode=True).decode() for m in inbox.messages}
    admins = [m.get_payload()[0].get_payload(decode=True).decode() for m in inbox.messages if m["To"] == alice.email]
    # «Replace» for the Admin users; the key's standard user is told whom to ask, with no link into Administration
    assert any(f"/administration/api-keys/{keys[0].key_id}/replace/" in body for body in admins)
    assert "/administration/" not in bodies[bob.email]
    assert "Chiedete a Alice Tester o Dora Tester" in bodies[bob.email]
    assert "valida ancora 30 giorni" in bodies[bob.email]


def test_a_run_while_smtp_is_down_is_delivered_by_the_next(inbox, due, alice, bob, charlie):
    keys, dora = due
    out = finish(_start(free_port()))  # nothing listens there: every send fails
    assert "6 messages queued, 0 sent, 6 waiting" in out
    assert inbox.messages == []
    out = finish(_start(inbox.port))
    assert "0 messages queued" in out
    assert "6 older sent" in out
    assert inbox.received() == _expected(keys, alice, bob, charlie, dora)


def test_two_runs_at_once_over_several_batches_deliver_each_reminder_once(inbox):
    keys = due_contracts("Batch", organizations=3, keys=2 * CHUNK + 10)  # three batches of keys
    first, second = _start(inbox.port), _start(inbox.port)
    outputs = [finish(first), finish(second)]
    assert sum(int(out.split(" messages queued")[0].rsplit(" ", 1)[1]) for out in outputs) == len(keys) + 3
    received = [(m["To"], str(make_header(decode_header(m["Subject"])))) for m in inbox.messages]
    assert len(received) == len(set(received)) == len(keys) + 3  # each key's Admin user, and 3 standard users
    assert {subject.split()[2] for _to, subject in received} == {key.key_id for key in keys}
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
