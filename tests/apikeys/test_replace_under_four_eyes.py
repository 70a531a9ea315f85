"""«Replace» under four-eyes, from the Admin user's side: the form offers no «Immediately», says who
must approve and that the old key works until then; the token screen, the e-mails, the key list and
the reminder's «Replace it without downtime» say the same."""

import datetime
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from apikeys.models import Api, ApiKey
from apikeys.services import OverlapNeedsTime, apikey_replace
from tests.apikeys.key_list import text_of
from tests.apikeys.policy_cast import set_policy
from tests.cast import today
from tests.conftest import key_count
from users.mail import send_pending
from users.models import OutboxMessage


def _url(key) -> str:
    return f"/administration/api-keys/{key.key_id}/replace/"


@pytest.fixture
def old(make_key, bob):
    return make_key(user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today() + datetime.timedelta(days=100))[0]


@pytest.fixture
def four_eyes(old, alice, dora):
    return set_policy(alice.organization, four_eyes=True)


def _post(client, key, old_key_ends):
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(_url(key)).content.decode())[1]
    return client.post(
        _url(key), {"validity": "1y", "old_key_ends": old_key_ends, "nonce": nonce, "scopes": key.scope_list}
    )


def test_the_form_offers_no_immediately_and_names_who_must_approve(old, four_eyes, alice_client, dora):
    html = alice_client.get(_url(old)).content.decode()
    assert 'value="now"' not in html
    assert 'name="old_key_ends" value="24h"' in html and 'name="old_key_ends" value="7d"' in html
    assert "24 hours after the new key is approved" in html
    [notice] = re.findall(r'<p class="message" data-testid="approval-needed">(.*?)</p>', html, re.S)
    assert "another Admin user approves it: Dora Tester" in notice
    assert "The old key keeps working until then" in notice


def test_without_four_eyes_immediately_is_offered(old, alice_client):
    html = alice_client.get(_url(old)).content.decode()
    assert 'name="old_key_ends" value="now"' in html and 'data-testid="approval-needed"' not in html


def test_a_test_key_needs_no_approval_so_immediately_stays(make_key, bob, alice, dora, alice_client):
    key = make_key(user=bob, api=Api.INTEGRATION)[0]
    set_policy(alice.organization, four_eyes=True)
    assert 'name="old_key_ends" value="now"' in alice_client.get(_url(key)).content.decode()


def test_posting_immediately_anyway_is_refused_with_a_message(old, four_eyes, alice_client):
    count = key_count()
    response = _post(alice_client, old, "now")
    assert response.status_code == 400
    assert "choose 24 hours or 7 days after it" in response.content.decode()
    assert key_count() == count


def test_the_service_refuses_no_overlap_while_the_new_key_waits(old, four_eyes, alice):
    with pytest.raises(OverlapNeedsTime):
        apikey_replace(
            key=old, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(0), by=alice
        )
    old.refresh_from_db()
    assert old.ends_at is None and not old.replacements.exists()


def test_the_token_screen_the_list_and_the_email_say_the_old_key_works_until_the_approval(
    old, four_eyes, alice_client, alice
):
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()
    html = _post(alice_client, old, "7d").content.decode()
    new = ApiKey.objects.get(replaces=old)
    assert new.is_pending_approval and new.replaces_overlap == datetime.timedelta(days=7)
    old.refresh_from_db()
    assert old.ends_at is None
    replaces = re.search(r'data-testid="replaces">(.*?)</dd>', html, re.S)[1]
    assert f"keeps working until {new.key_id} is approved, then for 7 days" in replaces
    listing = alice_client.get("/administration/api-keys/").content.decode()
    row = re.search(rf'<tr id="key-{old.key_id}".*?</tr>', listing, re.S)[0]
    assert f"Being replaced by {new.key_id} — works until it is approved, then for 7 days" in text_of(row)
    assert 'data-testid="replace"' not in row  # a second «Replace» is not offered meanwhile
    assert alice_client.get(_url(old)).status_code == 302
    send_pending()
    [notice] = [m for m in mail.outbox if m.to == [alice.email] and "replaced by" in m.subject]
    assert f"{old.key_id} keeps working until then, and for 7 days after the approval" in notice.body


def test_the_reminders_replace_link_leads_to_the_form_without_immediately(old, four_eyes, alice, alice_client):
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()
    day = (old.valid_until - datetime.timedelta(days=30)).isoformat()
    call_command("send_expiry_reminders", "--today", day, stdout=StringIO())
    send_pending()
    [reminder] = [m for m in mail.outbox if m.to == [alice.email]]
    assert "Replace it without downtime" in reminder.body
    link = re.search(r"https?://\S+?(/administration/api-keys/\w+/replace/)", reminder.body)[1]
    html = alice_client.get(link).content.decode()
    assert 'value="now"' not in html and 'data-testid="approval-needed"' in html


def test_a_key_being_replaced_gets_no_reminder(old, four_eyes, alice, alice_client):
    _post(alice_client, old, "24h")
    OutboxMessage.objects.all().delete()
    day = (old.valid_until - datetime.timedelta(days=30)).isoformat()
    out = StringIO()
    call_command("send_expiry_reminders", "--today", day, stdout=out)
    assert not OutboxMessage.objects.filter(kind="expiry_reminder").exists()
