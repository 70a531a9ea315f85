"""The link of the e-mail «Your login is locked» (users.limits, users.views.unlock) from the attacker's
side: it lifts the lock once, for its user only, until it ends; tampered, replayed, another user's or
ended links are refused; the token is in no record, log line or sent outbox text."""

import logging

import pytest
from django.core import mail
from django.test import Client

from audit.models import Action, AuditEvent
from efinance.lib.logging import redact_links
from tests.cast import PASSWORD
from tests.logins import attempt, lock_account, logged_in, unlock_link, unlock_path
from users import limits
from users.mail import FORGOTTEN, send_pending
from users.models import LoginLimit, OutboxMessage

UNLOCK = "/accounts/unlock/"


@pytest.fixture
def locked_alice(alice):
    lock_account(alice)
    return alice


def _use(client, uidb64, token):
    """Open the link, then click «Unlock my login»."""
    opened = client.get(unlock_path(uidb64, token))
    assert opened.status_code == 302
    assert opened["Location"] == UNLOCK  # the token leaves the address bar and the Referer
    return client.post(UNLOCK)


def test_the_lock_sends_the_user_a_link_that_lifts_it_once(locked_alice):
    message = OutboxMessage.objects.get(recipient=locked_alice, kind="account_locked")
    assert message.to == "alice@demo.example"
    assert "After 10 failed login attempts" in message.body
    uidb64, token = unlock_link(locked_alice)
    client = Client()
    page = client.get(unlock_path(uidb64, token), follow=True)
    assert page.status_code == 200
    assert "«alice» is locked" in page.content.decode()
    assert limits.is_locked(locked_alice.pk)  # opening the link lifts nothing (a mail scanner follows links)
    done = client.post(UNLOCK)
    assert done.status_code == 200
    assert 'data-testid="unlocked"' in done.content.decode()
    assert not LoginLimit.objects.filter(user=locked_alice).exists()
    entry = AuditEvent.objects.get(action=Action.LOCK_LIFTED)
    assert (entry.actor, entry.subject, entry.details) == (locked_alice, locked_alice, {"via": "email"})
    assert entry.organization_id == locked_alice.organization_id
    assert not OutboxMessage.objects.filter(kind="lock_lifted").exists()  # she did it herself
    # Lifted: the login asks for the password (and the second factor of a user who has one) as before.
    fresh = Client()
    assert attempt(fresh, "alice", "wrong", 1).status_code == 200
    assert not logged_in(fresh)
    assert attempt(fresh, "alice", PASSWORD, 2).status_code == 302
    assert logged_in(fresh)


def test_a_replayed_link_is_refused(locked_alice):
    uidb64, token = unlock_link(locked_alice)
    assert _use(Client(), uidb64, token).status_code == 200
    lock_account(locked_alice)  # locked again
    replayed = _use(Client(), uidb64, token)
    assert replayed.status_code == 400
    assert 'data-testid="unlock-invalid"' in replayed.content.decode()
    assert limits.is_locked(locked_alice.pk)
    assert AuditEvent.objects.filter(action=Action.LOCK_LIFTED).count() == 1


def test_a_second_click_on_the_same_page_is_refused(locked_alice):
    uidb64, token = unlock_link(locked_alice)
    client = Client()
    assert _use(client, uidb64, token).status_code == 200
    assert client.post(UNLOCK).status_code == 400


def test_a_tampered_link_is_refused(locked_alice):
    uidb64, token = unlock_link(locked_alice)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (flipped, token[:-1], token + "x", "x" * 43, "a" * 5000):
        assert _use(Client(), uidb64, bad).status_code == 400
    assert _use(Client(), "not-base64!", token).status_code in (400, 404)
    assert limits.is_locked(locked_alice.pk)


def test_a_link_is_not_valid_for_another_user(locked_alice, bob):
    lock_account(bob)
    alice_uid, alice_token = unlock_link(locked_alice)
    bob_uid, bob_token = unlock_link(bob)
    assert _use(Client(), bob_uid, alice_token).status_code == 400
    assert _use(Client(), alice_uid, bob_token).status_code == 400
    assert limits.is_locked(locked_alice.pk) and limits.is_locked(bob.pk)


def test_an_ended_link_is_refused_and_a_login_attempt_sends_a_new_one_once(locked_alice, clock):
    uidb64, token = unlock_link(locked_alice)
    clock.move(hours=24, seconds=1)
    assert _use(Client(), uidb64, token).status_code == 400
    assert limits.is_locked(locked_alice.pk)
    for n in range(3):  # whoever tries to log in: one new link per validity, not one per attempt
        attempt(Client(), "alice", PASSWORD, n)
    assert OutboxMessage.objects.filter(recipient=locked_alice, kind="account_locked").count() == 2
    new_uid, new_token = unlock_link(locked_alice)
    assert new_token != token
    assert _use(Client(), new_uid, new_token).status_code == 200


def test_a_deactivated_users_link_does_not_work(locked_alice):
    uidb64, token = unlock_link(locked_alice)
    locked_alice.is_active = False
    locked_alice.save(update_fields=["is_active"])
    assert _use(Client(), uidb64, token).status_code == 400


def test_the_unlock_needs_the_csrf_token(locked_alice):
    uidb64, token = unlock_link(locked_alice)
    client = Client(enforce_csrf_checks=True)
    client.get(unlock_path(uidb64, token))
    assert client.post(UNLOCK).status_code == 403
    assert limits.is_locked(locked_alice.pk)


def test_without_a_link_the_page_says_it_does_not_work(db):
    response = Client().get(UNLOCK)
    assert response.status_code == 400
    assert 'data-testid="unlock-invalid"' in response.content.decode()
    assert Client().post(UNLOCK).status_code == 400


def test_the_token_is_in_no_record_log_line_or_sent_text(alice, caplog, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    caplog.set_level(logging.DEBUG)
    lock_account(alice)
    uidb64, token = unlock_link(alice)
    assert token not in LoginLimit.objects.get(user=alice).unlock_digest
    _use(Client(), uidb64, token)
    assert send_pending() == (1, 0)
    assert token in mail.outbox[0].body  # the e-mail has it, and nothing else keeps it
    message = OutboxMessage.objects.get(kind="account_locked")
    assert (message.body, message.html) == (FORGOTTEN, "")
    assert token not in str(list(AuditEvent.objects.values()))
    assert token not in caplog.text
    access_line = f'"GET {unlock_path(uidb64, token)} HTTP/1.1" 302 0'
    assert token not in redact_links(access_line)
    assert uidb64 in redact_links(access_line)


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_email_and_the_page_speak_the_users_language(alice, language):
    alice.language = language
    alice.save(update_fields=["language"])
    lock_account(alice)
    message = OutboxMessage.objects.get(kind="account_locked")
    assert "Your e-finance login is locked" not in message.subject
    assert "failed login attempts" not in message.body
    uidb64, token = unlock_link(alice)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    page = client.get(unlock_path(uidb64, token), follow=True).content.decode()
    assert "Unlock my login" not in page
    assert f'lang="{language}"' in page
