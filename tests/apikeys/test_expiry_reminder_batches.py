"""The reminder run in batches: a batch of keys costs the same SQL statements whatever its keys and
organizations (queueing and sending), and every reminder of a run of several batches is queued and
sent once. Concurrent runs in separate processes: test_expiry_reminders_smtp.py."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.notices import CHUNK, send_expiry_reminders
from tests.apikeys.reminder_cast import due_contracts, reminder_day
from users import mail as outbox
from users.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _run_counted() -> tuple[int, object]:
    with CaptureQueriesContext(connection) as statements:
        run = send_expiry_reminders(reminder_day())
    return len(statements), run


def _retire(keys: list[ApiKey]) -> None:
    """Delete `keys` (a run of another day would find them due again)."""
    ApiKey.objects.filter(pk__in=[key.pk for key in keys]).update(
        revoked_at=timezone.now(), revoked_by=keys[0].created_by
    )


def test_a_batch_of_5_keys_and_one_of_50_cost_the_same_statements_over_several_organizations():
    assert CHUNK == 50
    few = due_contracts("Few", organizations=5, keys=5)
    mail.outbox.clear()
    small, run = _run_counted()
    assert (run.keys, run.queued, run.sent) == (5, 10, 10)  # each key: its standard user and the Admin user
    assert len(mail.outbox) == 10
    _retire(few)
    due_contracts("Many", organizations=5, keys=50)
    mail.outbox.clear()
    large, run = _run_counted()
    assert (run.keys, run.queued, run.sent) == (50, 55, 55)
    assert len(mail.outbox) == 55
    assert large == small  # not one more per key, organization, recipient or message
    asked = [message for message in mail.outbox if message.to[0].startswith("many-user-")]
    assert len(asked) == 5
    assert all("Ask Many-admin-" in message.body for message in asked)  # whom to ask, read with the batch


def test_a_run_of_several_batches_queues_and_sends_each_reminder_once():
    due_contracts("Big", organizations=3, keys=2 * CHUNK + 10)
    mail.outbox.clear()
    run = send_expiry_reminders(reminder_day())
    assert (run.keys, run.queued, run.sent, run.waiting) == (110, 113, 113, 0)
    sent = sorted((message.to[0], message.subject) for message in mail.outbox)
    assert len(sent) == len(set(sent)) == 113
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    again = send_expiry_reminders(reminder_day())
    assert (again.keys, again.queued) == (110, 0)
    assert len(mail.outbox) == 113


def test_a_reminder_queued_meanwhile_by_another_run_is_skipped_not_doubled(monkeypatch):
    """Between a batch's look at what is queued and its INSERT, a concurrent run queues one of its
    reminders: the INSERT fails on the dedupe key, and the batch stores its messages one by one."""
    [key] = due_contracts("Race", organizations=1, keys=1)
    admin = key.created_by
    templates = outbox._templates

    def concurrent_run_queues_first(kind):  # after the look, before the INSERT
        OutboxMessage.objects.create(
            to=admin.email, recipient=admin, subject="s", body="b", kind=kind,
            dedupe_key=f"expiry:{key.key_id}:30:{admin.pk}",
        )  # fmt: skip
        return templates(kind)

    monkeypatch.setattr(outbox, "_templates", concurrent_run_queues_first)
    run = send_expiry_reminders(reminder_day())
    assert run.queued == 1  # the key's standard user's; the Admin user's was the other run's
    assert sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == sorted(
        [f"expiry:{key.key_id}:30:{admin.pk}", f"expiry:{key.key_id}:30:{key.user_id}"]
    )
