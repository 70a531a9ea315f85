"""An Admin user who leaves (deactivated or moved away by the bank's support, or no longer an Admin user):
their requests that wait for a second Admin user lapse at once, nobody approves them by any path, and
the other Admin users are shown — by e-mail and in the band over the key list — every valid key whose
token that person saw, with «Replace» one click away."""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys import tokens
from apikeys.leavers import BAND_SHOWN, REASON_REQUESTER_LEFT, leavers_of, tokens_seen_by_leavers
from apikeys.models import ApiKey, Decision, SecurityPolicy
from apikeys.policy import rules as policy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import create_via_form, ping
from tests.cast import client_for, today
from tests.support_admin import approve_held, change_user
from users.mail import send_pending
from users.models import User

LIST = "/administration/api-keys/"


def approve_key(key) -> str:
    return f"/administration/api-keys/{key.key_id}/approve/"


def approve_change(change) -> str:
    return f"/administration/security-policy/changes/{change.pk}/approve/"


@pytest.fixture
def waiting_change(four_eyes, alice):
    """A weakening of the policy (four-eyes off) that alice asked for: it waits for dora's approval."""
    change = policy.policy_update(
        organization_id=alice.organization_id, by=alice, max_validity_days=None, four_eyes=False, allowed_networks=""
    )
    assert change is not None
    return change


@pytest.fixture
def seen(alice_client, bob, dora):
    """Keys alice made (she saw their tokens): one for bob, one for dora; and one dora made for bob."""
    for user in (bob, dora):
        assert create_via_form(alice_client, user, api="integration")[0].status_code == 200
    assert create_via_form(client_for(dora), bob, api="integration")[0].status_code == 200
    send_pending()
    mail.outbox.clear()
    return list(ApiKey.objects.filter(created_by__username="alice").order_by("key_id"))


def _mail_to(user, subject_part: str) -> list:
    send_pending()
    return [m for m in mail.outbox if m.to == [user.email] and subject_part in m.subject]


def _band(client) -> str:
    found = re.search(r'<div[^>]*data-testid="tokens-seen".*?</div>', client.get(LIST).content.decode(), re.S)
    return found[0] if found else ""


def test_a_pending_lapses_when_its_requester_is_deactivated(pending, sam_client, dora_client, alice, dora):
    key, token = pending
    change_user(sam_client, alice, is_active=None)
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoke_reason == REASON_REQUESTER_LEFT
    assert AuditEvent.objects.filter(action=Action.REQUEST_LAPSED, key_id=key.key_id, actor=None).exists()
    (notice,) = _mail_to(dora, "is no longer an Admin user")
    assert f"the production key {key.key_id} for bob (deleted)" in notice.body
    # dora's approval, posted anyway, changes nothing; the token never works.
    response = dora_client.post(approve_key(key), follow=True)
    assert "does not wait for approval" in response.content.decode()
    key.refresh_from_db()
    assert key.approved_at is None
    assert ping(token, "production").json()["reason"] == "deleted"
    assert "not approved: the requester left" in dora_client.get(LIST).content.decode()


def test_a_waiting_policy_change_lapses_when_its_requester_moves_away(
    waiting_change, sam_client, tina, dora_client, dora, alice, other_ag
):
    change_user(sam_client, alice, organization=other_ag.pk)
    approve_held(alice, by=tina)  # a move waits for a second bank employee
    waiting_change.refresh_from_db()
    assert waiting_change.decision == Decision.LAPSED and waiting_change.decided_by is None
    response = dora_client.post(approve_change(waiting_change), follow=True)
    assert "already been decided or has lapsed" in response.content.decode()
    assert SecurityPolicy.of(dora.organization_id).four_eyes is True
    assert "a change of the security policy" in _mail_to(dora, "is no longer an Admin user")[0].body


def test_withdrawing_the_admin_flag_lapses_the_requests_too(pending, waiting_change, sam_client, alice, dora):
    key, _token = pending
    change_user(sam_client, alice, is_org_admin=None)
    key.refresh_from_db()
    waiting_change.refresh_from_db()
    assert key.revoke_reason == REASON_REQUESTER_LEFT
    assert waiting_change.decision == Decision.LAPSED
    assert len(_mail_to(dora, "is no longer an Admin user")) == 1


