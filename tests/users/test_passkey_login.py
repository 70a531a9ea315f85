"""The login's second step and the step-up with a passkey, from the attacker's side: the password alone,
an assertion of another user's passkey, a replayed assertion or challenge, a tampered signature, a
challenge of another session, a lapsed one, a counter that went back, the second step skipped by
opening a URL, a step-up skipped by posting the form directly; a refused assertion counts in the login
protection like a wrong code."""

import json

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from apikeys.models import SecurityPolicy
from audit.models import Action, AuditEvent
from tests.cast import PASSWORD, client_for
from tests.factors import stale_proof
from tests.passkeys import add_passkey, options_in
from users.factors import passkeys
from users.factors.models import Passkey, RecoveryCode

LOGIN, STEP = "/accounts/login/", "/accounts/login/code/"


def after_password(username="bob") -> tuple[Client, str]:
    """A client past the password of `username`, and the passkey options of its second step."""
    client = Client()
    assert client.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 302
    return client, options_in(client.get(STEP))


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def key(bob):
    return add_passkey(bob)


def test_a_passkey_logs_in_and_rotates_the_session(bob, key):
    client, options = after_password()
    before = client.session.session_key
    response = client.post(STEP, {"passkey": key.sign(options)})
    assert response.status_code == 302 and logged_in(client) and client.session.session_key != before
    passkey = Passkey.objects.get(user=bob)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=bob).exists()


def test_the_password_alone_opens_nothing(key):
    client, _options = after_password()
    for path in ("/accounts/security/", "/administration/", "/accounts/security/passkeys/new/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not logged_in(client)


def test_an_assertion_of_another_users_passkey_is_refused(alice, bob, key):
    alices = add_passkey(alice)
    client, options = after_password()
    assert client.post(STEP, {"passkey": alices.sign(options)}).status_code == 400
    assert not logged_in(client)


def test_a_replayed_assertion_is_refused(key):
    client, options = after_password()
    answer = key.sign(options)
    assert client.post(STEP, {"passkey": answer}).status_code == 302
    again, _options = after_password()  # a new login, a new challenge
    assert again.post(STEP, {"passkey": answer}).status_code == 400 and not logged_in(again)


def test_a_challenge_answers_once(key):
    client, options = after_password()
    wrong = json.loads(key.sign(options))
    wrong["response"]["signature"] = wrong["response"]["signature"][:-4] + "AAAA"
    assert client.post(STEP, {"passkey": json.dumps(wrong)}).status_code == 400
    # The same challenge, now signed right: refused, the wrong answer spent it.
    assert client.post(STEP, {"passkey": key.sign(options)}).status_code == 400
    assert not logged_in(client)


def test_a_tampered_signature_is_refused(key):
    client, options = after_password()
    answer = json.loads(key.sign(options))
    signature = bytearray(base64url_to_bytes(answer["response"]["signature"]))
    signature[-1] ^= 1
    answer["response"]["signature"] = bytes_to_base64url(bytes(signature))
    assert client.post(STEP, {"passkey": json.dumps(answer)}).status_code == 400
    assert not logged_in(client)


def test_a_tampered_client_data_is_refused(key):
    client, options = after_password()
    answer = json.loads(key.sign(options))
    data = json.loads(base64url_to_bytes(answer["response"]["clientDataJSON"]))
    data["origin"] = "http://testserver:8080"
    answer["response"]["clientDataJSON"] = bytes_to_base64url(json.dumps(data).encode())
    assert client.post(STEP, {"passkey": json.dumps(answer)}).status_code == 400


def test_a_challenge_of_another_session_is_refused(key):
    mine, _options = after_password()
    _theirs, their_options = after_password()
    assert mine.post(STEP, {"passkey": key.sign(their_options)}).status_code == 400
    assert not logged_in(mine)


def test_an_assertion_for_another_origin_is_refused(key):
    client, options = after_password()
    assert client.post(STEP, {"passkey": key.sign(options, origin="https://phish.example")}).status_code == 400


def test_a_lapsed_challenge_is_refused(key, settings):
    client, options = after_password()
    settings.PASSKEY_CHALLENGE_SECONDS = 0
    assert client.post(STEP, {"passkey": key.sign(options)}).status_code == 400


def test_a_counter_that_went_back_is_refused(key):
    client, options = after_password()
    assert client.post(STEP, {"passkey": key.sign(options, count=10)}).status_code == 302
    again, options = after_password()
    assert again.post(STEP, {"passkey": key.sign(options, count=7)}).status_code == 400  # a cloned key lags
    assert Passkey.objects.get().sign_count == 10


def test_an_authenticator_without_a_counter_works_each_time(bob):
    key = add_passkey(bob, counting=False)
    for _login in range(2):
        client, options = after_password()
        assert client.post(STEP, {"passkey": key.sign(options)}).status_code == 302


@pytest.mark.parametrize("answer", ["{}", "not json", '{"id": "x", "rawId": "y"}', "[1]", "x" * 30_000])
def test_garbage_is_a_clear_refusal_never_a_500(key, answer):
    client, _options = after_password()
    response = client.post(STEP, {"passkey": answer})
    assert response.status_code == 400 and "The passkey was not accepted" in response.content.decode()


@pytest.mark.usefixtures("address_limit_only")
def test_a_refused_assertion_counts_like_a_wrong_code_to_the_lockout(bob, key):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client, options = after_password()
        client.post(STEP, {"passkey": key.sign(options, origin="https://phish.example")})
    assert AuditEvent.objects.filter(action=Action.FACTOR_LOGIN_FAILED, subject=bob).count() == (
        settings.AXES_FAILURE_LIMIT - 1
    )
    client, options = after_password()
    last = client.post(STEP, {"passkey": key.sign(options, origin="https://phish.example")})
    assert last.status_code in (403, 429) and 'data-testid="lockout"' in last.content.decode()
    client = Client()
    client.post(LOGIN, {"username": "bob", "password": PASSWORD})
    assert not logged_in(client)


def test_no_answer_without_javascript_is_no_attempt(bob, key):
    client, _options = after_password()
    response = client.post(STEP, {"passkey": ""})
    assert response.status_code == 400 and "Passkeys need JavaScript" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.FACTOR_LOGIN_FAILED).exists()


