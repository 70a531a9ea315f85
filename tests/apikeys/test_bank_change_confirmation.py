"""«Waiting for your confirmation» on User management: an Admin user confirms or refuses what the bank
asked for, once a second bank employee approved it. Another organization's Admin user gets 404, a
standard user 403, GET 405, a form without its CSRF token 403, and a replayed form changes nothing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.cast import client_for
from tests.support_admin import approve_held, change_user
from users.mail import send_pending
from users.models import BankChange, OutboxMessage, User

USERS = "/administration/users/"


@pytest.fixture
def grant(sam_client, tina, alice, bob):
    """sam grants bob the Admin flag, tina approves it: it waits for Demo AG's Admin users."""
    change_user(sam_client, bob, is_org_admin="on")
    approve_held(bob, by=tina)
    change = BankChange.objects.get(user=bob)
    assert change.state == BankChange.State.ORGANIZATION
    return change


def _confirm(client, change):
    return client.post(reverse("apikeys:bank_change_confirm", args=[change.pk]))


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_list_shows_who_asked_and_the_real_name_and_address(grant, alice_client):
    body = alice_client.get(USERS).content.decode()
    assert "Waiting for your confirmation" in body
    [row] = [row for row in body.split('data-testid="bank-change"')[1:]]
    assert "<code>bob</code>" in row and "Bob Tester" in row and "bob@demo.example" in row
    assert "Admin flag" in row
    assert "Sam Tester (sam)" in row and "approved by Tina Tester (tina)" in row
    assert 'data-testid="bank-change-confirm"' in row


def test_confirming_makes_bob_an_admin_who_may_then_decide(grant, alice_client, bob):
    response = _confirm(alice_client, grant)
    assert response.status_code == 302
    assert "Confirmed: the change of bob is in effect." in _messages(response)
    bob.refresh_from_db()
    assert bob.is_org_admin
    entry = AuditEvent.objects.get(action=Action.CHANGE_CONFIRMED)
    assert (entry.actor.username, entry.subject, entry.details["email"]) == ("alice", bob, "bob@demo.example")
    assert AuditEvent.objects.filter(action=Action.ADMIN_GRANTED, actor__username="sam", subject=bob).exists()


def test_a_replayed_confirmation_changes_nothing(grant, alice_client):
    assert _confirm(alice_client, grant).status_code == 302
    again = _confirm(alice_client, grant)
    assert "This change has already been decided." in _messages(again)
    assert AuditEvent.objects.filter(action=Action.ADMIN_GRANTED).count() == 1


def test_before_the_second_bank_employee_only_refuse_is_offered(sam_client, alice, alice_client, bob):
    change_user(sam_client, bob, is_org_admin="on")
    change = BankChange.objects.get(user=bob)
    body = alice_client.get(USERS).content.decode()
    assert "waits for a second bank employee" in body
    assert 'data-testid="bank-change-confirm"' not in body
    assert "This change waits for a second bank employee first." in _messages(_confirm(alice_client, change))
    bob.refresh_from_db()
    assert not bob.is_org_admin


def test_another_organizations_admin_gets_404_and_changes_nothing(grant, charlie_client, bob):
    assert _confirm(charlie_client, grant).status_code == 404
    assert charlie_client.post(reverse("apikeys:bank_change_refuse", args=[grant.pk])).status_code == 404
    assert _confirm(charlie_client, BankChange(pk=999_999)).status_code == 404
    grant.refresh_from_db()
    assert grant.state == BankChange.State.ORGANIZATION


def test_a_standard_user_gets_403(grant, bob_client, bob):
    assert _confirm(bob_client, grant).status_code == 403  # bob himself: no Admin user yet
    grant.refresh_from_db()
    assert grant.state == BankChange.State.ORGANIZATION


def test_get_is_405_and_a_form_without_csrf_is_403(grant, alice):
    client = client_for(alice, enforce_csrf_checks=True)
    assert client.get(reverse("apikeys:bank_change_confirm", args=[grant.pk])).status_code == 405
    assert _confirm(client, grant).status_code == 403
    grant.refresh_from_db()
    assert grant.state == BankChange.State.ORGANIZATION


def test_an_added_user_gets_the_link_only_once_confirmed(sam_client, tina, alice, alice_client, demo_ag):
    data = {"username": "dora", "first_name": "Dora", "last_name": "Keller", "email": "dora@demo.example"}
    data["organization"] = demo_ag.pk
    assert sam_client.post(reverse("admin:users_user_add"), data).status_code == 302
    dora = User.objects.get(username="dora")
    approve_held(dora, by=tina)
    assert not OutboxMessage.objects.filter(kind="set_password_link").exists()
    _confirm(alice_client, BankChange.objects.get(user=dora))
    dora.refresh_from_db()
    assert dora.is_active and not dora.is_org_admin
    assert OutboxMessage.objects.filter(kind="set_password_link", to="dora@demo.example").count() == 1


def test_a_new_address_takes_effect_once_confirmed_and_the_old_one_is_told(sam_client, tina, alice_client, bob):
    change_user(sam_client, bob, email="bob@attacker.example")
    approve_held(bob, by=tina)
    assert bob.email == "bob@demo.example"
    _confirm(alice_client, BankChange.objects.get(user=bob))
    bob.refresh_from_db()
    assert bob.email == "bob@attacker.example"
    send_pending()
    assert OutboxMessage.objects.filter(to="bob@demo.example", kind="support_change").exists()


def test_bob_cannot_approve_a_production_key_until_confirmed(grant, alice_client, bob, dora):
    """Four-eyes: alice's production key waits for a second Admin user; bob, granted by the bank but
    not yet confirmed, is not one; once alice confirms him, he is."""
    from tests.apikeys.policy_cast import create_via_form, set_policy

    set_policy(alice_client.get(USERS).wsgi_request.user.organization, four_eyes=True)
    assert create_via_form(alice_client, bob, api="production")[0].status_code == 200
    key = bob.api_keys.get()
    approve = f"/administration/api-keys/{key.key_id}/approve/"
    assert client_for(bob).post(approve).status_code == 403
    key.refresh_from_db()
    assert key.approved_at is None
    _confirm(alice_client, grant)
    assert client_for(bob).post(approve).status_code == 302
    key.refresh_from_db()
    assert key.approved_at is not None


def test_during_an_emergency_stop_a_held_admin_cannot_resume(grant, alice, alice_client, bob):
    from apikeys.policy import rules as policy

    organization = alice.organization
    policy.apikeys_suspend(organization=organization, by=alice, reason="leak")
    assert client_for(bob).post("/administration/security-policy/resume/").status_code == 403
    organization.refresh_from_db()
    assert organization.keys_suspended