@pytest.mark.parametrize("way", ["deactivated", "admin flag withdrawn", "moved"])
def test_no_path_approves_the_request_of_someone_who_left(
    pending, waiting_change, dora, dora_client, alice, other_ag, way
):
    """Taken out without the support admin (a shell, a bulk update), so nothing lapsed: nobody can
    approve the requests all the same, and the approval rows say that the requester left."""
    key, token = pending
    changes = {"deactivated": {"is_active": False}, "admin flag withdrawn": {"is_org_admin": False}}
    User.objects.filter(pk=alice.pk).update(**changes.get(way, {"organization": other_ag}))
    page = dora_client.get(LIST).content.decode()
    assert 'data-testid="requester-left"' in page and approve_key(key) not in page
    assert 'data-testid="requester-left"' in dora_client.get("/administration/security-policy/").content.decode()
    response = dora_client.post(approve_key(key), follow=True)
    assert "has left: the request cannot be approved" in response.content.decode()
    response = dora_client.post(approve_change(waiting_change), follow=True)
    assert "has left: the request cannot be approved" in response.content.decode()
    key.refresh_from_db()
    waiting_change.refresh_from_db()
    assert key.approved_at is None and waiting_change.decided_at is None
    assert ping(token, "production").json()["reason"] == "pending_approval"
    assert SecurityPolicy.of(dora.organization_id).four_eyes is True
    with pytest.raises(policy.NotAllowed):
        policy.apikey_approve(key=ApiKey.objects.get(pk=key.pk), by=dora)


def test_the_other_admins_are_mailed_every_key_whose_token_the_leaver_saw(seen, sam_client, alice, bob, dora):
    change_user(sam_client, alice, is_active=None)
    (notice,) = _mail_to(dora, "is no longer an Admin user")
    assert "Alice Tester (alice) is no longer an Admin user of Demo AG" in notice.subject
    for key in seen:
        if key.user_id == bob.pk:
            assert f"- {key.key_id} (Billing Solutions Customer Integration, bob): " in notice.body
            assert f"/administration/api-keys/{key.key_id}/replace/" in notice.body
    # dora's own key (made for her by alice) is listed too; the key dora made is not.
    assert sorted(re.findall(r"^- ([a-z2-7]{12}) ", notice.body, re.M)) == [key.key_id for key in seen]
    assert _mail_to(bob, "is no longer an Admin user") == []  # a standard user is not told
    assert _mail_to(alice, "is no longer an Admin user") == []


def test_the_band_shows_them_with_replace_until_each_is_replaced(seen, sam_client, tina, dora_client, alice, other_ag):
    change_user(sam_client, alice, organization=other_ag.pk)
    approve_held(alice, by=tina)
    band = _band(dora_client)
    assert "created by Alice Tester (alice), who has left" in band
    assert re.findall(r'data-key-id="([a-z2-7]{12})"', band) == [key.key_id for key in seen]
    first = seen[0]
    assert f'href="/administration/api-keys/{first.key_id}/replace/"' in band
    html = dora_client.get(f"/administration/api-keys/{first.key_id}/replace/").content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)[1]
    response = dora_client.post(
        f"/administration/api-keys/{first.key_id}/replace/",
        {"validity": "1y", "old_key_ends": "24h", "nonce": nonce, "scopes": first.scope_list},
    )
    assert response.status_code == 200
    assert re.findall(r'data-key-id="([a-z2-7]{12})"', _band(dora_client)) == [key.key_id for key in seen[1:]]


def test_the_leaver_and_another_organization_see_nothing_of_it(
    seen, sam_client, tina, alice, other_ag, charlie, charlie_client
):
    change_user(sam_client, alice, organization=other_ag.pk)
    approve_held(alice, by=tina, confirm_by=charlie)
    alice_now = client_for(alice)  # a user of Other AG now (a move never carries the Admin flag along)
    assert _band(alice_now) == "" and _band(charlie_client) == ""
    for key in seen:
        assert key.key_id not in alice_now.get(LIST).content.decode()


def test_an_admin_who_stays_shows_no_band(seen, dora_client):
    assert _band(dora_client) == ""


def _keys_made_by(creator, user, count: int) -> None:
    ApiKey.objects.bulk_create(
        ApiKey(
            key_id=tokens.new_key_id(),
            secret_hash=tokens.hash_secret(tokens.new_secret()),
            api="integration",
            organization_id=creator.organization_id,
            user=user,
            created_by=creator,
            valid_until=today() + datetime.timedelta(days=100),
        )
        for _number in range(count)
    )


def test_the_band_names_the_first_keys_and_counts_the_others(alice, bob, dora, dora_client):
    _keys_made_by(alice, bob, BAND_SHOWN + 3)
    _keys_made_by(dora, bob, 4)  # dora stays: not in the band
    User.objects.filter(pk=alice.pk).update(is_active=False)
    band = _band(dora_client)
    assert len(re.findall(r'data-key-id="([a-z2-7]{12})"', band)) == BAND_SHOWN
    assert "and 3 more keys" in band
    assert tokens_seen_by_leavers(alice.organization_id, shown=2)[1] == BAND_SHOWN + 3


def test_the_band_reads_the_same_queries_at_any_number_of_keys(alice, bob, dora):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    _keys_made_by(alice, bob, 1)
    with CaptureQueriesContext(connection) as few:
        assert tokens_seen_by_leavers(alice.organization_id)[1] == 1
    _keys_made_by(alice, bob, 30)
    _keys_made_by(dora, bob, 30)
    with CaptureQueriesContext(connection) as many:
        assert tokens_seen_by_leavers(alice.organization_id)[1] == 31
    assert len(few) == len(many) == 3
    assert leavers_of(alice.organization_id) == [alice.pk]