def test_a_user_with_passkeys_only_can_use_a_recovery_code(bob, key):
    client, _options = after_password()
    page = client.get(STEP).content.decode()
    assert "Use a passkey" in page and "Recovery code" in page
    RecoveryCode.objects.filter(user=bob).delete()
    from users.factors.services import _recovery_codes_replace

    code = _recovery_codes_replace(bob)[0]
    assert client.post(STEP, {"code": code}).status_code == 302 and logged_in(client)


# --- Step-up ---------------------------------------------------------------------------------------

RECOVERY = "/accounts/security/recovery-codes/"
POLICY = "/administration/security-policy/"


def test_a_passkey_is_a_fresh_proof(bob, key):
    client = client_for(bob)
    stale_proof(client)
    options = options_in(client.post(RECOVERY))  # the question
    response = client.post(RECOVERY, {"step_up": "1", "passkey": key.sign(options)})
    assert response.status_code == 200 and 'data-testid="recovery-codes"' in response.content.decode()


def test_a_step_up_is_not_skipped_by_posting_a_passkey_answer_directly(bob, key):
    client = client_for(bob)
    stale_proof(client)
    # No question was asked: no challenge of the step-up in the session; a login's does not count either.
    _other, login_options = after_password()
    before = set(RecoveryCode.objects.filter(user=bob).values_list("digest", flat=True))
    response = client.post(RECOVERY, {"step_up": "1", "passkey": key.sign(login_options)})
    assert response.status_code == 400 and 'data-testid="recovery-codes"' not in response.content.decode()
    assert set(RecoveryCode.objects.filter(user=bob).values_list("digest", flat=True)) == before
    assert AuditEvent.objects.filter(action=Action.STEP_UP_FAILED, subject=bob).exists()


def test_a_login_challenge_is_no_step_up_challenge(bob, key):
    client, options = after_password()
    session = client.session
    session[passkeys.CHALLENGE]["purpose"] = passkeys.STEP_UP  # what the login asked, relabelled
    session.save()
    answer = key.sign(options)
    assert client.post(STEP, {"passkey": answer}).status_code == 400  # not a login challenge any more
    assert not logged_in(client)


def test_a_wrong_passkey_proof_changes_nothing_and_shows_no_codes(bob, key):
    client = client_for(bob)
    stale_proof(client)
    options = options_in(client.post(RECOVERY))
    before = set(RecoveryCode.objects.filter(user=bob).values_list("digest", flat=True))
    response = client.post(RECOVERY, {"step_up": "1", "passkey": key.sign(options, origin="https://phish.example")})
    assert response.status_code == 400 and "The passkey was not accepted" in response.content.decode()
    assert set(RecoveryCode.objects.filter(user=bob).values_list("digest", flat=True)) == before


def test_the_step_up_carries_the_form_along_with_a_passkey(alice, demo_ag):
    """A policy change: the filled form goes on after the passkey's proof."""
    key = add_passkey(alice)
    client = client_for(alice)
    stale_proof(client)
    form = {"max_validity_days": "90", "allowed_networks": ""}
    question = client.post(POLICY, form)
    assert question.status_code == 200 and 'name="max_validity_days" value="90"' in question.content.decode()
    assert SecurityPolicy.of(alice.organization_id).max_validity_days != 90  # nothing happened yet
    answer = client.post(POLICY, {**form, "step_up": "1", "passkey": key.sign(options_in(question))})
    assert answer.status_code == 302
    assert SecurityPolicy.of(alice.organization_id).max_validity_days == 90


def test_the_login_protections_record_holds_no_assertion(bob, key):
    client, options = after_password()
    answer = key.sign(options, origin="https://phish.example")
    client.post(STEP, {"passkey": answer})
    attempt = AccessAttempt.objects.get(username="bob")
    signature = json.loads(answer)["response"]["signature"]
    assert signature not in attempt.post_data and "passkey=********" in attempt.post_data
