"""Approvals with a queue: «Reject» asks for confirmation and a reason; the Admin user who asked gets
an e-mail when their key or policy change is approved or rejected, with the reason; the approval
request shows the key's facts, so that nobody decides blind."""

import pytest
from django.core import mail

from apikeys.models import ApiKey, PolicyChange, Status
from apikeys.policy import rules as policy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import create_via_form, set_policy
from tests.cast import client_for
from users.mail import send_pending

SECURITY_POLICY = "/administration/security-policy/"


@pytest.fixture
def pending(alice, dora, alice_client, bob):
    set_policy(alice.organization, four_eyes=True)
    create_via_form(alice_client, bob, api="production", allowed_networks="192.0.2.0/24")
    send_pending()  # the creation's notices are not what these tests are about
    mail.outbox.clear()
    return ApiKey.objects.get(note="ERP")


def _reject_url(key) -> str:
    return f"/administration/api-keys/{key.key_id}/reject/"


def _mails_to(user):
    send_pending()
    return [message for message in mail.outbox if message.to == [user.email]]


def test_reject_shows_the_keys_facts_and_asks_a_reason(pending, dora_client):
    html = dora_client.get(_reject_url(pending)).content.decode()
    facts = html.split('data-testid="key-facts"')[1].split("</dl>")[0]
    for fact in ("bob", "ERP", "192.0.2.0/24", f"{pending.valid_until:%d.%m.%Y}", "alice"):
        assert fact in facts
    assert 'name="reason"' in html and 'data-testid="confirm-reject"' in html
    pending.refresh_from_db()
    assert pending.is_pending_approval  # a GET decides nothing


def test_without_a_reason_nothing_is_rejected(pending, dora_client):
    response = dora_client.post(_reject_url(pending), {"reason": "  "})
    assert response.status_code == 400
    assert "Enter the reason for the rejection" in response.content.decode()
    pending.refresh_from_db()
    assert pending.is_pending_approval


def test_the_requester_gets_the_rejection_with_its_reason(pending, dora_client, alice, dora):
    response = dora_client.post(_reject_url(pending), {"reason": "Wrong user: the ERP runs as accounting."})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Status.DELETED
    entry = AuditEvent.objects.get(action=Action.KEY_REJECTED, key_id=pending.key_id)
    assert entry.details["reason"] == "Wrong user: the ERP runs as accounting."
    [message] = _mails_to(alice)
    assert message.subject == f"API key {pending.key_id} rejected"
    assert "dora has rejected the API key" in message.body
    assert "Wrong user: the ERP runs as accounting." in message.body
    assert "Wrong user: the ERP runs as accounting." in message.alternatives[0][0]
    assert _mails_to(dora) == []


def test_the_requester_is_told_of_the_approval(pending, dora_client, alice):
    dora_client.post(f"/administration/api-keys/{pending.key_id}/approve/")
    [message] = _mails_to(alice)
    assert message.subject == f"API key {pending.key_id} approved"
    assert "the API accepts it from now on" in message.body


def test_the_approval_request_shows_the_keys_facts(pending, dora, alice, bob):
    policy.apikey_request_approval(key=pending, by=alice)
    [message] = _mails_to(dora)
    for fact in ("bob", "ERP", "192.0.2.0/24", f"{pending.valid_until:%d.%m.%Y}", "Billing Solutions"):
        assert fact in message.body and fact in message.alternatives[0][0]


def test_the_creator_cannot_reject_their_own_key_even_with_a_reason(pending, alice_client):
    alice_client.post(_reject_url(pending), {"reason": "mine"})
    pending.refresh_from_db()
    assert pending.is_pending_approval


def test_reject_is_for_admins_of_the_organization_and_needs_csrf(pending, bob_client, charlie_client, dora):
    assert charlie_client.get(_reject_url(pending)).status_code == 404
    assert bob_client.get(_reject_url(pending)).status_code == 403
    client = client_for(dora, enforce_csrf_checks=True)
    assert client.post(_reject_url(pending), {"reason": "no"}).status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending_approval


def test_a_policy_change_is_rejected_with_a_reason_told_to_the_requester(alice, dora, dora_client):
    set_policy(alice.organization, four_eyes=True)
    change = policy.policy_update(
        organization_id=alice.organization_id, by=alice, max_validity_days=None, four_eyes=False, allowed_networks=""
    )
    url = f"{SECURITY_POLICY}changes/{change.pk}/reject/"
    assert 'name="reason"' in dora_client.get(url).content.decode()
    assert dora_client.post(url, {"reason": ""}).status_code == 400
    mail.outbox.clear()
    assert dora_client.post(url, {"reason": "Four-eyes stays on."}).status_code == 302
    change.refresh_from_db()
    assert change.decision == "rejected"
    [message] = _mails_to(alice)
    assert "rejected the change you requested" in message.body and "Four-eyes stays on." in message.body


def test_an_approved_policy_change_is_told_to_the_requester(alice, dora, dora_client):
    set_policy(alice.organization, four_eyes=True)
    change = policy.policy_update(
        organization_id=alice.organization_id, by=alice, max_validity_days=None, four_eyes=False, allowed_networks=""
    )
    send_pending()
    mail.outbox.clear()
    dora_client.post(f"{SECURITY_POLICY}changes/{change.pk}/approve/")
    [message] = _mails_to(alice)
    assert "approved the change you requested" in message.body
    assert PolicyChange.objects.get(pk=change.pk).decision == "approved"
