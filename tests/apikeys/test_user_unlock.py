"""A login locked by too many failed attempts (users.limits): an Admin user of the same organization
unlocks it on User management after a fresh proof, and the bank's support in the support admin; both
on «Activity». From the attacker's side: another organization's Admin user, a standard user, a post
without CSRF, a stale proof, a GET, customers in the support admin."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD, client_for, mentions
from tests.factors import fresh_proof, stale_proof
from tests.logins import attempt, lock_account, logged_in
from users import limits
from users.models import LoginLimit, OutboxMessage

USERS = "/administration/users/"
SUPPORT_LIST = "/support/users/loginlimit/"


def unlock_url(user) -> str:
    return f"/administration/users/{user.pk}/unlock/"


@pytest.fixture
def locked_bob(bob):
    lock_account(bob)
    return bob


def _row(page: str, username: str) -> str:
    return page.split(f'data-username="{username}"')[1].split("</tr>")[0]


def test_user_management_shows_the_lock_and_offers_unlock(locked_bob, alice_client):
    page = alice_client.get(USERS).content.decode()
    assert 'data-testid="login-locked"' in _row(page, "bob") and unlock_url(locked_bob) in _row(page, "bob")
    assert "/unlock/" not in _row(page, "alice")


def test_an_admin_user_unlocks_after_a_fresh_proof(locked_bob, alice, alice_client):
    stale_proof(alice_client)
    asked = alice_client.post(unlock_url(locked_bob))
    assert asked.status_code == 200
    assert 'data-testid="step-up"' in asked.content.decode()
    assert limits.is_locked(locked_bob.pk)
    confirmed = alice_client.post(unlock_url(locked_bob), {"step_up": "1", "step_up_password": PASSWORD}, follow=True)
    assert "The login of bob is unlocked" in confirmed.content.decode()
    assert not LoginLimit.objects.filter(user=locked_bob).exists()
    entry = AuditEvent.objects.get(action=Action.LOCK_LIFTED)
    assert (entry.actor, entry.subject, entry.details) == (alice, locked_bob, {"via": "admin"})
    told = OutboxMessage.objects.get(recipient=locked_bob, kind="lock_lifted")
    assert "The Admin user Alice Tester (alice) unlocked the login" in told.body
    client = Client()
    assert attempt(client, "bob", PASSWORD, 1).status_code == 302
    assert logged_in(client)


def test_a_user_who_is_not_locked_is_said_so(bob, alice_client):
    response = alice_client.post(unlock_url(bob), follow=True)
    assert "The login of bob is not locked." in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.LOCK_LIFTED).exists()


def test_another_organizations_admin_gets_404(locked_bob, charlie_client):
    fresh_proof(charlie_client)
    assert charlie_client.post(unlock_url(locked_bob)).status_code == 404
    assert limits.is_locked(locked_bob.pk)


def test_a_standard_user_gets_403(locked_bob, bob_client, demo_ag):
    from tests.cast import make_user

    carol = make_user("carol", demo_ag)
    lock_account(carol)
    assert bob_client.post(unlock_url(carol)).status_code == 403
    assert limits.is_locked(carol.pk)


def test_get_is_not_allowed(locked_bob, alice_client):
    assert alice_client.get(unlock_url(locked_bob)).status_code == 405


def test_a_post_without_csrf_is_refused(locked_bob, alice):
    client = client_for(alice, enforce_csrf_checks=True)
    assert client.post(unlock_url(locked_bob)).status_code == 403
    assert limits.is_locked(locked_bob.pk)


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_activity_shows_the_lock_and_its_lifting_in_the_readers_language(locked_bob, alice, alice_client, language):
    alice_client.post(unlock_url(locked_bob))
    page = alice_client.get("/administration/activity/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override(language):
        labels = [escape(str(label)) for label in (Action.ACCOUNT_LOCKED.label, Action.LOCK_LIFTED.label)]
        unlocked_by_admin = escape(gettext("by an Admin user"))
    for label, english in zip(labels, ["Login locked: too many failed logins", "Login lock lifted"], strict=True):
        assert label != english
        assert label in page
    assert unlocked_by_admin in _row_of_action(page, "lock_lifted")


def _row_of_action(page: str, action: str) -> str:
    return page.split(f'data-action="{action}"')[1].split("</tr>")[0]


def test_support_sees_the_lock_and_lifts_it_as_a_recorded_action(locked_bob, sam, sam_client, alice_client):
    listing = sam_client.get(SUPPORT_LIST)
    assert listing.status_code == 200
    assert mentions(listing.content.decode(), "bob")
    assert locked_bob.login_limit.unlock_digest not in listing.content.decode()
    stale_proof(sam_client)
    data = {"action": "lift_lock", "_selected_action": [locked_bob.pk]}
    asked = sam_client.post(SUPPORT_LIST, data)
    assert asked.status_code == 200 and 'data-testid="step-up"' in asked.content.decode()
    assert limits.is_locked(locked_bob.pk)
    fresh_proof(sam_client)
    assert sam_client.post(SUPPORT_LIST, data).status_code == 302
    assert not limits.is_locked(locked_bob.pk)
    entry = AuditEvent.objects.get(action=Action.LOCK_LIFTED_BY_SUPPORT)
    assert (entry.actor, entry.subject, entry.organization_id) == (sam, locked_bob, locked_bob.organization_id)
    told = OutboxMessage.objects.get(recipient=locked_bob, kind="lock_lifted")
    assert "The bank's support (Sam Tester, sam) unlocked the login" in told.body
    page = alice_client.get("/administration/activity/").content.decode()
    assert 'data-testid="bank-support"' in _row_of_action(page, "lock_lifted_support")


@pytest.mark.parametrize("who", ["alice_client", "bob_client", "charlie_client"])
def test_customers_cannot_see_or_lift_locks_in_the_support_admin(who, request, locked_bob):
    client = request.getfixturevalue(who)
    assert client.get(SUPPORT_LIST).status_code == 302
    client.post(SUPPORT_LIST, {"action": "lift_lock", "_selected_action": [locked_bob.pk]})
    assert limits.is_locked(locked_bob.pk)


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_user_is_told_in_their_language(locked_bob, alice_client, language):
    locked_bob.language = language
    locked_bob.save(update_fields=["language"])
    alice_client.post(unlock_url(locked_bob))
    told = OutboxMessage.objects.get(recipient=locked_bob, kind="lock_lifted")
    with translation.override(language):
        assert told.subject == gettext("Your e-finance login was unlocked") != "Your e-finance login was unlocked"
