"""«Security»: enrol an authenticator app, recovery codes shown once and stored as hashes, removal."""

import re

import pytest
from cryptography.fernet import InvalidToken
from django.db import connection
from django.test import Client

from audit.models import Action, AuditEvent
from tests.factors import code_at, enrol, secret_of
from users.factors.models import RecoveryCode, TOTPDevice

SECURITY = "/accounts/security/"
ENROL = "/accounts/security/authenticator/"
REMOVE = "/accounts/security/authenticator/remove/"
RENEW = "/accounts/security/recovery-codes/"


def _codes(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode())


def test_the_header_links_to_security(bob_client):
    page = bob_client.get("/").content.decode()
    assert 'href="/accounts/security/" data-testid="nav-security"' in page


def test_security_needs_a_login():
    for url in (SECURITY, ENROL):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_enrolment_shows_a_qr_code_as_inline_svg_and_the_key_as_text(bob_client):
    response = bob_client.get(ENROL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and "data:" not in page and "<img" not in page
    device = TOTPDevice.objects.get(user__username="bob")
    assert not device.confirmed
    secret = secret_of(device)
    shown = re.search(r'data-testid="totp-secret"', page) and re.search(r'value="([A-Z2-7 ]+)"', page).group(1)
    assert shown.replace(" ", "") == secret.rstrip("=")
    assert "no-store" in response["Cache-Control"]


def test_a_current_code_confirms_and_the_first_enrolment_shows_ten_recovery_codes_once(bob, bob_client, totp_clock):
    bob_client.get(ENROL)
    secret = secret_of(TOTPDevice.objects.get(user=bob))
    response = bob_client.post(ENROL, {"code": code_at(secret, totp_clock.now)})
    assert response.status_code == 200
    codes = _codes(response)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in response["Cache-Control"]
    assert TOTPDevice.objects.get(user=bob).confirmed
    entry = AuditEvent.objects.get(action=Action.FACTOR_ADDED)
    assert (entry.actor, entry.subject_id, entry.details) == (bob, bob.pk, {"kind": "totp"})
    # Not shown again: the page only counts them.
    page = bob_client.get(SECURITY).content.decode()
    assert "10 recovery codes left" in page
    assert not any(code in page for code in codes)


def test_recovery_codes_are_stored_only_as_hashes(bob, bob_client, totp_clock):
    bob_client.get(ENROL)
    secret = secret_of(TOTPDevice.objects.get(user=bob))
    codes = _codes(bob_client.post(ENROL, {"code": code_at(secret, totp_clock.now)}))
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest FROM users_recoverycode")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert RecoveryCode.objects.filter(user=bob).count() == 10
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored


def test_the_totp_key_is_stored_encrypted(bob, bob_client):
    bob_client.get(ENROL)
    device = TOTPDevice.objects.get(user=bob)
    secret = secret_of(device)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM users_totpdevice")
        row = " ".join(str(value) for value in cursor.fetchone())
    key_hex = __import__("base64").b32decode(secret).hex()
    assert secret.rstrip("=") not in row and key_hex not in row


def test_the_key_cannot_be_read_with_another_encryption_key(bob, bob_client, settings):
    bob_client.get(ENROL)
    device = TOTPDevice.objects.get(user=bob)
    settings.OTP_ENCRYPTION_KEY = "another-key-entirely"
    with pytest.raises(InvalidToken):
        secret_of(device)


def test_a_wrong_code_confirms_nothing(bob, bob_client, totp_clock):
    bob_client.get(ENROL)
    response = bob_client.post(ENROL, {"code": "000000"})
    assert response.status_code == 400
    assert "This code is not valid." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=bob, confirmed=True).exists()
    assert not RecoveryCode.objects.filter(user=bob).exists()


def test_another_users_pending_key_cannot_be_confirmed(alice, bob, bob_client, alice_client, totp_clock):
    alice_client.get(ENROL)
    alice_secret = secret_of(TOTPDevice.objects.get(user=alice))
    bob_client.get(ENROL)
    response = bob_client.post(ENROL, {"code": code_at(alice_secret, totp_clock.now)})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(bob, bob_client, totp_clock):
    _secret, old = enrol(bob)
    response = bob_client.post(RENEW)
    new = _codes(response)
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=bob).count() == 10
    assert AuditEvent.objects.filter(action=Action.RECOVERY_CODES_NEW, subject=bob).count() == 1
    from users.factors.services import second_factor_check

    assert second_factor_check(user=bob, code=old[0], ip=None) is None
    assert second_factor_check(user=bob, code=new[0], ip=None) == "recovery_code"


def test_recovery_codes_need_a_factor(bob, bob_client):
    response = bob_client.post(RENEW)
    assert response.status_code == 302
    assert not RecoveryCode.objects.filter(user=bob).exists()


def test_security_actions_are_post_only(bob_client):
    assert bob_client.get(REMOVE).status_code == 405
    assert bob_client.get(RENEW).status_code == 405


def test_removing_the_app_removes_the_recovery_codes_too(bob, bob_client):
    enrol(bob)
    response = bob_client.post(REMOVE)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=bob).exists()
    assert not RecoveryCode.objects.filter(user=bob).exists()
    entry = AuditEvent.objects.get(action=Action.FACTOR_REMOVED)
    assert entry.subject_id == bob.pk and entry.details == {"kind": "totp"}


def test_one_user_cannot_remove_anothers_factor(alice, bob_client):
    enrol(alice)
    bob_client.post(REMOVE)
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_the_forms_need_the_csrf_token(bob):
    enrol(bob)
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(REMOVE).status_code == 403
    assert client.post(RENEW).status_code == 403
    assert TOTPDevice.objects.filter(user=bob, confirmed=True).exists()


def test_moving_to_another_app_keeps_the_old_one_until_the_new_one_is_confirmed(bob, bob_client, totp_clock):
    enrol(bob)
    bob_client.get(ENROL)
    assert TOTPDevice.objects.filter(user=bob, confirmed=True).count() == 1
    new = TOTPDevice.objects.get(user=bob, confirmed=False)
    totp_clock.next_step()
    response = bob_client.post(ENROL, {"code": code_at(secret_of(new), totp_clock.now)})
    assert response.status_code == 302  # no new recovery codes: the old ones stay
    assert list(TOTPDevice.objects.filter(user=bob).values_list("pk", flat=True)) == [new.pk]
    assert RecoveryCode.objects.filter(user=bob).count() == 10


def test_activity_names_the_kind_of_factor(alice, alice_client):
    alice_client.post(ENROL)  # no pending app: a new one, nothing confirmed
    enrol(alice)
    alice_client.post(REMOVE)
    page = alice_client.get("/administration/activity/").content.decode()
    assert "Second factor removed" in page
    assert "Authenticator app" in page
