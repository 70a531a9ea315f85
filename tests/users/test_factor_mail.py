"""The user is told by e-mail when a factor is added or removed and when a recovery code is used —
never with a code or a key in it."""

from django.test import Client

from tests.cast import PASSWORD, mentions
from tests.factors import code_at, enrol, secret_of
from users.factors.models import TOTPDevice
from users.models import OutboxMessage

ENROL = "/accounts/security/authenticator/"


def mails(user, kind):
    return list(OutboxMessage.objects.filter(recipient=user, kind=kind))


def test_enrolling_an_app_is_told_without_its_key(bob, bob_client, totp_clock):
    bob_client.get(ENROL)
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    secret = secret_of(device)
    code = code_at(secret, totp_clock.now)
    bob_client.post(ENROL, {"code": code})
    (message,) = mails(bob, "factor_added")
    assert "Authenticator app" in message.body and mentions(message.body, "bob")
    for text in (message.subject, message.body, message.html):
        assert secret not in text and secret.lower() not in text and code not in text


def test_a_failed_enrolment_is_not_told(bob, bob_client):
    bob_client.get(ENROL)
    bob_client.post(ENROL, {"code": "000000"})
    assert mails(bob, "factor_added") == []


def test_removing_the_app_is_told(bob, bob_client):
    enrol(bob)
    bob_client.post("/accounts/security/authenticator/remove/")
    (message,) = mails(bob, "factor_removed")
    assert "was removed" in message.body


def test_a_recovery_code_used_at_the_login_is_told_without_the_code(alice):
    _secret, codes = enrol(alice)
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/login/code/", {"code": codes[0]})
    (message,) = mails(alice, "recovery_code_used")
    assert "9 are left" in message.body
    for code in codes:
        assert code not in message.body and code not in message.html and code.replace("-", "") not in message.body


def test_a_wrong_recovery_code_is_not_told(alice):
    enrol(alice)
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/login/code/", {"code": "aaaaa-bbbbb"})
    assert mails(alice, "recovery_code_used") == []


def test_the_mails_are_in_the_users_language(bob, bob_client):
    bob.language = "de"
    bob.save()
    enrol(bob)
    bob_client.post("/accounts/security/authenticator/remove/")
    (message,) = mails(bob, "factor_removed")
    assert "Guten Tag" in message.body
