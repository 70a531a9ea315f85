"""Step-up: the actions that matter ask for a fresh proof, keep the filled form, and do nothing
without it — from the attacker's side too (a stolen session posting the form directly, a wrong or
replayed proof, guessing towards the lockout)."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from apikeys.models import Api, ApiKey, PolicyChange, SecurityPolicy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import set_policy
from tests.cast import PASSWORD, make_user
from tests.factors import code_at, enrol, stale_proof
from users.factors.models import RecoveryCode, TOTPDevice

CREATE = "/administration/api-keys/new/"


def _create_data(client, user, api=Api.PRODUCTION):
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(CREATE).content.decode())[1]
    valid_until = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    return {
        "user": user.pk,
        "api": api,
        "scopes": ["documents:read", "documents:write"],
        "note": "ERP nightly",
        "valid_until": valid_until,
        "nonce": nonce,
    }


def _carried_all(response) -> list[tuple[str, str]]:
    page = response.content.decode()
    form = re.search(r'<form[^>]*data-testid="step-up".*?</form>', page, re.S)[0]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return [(name, value) for name, value in fields if name != "csrfmiddlewaretoken"]


def _carried(response) -> dict:
    """The carried fields as the client posts them again (a field given twice as a list)."""
    carried: dict = {}
    for name, value in _carried_all(response):
        carried.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in carried.items()}


def test_a_production_key_with_a_stale_proof_asks_for_the_password_and_creates_nothing(alice_client, bob):
    data = _create_data(alice_client, bob)
    stale_proof(alice_client)
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    assert 'data-testid="step-up"' in response.content.decode()
    assert 'name="step_up_password"' in response.content.decode()
    assert not ApiKey.objects.exists()
    assert 'id="token"' not in response.content.decode()
    carried = _carried_all(response)
    assert ("scopes", "documents:read") in carried and ("scopes", "documents:write") in carried
    assert {**dict(carried), "scopes": "x"} == {**{k: str(v) for k, v in data.items()}, "step_up": "1", "scopes": "x"}


def test_after_the_password_the_creation_goes_on_with_the_filled_form(alice_client, bob):
    data = _create_data(alice_client, bob)
    stale_proof(alice_client)
    carried = _carried(alice_client.post(CREATE, data))
    response = alice_client.post(CREATE, {**carried, "step_up_password": PASSWORD})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert (key.api, key.note, key.user) == (Api.PRODUCTION, "ERP nightly", bob)
    assert 'id="token"' in response.content.decode()
    # Fresh now: the next production key is not asked for again.
    assert alice_client.post(CREATE, _create_data(alice_client, bob)).status_code == 200
    assert ApiKey.objects.count() == 2


def test_with_a_factor_the_code_is_asked_and_the_action_goes_on(alice, alice_client, bob, totp_clock):
    secret, _codes = enrol(alice)
    data = _create_data(alice_client, bob)
    stale_proof(alice_client)
    response = alice_client.post(CREATE, data)
    assert 'name="code"' in response.content.decode() and "step_up_password" not in response.content.decode()
    response = alice_client.post(CREATE, {**_carried(response), "code": code_at(secret, totp_clock.now)})
    assert ApiKey.objects.filter(api=Api.PRODUCTION).count() == 1


def test_a_replayed_proof_does_not_pass_again(alice, alice_client, bob, totp_clock):
    secret, _codes = enrol(alice)
    stale_proof(alice_client)
    code = code_at(secret, totp_clock.now)
    first = {**_carried(alice_client.post(CREATE, _create_data(alice_client, bob))), "code": code}
    alice_client.post(CREATE, first)
    stale_proof(alice_client)
    again = {**_carried(alice_client.post(CREATE, _create_data(alice_client, bob))), "code": first["code"]}
    response = alice_client.post(CREATE, again)
    assert response.status_code == 400
    assert ApiKey.objects.count() == 1


def test_a_wrong_proof_changes_nothing_shows_no_token_and_counts(alice, alice_client, bob):
    data = _create_data(alice_client, bob)
    stale_proof(alice_client)
    carried = _carried(alice_client.post(CREATE, data))
    response = alice_client.post(CREATE, {**carried, "step_up_password": "wrong"})
    assert response.status_code == 400
    assert "The password is not correct." in response.content.decode()
    assert 'id="token"' not in response.content.decode()
    assert not ApiKey.objects.exists()
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 1
    assert "wrong" not in AccessAttempt.objects.get(username="alice").post_data.split("step_up_password=")[1][:8]
    entry = AuditEvent.objects.get(action=Action.STEP_UP_FAILED)
    assert entry.subject_id == alice.pk and entry.organization_id == alice.organization_id


def test_wrong_proofs_reach_the_lockout_and_end_the_session(alice, alice_client, bob):
    data = _create_data(alice_client, bob)
    stale_proof(alice_client)
    carried = _carried(alice_client.post(CREATE, data))
    statuses = [alice_client.post(CREATE, {**carried, "step_up_password": f"wrong-{n}"}).status_code for n in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    assert "_auth_user_id" not in alice_client.session
    assert alice_client.get("/administration/").status_code == 302
    assert not ApiKey.objects.exists()


def test_integration_keys_and_a_fresh_proof_are_not_asked(alice_client, bob):
    stale_proof(alice_client)
    alice_client.post(CREATE, _create_data(alice_client, bob, api=Api.INTEGRATION))
    assert ApiKey.objects.filter(api=Api.INTEGRATION).count() == 1


def test_the_proof_lasts_step_up_seconds(alice_client, bob, settings):
    settings.STEP_UP_SECONDS = 0
    response = alice_client.post(CREATE, _create_data(alice_client, bob))
    assert 'data-testid="step-up"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_proof_form_needs_the_csrf_token(alice, bob):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    stale_proof(client)
    data = {"user": bob.pk, "api": Api.PRODUCTION, "note": "x", "step_up": "1", "step_up_password": PASSWORD}
    assert client.post(CREATE, data).status_code == 403
    assert not ApiKey.objects.exists()


# Every action on the list: posted directly with a stale proof, it changes nothing.


@pytest.fixture
def dora(demo_ag):
    return make_user("dora", demo_ag, is_org_admin=True)


def _key(make_key, user, api, **extra):
    key, _token = make_key(user=user, api=api, **extra)
    return key


def _actions(alice, bob, dora, make_key):
    production = _key(make_key, bob, Api.PRODUCTION)
    pending = _key(make_key, bob, Api.PRODUCTION, created_by=dora)
    ApiKey.objects.filter(pk=pending.pk).update(approved_at=None)
    change = PolicyChange.objects.create(
        organization=alice.organization, requested_by=dora, values={"four_eyes": False, "max_validity_days": None}
    )
    return [
        ("replace", f"/administration/api-keys/{production.key_id}/replace/", {"overlap": "0"},
         lambda: production.replacements.exists()),
        ("approve key", f"/administration/api-keys/{pending.key_id}/approve/", {},
         lambda: AuditEvent.objects.filter(action=Action.KEY_APPROVED).exists()),
        ("reject key", f"/administration/api-keys/{pending.key_id}/reject/", {},
         lambda: AuditEvent.objects.filter(action=Action.KEY_REJECTED).exists()),
        ("approve change", f"/administration/security-policy/changes/{change.pk}/approve/", {},
         lambda: AuditEvent.objects.filter(action=Action.POLICY_APPROVED).exists()),
        ("reject change", f"/administration/security-policy/changes/{change.pk}/reject/", {},
         lambda: AuditEvent.objects.filter(action=Action.POLICY_REJECTED).exists()),
        ("widen networks", f"/administration/api-keys/{production.key_id}/networks/",
         {"allowed_networks": "10.0.0.0/8"}, lambda: AuditEvent.objects.filter(action=Action.KEY_NETWORKS).exists()),
        ("policy", "/administration/security-policy/", {"max_validity_days": "90", "allowed_networks": ""},
         lambda: SecurityPolicy.of(alice.organization_id).max_validity_days == 90),
        ("resume", "/administration/security-policy/resume/", {},
         lambda: AuditEvent.objects.filter(action=Action.KEYS_RESUMED).exists()),
        ("new recovery codes", "/accounts/security/recovery-codes/", {},
         lambda: AuditEvent.objects.filter(action=Action.RECOVERY_CODES_NEW).exists()),
        ("remove factor", "/accounts/security/authenticator/remove/", {},
         lambda: not TOTPDevice.objects.filter(user=alice).exists()),
        ("reset factor", f"/administration/users/{dora.pk}/reset-factor/", {},
         lambda: not TOTPDevice.objects.filter(user=dora).exists()),
    ]  # fmt: skip


def test_every_listed_action_does_nothing_without_a_fresh_proof(alice, alice_client, bob, dora, make_key):
    set_policy(alice.organization, four_eyes=True, allowed_networks="10.1.0.0/16")
    enrol(alice)
    enrol(dora)
    alice.organization.keys_suspended_at = timezone.now()
    alice.organization.keys_suspended_by = dora
    alice.organization.save()
    stale_proof(alice_client)
    for name, url, data, happened in _actions(alice, bob, dora, make_key):
        response = alice_client.post(url, data)
        assert response.status_code == 200, name
        assert 'data-testid="step-up"' in response.content.decode(), name
        assert not happened(), name
    assert RecoveryCode.objects.filter(user=alice).count() == 10


def test_narrowing_networks_is_not_asked(alice, alice_client, bob, make_key):
    key = _key(make_key, bob, Api.PRODUCTION)
    ApiKey.objects.filter(pk=key.pk).update(allowed_networks="10.0.0.0/8")
    stale_proof(alice_client)
    response = alice_client.post(
        f"/administration/api-keys/{key.key_id}/networks/", {"allowed_networks": "10.1.0.0/16"}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.allowed_networks == "10.1.0.0/16"


def test_an_outsider_gets_404_not_the_question(alice, charlie_client, bob, make_key):
    key = _key(make_key, bob, Api.PRODUCTION)
    stale_proof(charlie_client)
    for url in (f"/administration/api-keys/{key.key_id}/replace/", f"/administration/api-keys/{key.key_id}/approve/"):
        assert charlie_client.post(url).status_code == 404
