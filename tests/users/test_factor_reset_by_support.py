"""Support resets a customer user's lost second factor: only as a recorded action (after a fresh proof
of the staff user's own factor) that shows on the organization's «Activity» and is e-mailed at once
to every Admin user and to the user, who must set up a new factor at the next login. Support never
sees or sets a factor."""

import pytest
from django.test import Client

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD, client_for, make_user
from tests.factors import code_at, enrol, secret_of, stale_proof
from users.factors.models import RecoveryCode, TOTPDevice
from users.models import OutboxMessage

CHANGELIST = "/support/users/user/"
ACTION = "reset_second_factor"
ENROL = "/accounts/security/authenticator/"


def reset(client, *users, **extra):
    return client.post(CHANGELIST, {"action": ACTION, "_selected_action": [u.pk for u in users], **extra})


def has_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user).exists() or RecoveryCode.objects.filter(user=user).exists()


@pytest.fixture
def lost(bob, alice):
    enrol(bob)
    return bob


def test_support_resets_a_lost_factor_as_a_recorded_action(lost, sam, sam_client, bob, alice):
    response = reset(sam_client, bob)
    assert response.status_code == 302
    assert not has_factor(bob)
    bob.refresh_from_db()
    assert bob.must_enrol_factor
    entry = AuditEvent.objects.get(action=Action.FACTOR_RESET_BY_SUPPORT)
    assert (entry.actor, entry.subject, entry.organization_id) == (sam, bob, bob.organization_id)
    page = client_for(alice).get("/administration/activity/").content.decode()
    row = page.split('data-action="factor_reset_support"')[1].split("</tr>")[0]
    assert 'data-testid="bank-support"' in row and "Authenticator app" in row


def test_the_admins_and_the_user_are_told_at_once(lost, sam_client, bob, alice):
    reset(sam_client, bob)
    admins = OutboxMessage.objects.filter(kind="support_change", recipient=alice)
    assert admins.count() == 1 and "Second factor reset by bank support" in admins.get().body
    user = OutboxMessage.objects.get(kind="factor_reset", recipient=bob)
    assert "The bank's support" in user.body and "new one at the next login" in user.body


def test_the_user_must_enrol_at_the_next_login(lost, sam_client, bob):
    reset(sam_client, bob)
    client = Client()
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == ENROL
    assert "Your second factor was reset" in response.content.decode()
    assert client.get("/")["Location"] == ENROL


def test_the_admin_shows_the_obligation_not_any_secret(lost, sam_client, bob):
    reset(sam_client, bob)
    page = sam_client.get(f"/support/users/user/{bob.pk}/change/").content.decode()
    assert "must set up a new one at the next login" in page


def test_the_reset_needs_a_fresh_proof_of_the_staff_users_factor(lost, sam_client, bob):
    stale_proof(sam_client)
    response = reset(sam_client, bob)
    assert response.status_code == 200
    assert 'data-testid="step-up"' in response.content.decode()
    assert has_factor(bob)
    response = reset(sam_client, bob, step_up="1", code="000000")
    assert response.status_code == 400
    assert has_factor(bob)
    assert not AuditEvent.objects.filter(action=Action.FACTOR_RESET_BY_SUPPORT).exists()


def test_after_the_proof_the_selection_is_reset(lost, sam, sam_client, bob, totp_clock):
    secret = secret_of(TOTPDevice.objects.get(user=sam))
    stale_proof(sam_client)
    reset(sam_client, bob)
    response = reset(sam_client, bob, step_up="1", code=code_at(secret, totp_clock.now))
    assert response.status_code == 302
    assert not has_factor(bob)


def test_support_cannot_reset_staff_and_a_customer_cannot_use_the_action(lost, sam_client, alice, bob):
    other_staff = make_user("tina", None, is_staff=True)
    enrol(other_staff)
    reset(sam_client, other_staff)
    assert has_factor(other_staff)
    assert reset(client_for(alice), bob).status_code == 302  # to the support login: not staff
    assert has_factor(bob)


def test_a_user_without_a_factor_is_skipped(sam_client, bob):
    response = sam_client.post(CHANGELIST, {"action": ACTION, "_selected_action": [bob.pk]}, follow=True)
    assert "No reset for bob" in response.content.decode()
    bob.refresh_from_db()
    assert not bob.must_enrol_factor
