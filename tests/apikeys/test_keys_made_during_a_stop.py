"""A key made while the emergency stop holds stays refused after «Resume» until another Admin user has
looked at it («Approve»): lifting the stop never brings to life what was made during the incident.

The attacker's view: whoever held an Admin user's session during the incident (the reason for the
stop) makes a key and waits for the stop to be lifted; the key must not start working by itself, and
the key it «replaced» must not stop. The decisions (Resume, Approve) ask for a fresh proof
(`tests/users/test_step_up.py::test_every_listed_action_does_nothing_without_a_fresh_proof`)."""

import datetime

import pytest

from apikeys.models import Api, ApiKey
from apikeys.policy.rules import apikeys_suspend
from apikeys.services import apikey_replace
from tests.apikeys.policy_cast import create_via_form, ping, set_policy
from tests.cast import today

SUSPEND, RESUME = "/administration/security-policy/suspend/", "/administration/security-policy/resume/"


def _approve(client, key):
    return client.post(f"/administration/api-keys/{key.key_id}/approve/")


@pytest.fixture
def stopped(alice, dora, dora_client):
    assert dora_client.post(SUSPEND, {"reason": "Phishing of an Admin user"}).status_code == 302
    return alice.organization


@pytest.mark.parametrize("api", [Api.INTEGRATION, Api.PRODUCTION])
def test_a_key_made_during_the_stop_stays_refused_after_resume(stopped, alice_client, dora_client, bob, api):
    response, token = create_via_form(alice_client, bob, api=api)
    assert response.status_code == 200 and token
    key = ApiKey.objects.get(note="ERP")
    assert ping(token, api=api).json()["reason"] == "suspended"
    assert alice_client.post(RESUME).status_code == 302  # another Admin user than the one who stopped
    refused = ping(token, api=api)
    assert (refused.status_code, refused.json()["reason"]) == (401, "pending_approval")
    assert _approve(alice_client, key).status_code in (302, 403)  # never by the one who made it
    assert ping(token, api=api).status_code == 401
    assert _approve(dora_client, key).status_code == 302  # the second look
    assert ping(token, api=api).status_code == 200


def test_a_key_made_before_the_stop_works_again_at_resume(alice, alice_client, dora_client, make_key, bob):
    _key, token = make_key(user=bob)
    dora_client.post(SUSPEND, {"reason": "Drill"})
    assert ping(token).status_code == 401
    alice_client.post(RESUME)
    assert ping(token).status_code == 200


def test_replace_during_the_stop_under_four_eyes_keeps_the_old_key_until_the_new_is_approved(
    alice, dora, alice_client, dora_client, make_key, bob
):
    set_policy(alice.organization, four_eyes=True)
    old, old_token = make_key(user=bob, api=Api.PRODUCTION, created_by=dora)
    ApiKey.objects.filter(pk=old.pk).update(approved_at=old.created_at, approved_by=alice)
    apikeys_suspend(organization=alice.organization, by=dora, reason="Leak")
    new, new_token = apikey_replace(
        key=ApiKey.objects.get(pk=old.pk),
        valid_until=today() + datetime.timedelta(days=90),
        overlap=datetime.timedelta(days=1),
        by=alice,
    )
    assert alice_client.post(RESUME).status_code == 302
    assert ping(old_token, api="production").status_code == 200  # production stays up
    assert ping(new_token, api="production").json()["reason"] == "pending_approval"
    assert _approve(dora_client, new).status_code == 302
    assert ping(new_token, api="production").status_code == 200
    old.refresh_from_db()
    assert old.ends_at is not None  # its overlap starts with the approval, not at the resume


def test_without_another_admin_user_the_key_waits_for_one(alice, alice_client, make_key, bob):
    apikeys_suspend(organization=alice.organization, by=alice, reason="Lost laptop")
    _response, token = create_via_form(alice_client, bob, api=Api.INTEGRATION)
    assert token
    key = ApiKey.objects.get(note="ERP")
    assert key.is_pending_approval
    assert _approve(alice_client, key).status_code in (302, 403)
    assert ping(token).status_code == 401
