"""Four-eyes for production keys: a key Admin user A makes waits until another Admin user B approves it
(A never can), from the Admin's side (key list, forms) and the integrator's (the API refuses it)."""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apikeys.models import APPROVAL_WINDOW, ApiKey, Status
from apikeys.policy import rules as policy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import create_via_form, ping
from tests.cast import client_for
from users.mail import send_pending

LIST = "/administration/api-keys/"


def approve_url(key):
    return f"/administration/api-keys/{key.key_id}/approve/"


def test_the_token_is_shown_once_but_the_api_refuses_it_until_approved(pending, dora_client):
    key, token = pending
    assert token and key.is_pending_approval
    response = ping(token, "production")
    assert response.status_code == 401
    assert response.json()["reason"] == "pending_approval"
    assert dora_client.post(approve_url(key)).status_code == 302
    assert ping(token, "production").status_code == 200


def test_the_creator_can_never_approve_their_own_key(pending, alice_client):
    key, token = pending
    # The list offers no button to alice, and posting the form anyway (the attacker's way) is refused.
    assert approve_url(key) not in alice_client.get(LIST).content.decode()
    response = alice_client.post(approve_url(key), follow=True)
    assert "another Admin user must decide it" in response.content.decode()
    key.refresh_from_db()
    assert key.is_pending_approval and key.approved_by is None
    assert ping(token, "production").json()["reason"] == "pending_approval"
    with pytest.raises(policy.NotAllowed):
        policy.apikey_approve(key=key, by=key.created_by)


def test_the_other_admin_sees_approve_and_reject(pending, dora_client):
    key, _token = pending
    html = dora_client.get(LIST).content.decode()
    assert approve_url(key) in html and f"/administration/api-keys/{key.key_id}/reject/" in html


def test_rejecting_deletes_the_key(pending, dora_client, dora):
    key, token = pending
    dora_client.post(f"/administration/api-keys/{key.key_id}/reject/", {"reason": "Wrong user."})
    key.refresh_from_db()
    assert key.status == Status.DELETED and key.revoked_by == dora
    assert ping(token, "production").json()["reason"] == "deleted"
    assert AuditEvent.objects.filter(action=Action.KEY_REJECTED, actor=dora, key_id=key.key_id).exists()


def test_approval_is_in_the_audit_log_and_on_activity(pending, dora_client, dora):
    key, _token = pending
    dora_client.post(approve_url(key))
    entry = AuditEvent.objects.get(action=Action.KEY_APPROVED, key_id=key.key_id)
    assert entry.actor == dora and entry.details["requested_by"] == "alice"
    key.refresh_from_db()
    assert key.approved_by == dora and key.approved_at is not None
    html = dora_client.get("/administration/activity/").content.decode()
    assert "Key approved" in html and "requested by alice" in html


def test_the_other_admins_get_an_email_naming_the_key_only(pending, dora, alice):
    key, token = pending
    send_pending()
    [message] = [m for m in mail.outbox if "waits for your approval" in m.subject]
    assert message.to == [dora.email]
    assert key.key_id in message.body and token not in message.body and token not in message.alternatives[0][0]


def test_customer_integration_keys_never_need_approval(four_eyes, alice_client, bob):
    _response, token = create_via_form(alice_client, bob, api="integration")
    assert not ApiKey.objects.get(note="ERP").is_pending_approval
    assert ping(token, "integration").status_code == 200


def test_without_four_eyes_production_keys_work_at_once(alice_client, bob):
    _response, token = create_via_form(alice_client, bob, api="production")
    assert ping(token, "production").status_code == 200


def test_a_request_not_approved_within_7_days_lapses_and_is_deleted(pending, dora, monkeypatch):
    key, token = pending
    later = timezone.now() + APPROVAL_WINDOW + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(policy.NotAllowed):
        policy.apikey_approve(key=key, by=dora)
    assert ping(token, "production").json()["reason"] == "pending_approval"
    call_command("delete_unapproved_keys", stdout=__import__("io").StringIO())
    key.refresh_from_db()
    assert key.status == Status.DELETED and key.revoke_reason == policy.REASON_LAPSED
    assert AuditEvent.objects.filter(action=Action.APPROVAL_LAPSED, key_id=key.key_id).exists()


def test_a_key_approved_in_time_is_not_deleted_by_the_command(pending, dora):
    key, _token = pending
    policy.apikey_approve(key=key, by=dora)
    assert policy.apikeys_delete_lapsed(now=timezone.now() + APPROVAL_WINDOW * 2) == []


def test_an_outsider_gets_404_and_a_standard_user_403(pending, charlie_client, bob_client):
    key, _token = pending
    assert charlie_client.post(approve_url(key)).status_code == 404
    assert bob_client.post(approve_url(key)).status_code == 403
    key.refresh_from_db()
    assert key.is_pending_approval


def test_approve_is_post_only_and_needs_csrf(pending, dora):
    key, _token = pending
    client = client_for(dora, enforce_csrf_checks=True)
    assert client.get(approve_url(key)).status_code == 405
    assert client.post(approve_url(key)).status_code == 403
    key.refresh_from_db()
    assert key.is_pending_approval


def test_a_second_approval_changes_nothing(pending, dora_client, dora, demo_ag):
    key, _token = pending
    from tests.cast import make_user

    erin = make_user("erin", demo_ag, is_org_admin=True)
    dora_client.post(approve_url(key))
    response = client_for(erin).post(approve_url(key), follow=True)
    assert re.search("does not wait for approval", response.content.decode())
    key.refresh_from_db()
    assert key.approved_by == dora


def test_a_replayed_create_never_bypasses_approval(pending, alice_client, bob):
    # Every production key made while four-eyes is on waits, whichever way it is created.
    from apikeys import services

    key, token = services.apikey_create(
        user=bob,
        api="production",
        valid_until=timezone.localdate(),
        created_by=bob.organization.users.get(username="alice"),
    )
    assert key.is_pending_approval
    assert Client().get("/api/billing/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


CREATE = "/administration/api-keys/new/"
POLICY = "/administration/security-policy/"


def test_with_both_admins_no_page_warns_that_nobody_can_approve(four_eyes, alice_client):
    assert 'data-testid="four-eyes-stranded"' not in alice_client.get(CREATE).content.decode()
    assert 'data-testid="four-eyes-stranded"' not in alice_client.get(POLICY).content.decode()


@pytest.mark.parametrize("leaves", ["deactivated", "no longer Admin"])
def test_when_the_other_admin_leaves_both_pages_say_that_nobody_can_approve(four_eyes, alice_client, dora, leaves):
    if leaves == "deactivated":
        dora.is_active = False
    else:
        dora.is_org_admin = False
    dora.save()
    for page in (CREATE, POLICY):
        html = alice_client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        warning = html.split('data-testid="four-eyes-stranded">', 1)[1].split("</p>", 1)[0]
        assert warning.startswith("Your organization has 1 active Admin user: four-eyes needs at least two."), page
    alice_client.cookies["django_language"] = "de"
    assert 'data-testid="four-eyes-stranded"' in alice_client.get(CREATE).content.decode()
