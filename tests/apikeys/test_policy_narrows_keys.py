"""Narrowing the security policy's networks narrows the keys they no longer cover, at once, and flags
the keys that share no address with them (Activity and an e-mail to the Admin users).

The attacker's view: an Admin user who narrows the contract's networks after an incident expects
every key to follow; a key made before must not keep working from an address the policy now refuses."""

import pytest
from django.core import mail

from apikeys.models import ApiKey
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import ping, set_policy
from users.mail import send_pending
from users.models import OutboxMessage

URL = "/administration/security-policy/"


def narrow(client, networks, four_eyes=False):
    data = {"max_validity_days": "", "allowed_networks": networks}
    if four_eyes:
        data["four_eyes"] = "on"
    return client.post(URL, data)


@pytest.fixture
def keys(make_key, bob):
    made = {
        "any": make_key(user=bob),
        "inside": make_key(user=bob, allowed_networks="192.0.2.0/25"),
        "wider": make_key(user=bob, allowed_networks="192.0.0.0/16 2001:db8::/32"),
        "apart": make_key(user=bob, allowed_networks="198.51.100.0/24", note="partner VPN"),
    }
    OutboxMessage.objects.all().delete()
    return made


def _networks(key) -> str | None:
    return ApiKey.objects.values_list("allowed_networks", flat=True).get(pk=key.pk)


def test_keys_are_narrowed_to_what_both_allow(alice_client, keys):
    assert narrow(alice_client, "192.0.2.0/24").status_code == 302
    assert _networks(keys["any"][0]) == "192.0.2.0/24"
    assert _networks(keys["inside"][0]) == "192.0.2.0/25"  # already within: unchanged
    assert _networks(keys["wider"][0]) == "192.0.2.0/24"
    assert _networks(keys["apart"][0]) == "198.51.100.0/24"  # shares nothing: flagged, not widened
    _key, token = keys["any"]
    assert ping(token, REMOTE_ADDR="203.0.113.5").status_code == 403  # the key follows the policy at once
    assert ping(token, REMOTE_ADDR="192.0.2.9").status_code == 200
    entries = AuditEvent.objects.filter(action=Action.KEY_NETWORKS, details__by_policy=True)
    assert {entry.key_id for entry in entries} == {keys["any"][0].key_id, keys["wider"][0].key_id}


def test_a_key_apart_from_the_policy_is_flagged_on_activity_and_by_mail(alice_client, alice, keys):
    narrow(alice_client, "192.0.2.0/24")
    apart = keys["apart"][0]
    entry = AuditEvent.objects.get(action=Action.KEY_NETWORKS, key_id=apart.key_id)
    assert entry.details["outside_policy"] == "192.0.2.0/24"
    page = alice_client.get("/administration/activity/").content.decode()
    assert 'data-testid="outside-policy"' in page
    send_pending()
    [message] = [m for m in mail.outbox if "outside" in m.subject]
    assert message.to == [alice.email]
    assert apart.key_id in message.body and "partner VPN" in message.body
    assert keys["any"][0].key_id not in message.body


def test_narrowing_applies_at_once_under_four_eyes_and_narrows_the_keys(alice_client, alice, dora, keys):
    set_policy(alice.organization, four_eyes=True, allowed_networks="192.0.0.0/16")
    assert narrow(alice_client, "192.0.2.0/24", four_eyes=True).status_code == 302
    assert _networks(keys["wider"][0]) == "192.0.2.0/24"


def test_a_standard_user_or_an_outsider_cannot_narrow_anything(bob_client, charlie_client, keys):
    assert narrow(bob_client, "192.0.2.0/24").status_code == 403
    narrow(charlie_client, "192.0.2.0/24")  # their own contract's policy: Demo AG's keys stay
    assert _networks(keys["any"][0]) is None
