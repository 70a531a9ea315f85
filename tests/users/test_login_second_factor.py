"""The login's second step, from the attacker's side: a stolen password alone, a replayed code, another
user's code, the second step skipped by opening pages directly, wrong codes counting to the lockout."""

import logging

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD
from tests.factors import code_at, enrol, secret_of

LOGIN = "/accounts/login/"
FACTOR = "/accounts/login/code/"
IP = "203.0.113.7"


def _password(client, username="alice", password=PASSWORD, url=LOGIN, next_url=None):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(url, data, REMOTE_ADDR=IP)


def _code(client, code):
    return client.post(FACTOR, {"code": code}, REMOTE_ADDR=IP)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def alice_secret(alice, totp_clock):
    secret, _codes = enrol(alice)
    return secret


def test_the_password_alone_leads_to_the_second_step_not_in(alice, alice_secret):
    client = Client()
    response = _password(client)
    assert response.status_code == 302
    assert response["Location"] == FACTOR
    assert not _logged_in(client)
    page = client.get(FACTOR)
    assert page.status_code == 200
    assert "Second step of the login" in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/administration/",
        "/administration/api-keys/",
        "/administration/api-keys/new/",
        "/accounts/security/",
        "/accounts/security/authenticator/",
        "/support/",
    ],
)
def test_no_page_opens_with_a_half_logged_in_session(alice, alice_secret, url):
    client = Client()
    _password(client)
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not _logged_in(client)


def test_a_post_with_a_half_logged_in_session_changes_nothing(alice, alice_secret):
    client = Client()
    _password(client)
    response = client.post("/accounts/security/authenticator/remove/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert alice.totpdevice_set.filter(confirmed=True).exists()


def test_the_right_code_logs_in_and_rotates_the_session_key(alice, alice_secret, totp_clock):
    client = Client()
    _password(client, next_url="/administration/")
    half = client.cookies["sessionid"].value
    response = _code(client, code_at(alice_secret, totp_clock.now))
    assert response.status_code == 302
    assert response["Location"] == "/administration/"
    assert _logged_in(client)
    assert client.cookies["sessionid"].value != half
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=alice).count() == 1


def test_the_password_step_rotates_the_session_key_too(alice, alice_secret):
    client = Client()
    client.get(LOGIN)
    _password(client)
    before = client.cookies["sessionid"].value
    client.get(FACTOR)
    assert client.cookies["sessionid"].value == before
    anonymous = Client()
    anonymous.cookies["sessionid"] = "attacker-chosen"
    _password(anonymous)
    assert anonymous.cookies["sessionid"].value != "attacker-chosen"


def test_a_code_works_once(alice, alice_secret, totp_clock):
    code = code_at(alice_secret, totp_clock.now)
    first = Client()
    _password(first)
    assert _code(first, code).status_code == 302
    replay = Client()
    _password(replay)
    response = _code(replay, code)
    assert response.status_code == 400
    assert not _logged_in(replay)
    assert "This code is not valid." in response.content.decode()
    totp_clock.next_step()
    assert _code(replay, code_at(alice_secret, totp_clock.now)).status_code == 302
    assert _logged_in(replay)


def test_an_earlier_code_than_the_last_one_used_is_refused(alice, alice_secret, totp_clock):
    earlier = code_at(alice_secret, totp_clock.now - 30)  # still within the tolerance of one step
    client = Client()
    _password(client)
    assert _code(client, code_at(alice_secret, totp_clock.now)).status_code == 302
    other = Client()
    _password(other)
    assert _code(other, earlier).status_code == 400


def test_a_code_of_another_user_is_refused(alice, bob, alice_secret, totp_clock):
    enrol(bob)
    client = Client()
    _password(client, "bob")
    assert _code(client, code_at(alice_secret, totp_clock.now)).status_code == 400
    assert not _logged_in(client)


def test_an_old_code_is_refused(alice, alice_secret, totp_clock):
    client = Client()
    _password(client)
    assert _code(client, code_at(alice_secret, totp_clock.now - 90)).status_code == 400


def test_a_recovery_code_logs_in_once(alice, totp_clock):
    _secret, codes = enrol(alice)
    client = Client()
    _password(client)
    response = _code(client, codes[3].upper().replace("-", " "))  # as typed from paper
    assert response.status_code == 302
    assert _logged_in(client)
    entry = AuditEvent.objects.get(action=Action.RECOVERY_CODE_USED)
    assert entry.subject_id == alice.pk and entry.organization_id == alice.organization_id
    assert entry.details == {"kind": "recovery_code", "left": 9}
    again = Client()
    _password(again)
    assert _code(again, codes[3]).status_code == 400
    assert not _logged_in(again)


