"""A lost phone: another Admin user of the same contract resets the user's second factor — never their
own, only after a fresh proof, told to every Admin user and to the user, on «Activity» — and the user
sets up a new one at the next login. From the attacker's side: another organization's user, a
standard user, support staff, a post without CSRF, a stale proof."""

import pytest
from django.test import Client

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD, client_for, mentions
from tests.factors import code_at, enrol, secret_of, stale_proof
from users.factors.models import RecoveryCode, TOTPDevice
from users.models import OutboxMessage

USERS = "/administration/users/"
ENROL = "/accounts/security/authenticator/"


def reset_url(user) -> str:
    return f"/administration/users/{user.pk}/reset-factor/"


@pytest.fixture
def lost(alice, dora):
    """dora lost her phone; alice, another Admin user, has a factor of her own."""
    enrol(alice)
    enrol(dora)
    return dora


def has_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user).exists() or RecoveryCode.objects.filter(user=user).exists()


def test_the_user_list_shows_who_has_a_factor_and_offers_the_reset(lost, alice_client):
    page = alice_client.get(USERS).content.decode()
    dora_row = page.split('data-username="dora"')[1].split("</tr>")[0]
    alice_row = page.split('data-username="alice"')[1].split("</tr>")[0]
    assert 'data-testid="has-factor"' in dora_row and reset_url(lost) in dora_row
    assert "/reset-factor/" not in alice_row  # never one's own


def test_another_admin_resets_the_factor(lost, alice, alice_client, dora):
    response = alice_client.post(reset_url(dora), follow=True)
    assert "has been reset" in response.content.decode()
    assert not has_factor(dora)
    dora.refresh_from_db()
    assert dora.must_enrol_factor
    entry = AuditEvent.objects.get(action=Action.FACTOR_RESET)
    assert (entry.actor, entry.subject, entry.organization_id) == (alice, dora, alice.organization_id)
    activity = alice_client.get("/administration/activity/").content.decode()
    assert 'data-action="factor_reset"' in activity


def test_every_admin_and_the_user_are_told(lost, alice, alice_client, dora, bob):
    alice_client.post(reset_url(dora))
    told = set(OutboxMessage.objects.filter(kind="factor_reset").values_list("recipient__username", flat=True))
    assert told == {"alice", "dora"}
    body = OutboxMessage.objects.filter(kind="factor_reset").first().body
    assert mentions(body, "alice") and mentions(body, "dora") and "new one at the next login" in body


def test_after_the_reset_the_user_must_enrol_at_the_next_login(lost, alice_client, dora):
    alice_client.post(reset_url(dora))
    client = Client()
    response = client.post("/accounts/login/", {"username": "dora", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == ENROL
    assert "Your second factor was reset" in response.content.decode()
    assert client.get("/administration/")["Location"] == ENROL


def test_enrolling_again_ends_the_obligation(lost, alice_client, dora, totp_clock):
    alice_client.post(reset_url(dora))
    dora.refresh_from_db()  # the reset ended her sessions: a login now is one after it
    client = client_for(dora)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=dora, confirmed=False)
    response = client.post(ENROL, {"code": code_at(secret_of(device), totp_clock.now)})
    assert response.status_code == 200 and "recovery" in response.content.decode().lower()
    dora.refresh_from_db()
    assert not dora.must_enrol_factor
    assert client.get("/administration/").status_code == 200


def test_an_admin_cannot_reset_their_own_factor(lost, alice, alice_client):
    response = alice_client.post(reset_url(alice), follow=True)
    assert "You cannot reset your own second factor" in response.content.decode()
    assert has_factor(alice)
    assert not AuditEvent.objects.filter(action=Action.FACTOR_RESET).exists()


def test_another_organizations_admin_gets_404(lost, charlie, charlie_client, dora):
    enrol(charlie)
    assert charlie_client.post(reset_url(dora)).status_code == 404
    assert has_factor(dora)


def test_an_admin_gets_404_for_a_user_of_another_organization(lost, alice_client, charlie):
    enrol(charlie)
    assert alice_client.post(reset_url(charlie)).status_code == 404
    assert has_factor(charlie)


def test_a_standard_user_and_support_get_403(lost, bob_client, sam_client, dora):
    assert bob_client.post(reset_url(dora)).status_code == 403
    assert sam_client.post(reset_url(dora)).status_code == 403
    assert has_factor(dora)


def test_the_reset_needs_a_fresh_proof(lost, alice_client, dora):
    stale_proof(alice_client)
    response = alice_client.post(reset_url(dora))
    assert 'data-testid="step-up"' in response.content.decode()
    assert has_factor(dora)
    # A wrong code changes nothing either.
    response = alice_client.post(reset_url(dora), {"step_up": "1", "code": "000000"})
    assert response.status_code == 400
    assert has_factor(dora)


def test_the_reset_needs_the_csrf_token(lost, alice, dora):
    client = client_for(alice, enforce_csrf_checks=True)
    assert client.post(reset_url(dora)).status_code == 403
    assert has_factor(dora)


def test_a_get_resets_nothing(lost, alice_client, dora):
    assert alice_client.get(reset_url(dora)).status_code == 405
    assert has_factor(dora)


def test_a_user_without_a_factor_is_not_reset(alice, alice_client, bob):
    enrol(alice)
    response = alice_client.post(reset_url(bob), follow=True)
    assert "has no second factor to reset" in response.content.decode()
    bob.refresh_from_db()
    assert not bob.must_enrol_factor
    assert not AuditEvent.objects.filter(action=Action.FACTOR_RESET).exists()
