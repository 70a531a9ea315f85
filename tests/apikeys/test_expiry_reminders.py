"""`manage.py send_expiry_reminders`: which key is due which reminder, to whom, in which language,
once per key and threshold. Real SMTP and concurrent runs: test_expiry_reminders_smtp.py."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from apikeys import services
from apikeys.models import Api
from apikeys.notices import due_threshold
from tests.cast import make_user, today
from users.mail import send_pending
from users.models import OutboxMessage


def _day(n: int) -> str:
    return (today() + datetime.timedelta(days=n)).isoformat()


def _run(today: str) -> str:
    out = StringIO()
    call_command("send_expiry_reminders", "--today", today, stdout=out)
    return out.getvalue()


@pytest.fixture
def key(make_key, bob):
    """Valid for 100 days from today: due 30 days before its end, on day 70."""
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()  # the creation notice is not what these tests are about
    key = make_key(user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today() + datetime.timedelta(days=100))[0]
    OutboxMessage.objects.all().delete()
    return key


def _reminders():
    return list(OutboxMessage.objects.filter(kind="expiry_reminder").order_by("to"))


@pytest.mark.parametrize(
    ("days_after", "expected"),
    [(0, None), (69, None), (70, 30), (85, 30), (93, 7), (98, 7), (99, 1), (100, 1), (101, None)],
)
def test_the_nearest_threshold_is_due(key, days_after, expected):
    assert due_threshold(key, today() + datetime.timedelta(days=days_after)) == expected


def test_it_reminds_the_keys_user_and_every_active_admin_in_their_language(key, alice, bob, demo_ag, charlie):
    bob.language = "it"
    bob.save()
    second_admin = make_user("dora", demo_ag, is_org_admin=True, language="de")
    make_user("ex-admin", demo_ag, is_org_admin=True, is_active=False)
    assert "1 keys due, 3 messages queued" in _run(_day(70))
    send_pending()
    by_to = {message.to[0]: message for message in mail.outbox}
    assert set(by_to) == {alice.email, bob.email, second_admin.email}  # not charlie, not the inactive admin
    assert by_to[alice.email].subject == f"API key {key.key_id} expires on {key.valid_until:%d.%m.%Y}"
    assert by_to[bob.email].subject.startswith(f"Chiave API {key.key_id}")
    assert by_to[second_admin.email].subject.startswith(f"API-Schlüssel {key.key_id}")
    body = by_to[alice.email].body
    assert "valid for 30 more days" in body
    assert f"/administration/api-keys/{key.key_id}/replace/" in body
    assert f"/administration/api-keys/{key.key_id}/replace/" in by_to[alice.email].alternatives[0][0]


def test_it_never_puts_a_token_or_hash_in_a_reminder(make_key, bob):
    key, token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=100))
    _run(_day(99))
    for message in OutboxMessage.objects.all():
        for text in (message.subject, message.body, message.html):
            assert token not in text
            assert token.split("_")[2] not in text
            assert key.secret_hash not in text


def test_a_second_run_and_a_later_day_of_the_same_threshold_send_nothing_more(key):
    _run(_day(70))
    assert "0 messages queued" in _run(_day(70))
    assert "0 messages queued" in _run(_day(80))
    assert [m.dedupe_key.rsplit(":", 1)[0] for m in _reminders()] == [f"expiry:{key.key_id}:30"] * 2


def test_each_threshold_goes_out_once_and_only_the_nearest_when_several_are_due(key):
    _run(_day(70))  # 30 days left
    _run(_day(99))  # 1 day left: 7 was skipped (the command did not run then): only 1
    sent = sorted({m.dedupe_key.split(":")[2] for m in _reminders()})
    assert sent == ["1", "30"]


def test_a_key_created_with_few_days_left_gets_no_reminder_of_a_threshold_already_reached(make_key, bob):
    key = make_key(user=bob, valid_until=today() + datetime.timedelta(days=7))[0]
    _run(_day(0))  # 7 days left, as when created: no 7-day reminder (nor 30)
    assert not _reminders()
    _run(_day(6))
    assert {m.dedupe_key.split(":")[2] for m in _reminders()} == {"1"}
    assert key.key_id in _reminders()[0].subject


def test_deleted_and_replaced_keys_get_no_reminder(key, make_key, alice, bob):
    services.apikey_revoke(key=key, by=alice)
    rolling = make_key(user=bob, valid_until=today() + datetime.timedelta(days=100))[0]
    _successor, _token = services.apikey_replace(
        key=rolling, valid_until=today() + datetime.timedelta(days=400), overlap=datetime.timedelta(days=7), by=alice
    )
    _run(_day(70))
    assert not _reminders()


def test_keys_of_a_deactivated_user_get_no_reminder(key, bob):
    bob.is_active = False
    bob.save()
    _run(_day(70))
    assert not _reminders()


def test_a_bad_day_is_a_clear_error():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_expiry_reminders", "--today", "31.12.2027", stdout=StringIO())