@pytest.mark.usefixtures("address_limit_only")
def test_wrong_codes_count_towards_the_lockout_like_wrong_passwords(alice, alice_secret, totp_clock):
    client = Client()
    for n in range(3):
        assert _password(client, password=f"wrong-{n}").status_code == 200
    _password(client)
    assert _code(client, "000000").status_code == 400
    response = _code(client, "111111")
    assert response.status_code == 429
    page = response.content.decode()
    assert "After 5 failed logins, logging in as «alice» from this address is blocked." in page
    # Blocked now, the password and even a right code.
    assert _password(client).status_code == 429
    fresh = Client()
    assert _password(fresh).status_code == 429
    assert not _logged_in(client) and not _logged_in(fresh)
    assert AuditEvent.objects.filter(action=Action.FACTOR_LOGIN_FAILED, subject=alice).count() == 2


@pytest.mark.usefixtures("address_limit_only")
def test_the_right_password_does_not_reset_the_count_of_wrong_codes(alice, alice_secret):
    client = Client()
    for _ in range(5):
        _password(client)  # right each time: without the second step it resets nothing
        last = _code(client, "999999")
    assert last.status_code == 429
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 5


@pytest.mark.usefixtures("address_limit_only")
def test_after_the_lockout_a_right_code_of_the_pending_session_is_refused(alice, alice_secret, totp_clock):
    client = Client()
    for n in range(4):
        _password(client, password=f"wrong-{n}")
    _password(client)  # right: the fifth try is the code
    locked = Client()
    _password(locked)  # still allowed: 4 failures
    assert _code(client, "123456").status_code == 429
    response = _code(locked, code_at(alice_secret, totp_clock.now))
    assert response.status_code == 429
    assert not _logged_in(locked)


def test_the_code_is_kept_nowhere_in_the_login_protection_or_the_logs(alice, alice_secret, caplog):
    caplog.set_level(logging.DEBUG)
    client = Client()
    _password(client)
    _code(client, "482915")
    attempt = AccessAttempt.objects.get(username="alice")
    assert "482915" not in attempt.post_data
    assert "code=********" in attempt.post_data
    assert "482915" not in caplog.text
    assert "482915" not in str(list(AuditEvent.objects.values()))


def test_the_second_step_without_the_password_leads_to_the_login():
    response = Client().get(FACTOR)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:login")
    assert Client().post(FACTOR, {"code": "123456"}).status_code == 302


def test_the_second_step_waits_five_minutes(alice, alice_secret, totp_clock, settings):
    settings.SECOND_FACTOR_LOGIN_SECONDS = 0
    client = Client()
    _password(client)
    response = _code(client, code_at(alice_secret, totp_clock.now))
    assert response.status_code == 302
    assert response["Location"] == reverse("users:login")
    assert not _logged_in(client)


def test_a_deactivated_user_cannot_finish_the_second_step(alice, alice_secret, totp_clock):
    client = Client()
    _password(client)
    alice.is_active = False
    alice.save()
    _code(client, code_at(alice_secret, totp_clock.now))
    assert not _logged_in(client)


def test_the_next_page_must_be_on_this_site(alice, alice_secret, totp_clock):
    client = Client()
    _password(client, next_url="https://evil.example/")
    response = _code(client, code_at(alice_secret, totp_clock.now))
    assert response["Location"] == "/"


def test_the_second_step_needs_the_csrf_token(alice, alice_secret, totp_clock):
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN)
    token = page.context["csrf_token"]
    client.post(LOGIN, {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token})
    response = client.post(FACTOR, {"code": code_at(alice_secret, totp_clock.now)})
    assert response.status_code == 403
    assert not _logged_in(client)


def test_a_user_without_a_factor_logs_in_with_the_password_alone(bob):
    client = Client()
    response = _password(client, "bob")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _logged_in(client)


def test_the_support_login_asks_for_the_second_factor_too(sam, totp_clock):
    from users.factors.models import TOTPDevice

    secret = secret_of(TOTPDevice.objects.get(user=sam))
    client = Client()
    response = _password(client, "sam", url="/support/login/")
    assert response["Location"] == FACTOR
    assert client.get("/support/").status_code == 302
    response = _code(client, code_at(secret, totp_clock.now))
    assert response["Location"] == "/support/"
    assert client.get("/support/").status_code == 200


def test_throttling_delays_the_next_try_after_a_wrong_code(alice, alice_secret, totp_clock, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600  # an hour: no test is that slow
    client = Client()
    _password(client)
    assert _code(client, "000000").status_code == 400
    assert _code(client, code_at(alice_secret, totp_clock.now)).status_code == 400
    assert not _logged_in(client)
