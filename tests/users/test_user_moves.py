"""A user who leaves their organization (moved, or deactivated) by support loses their valid keys for good,
in the transaction of the move: moving them back or reactivating them revives nothing."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from apikeys import services
from apikeys.models import ApiKey
from audit.models import REASON_USER_LEFT, Action, AuditEvent, Failure
from tests.support_admin import approve_held
from users.models import OutboxMessage, User

PING = "/api/billing/v1/ping"


def _form(user, organization, active=True, **extra):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "organization": organization.pk if organization else "",
        "date_joined_0": "01.01.2026",
        "date_joined_1": "10:00:00",
        **extra,
    }
    if active:
        data["is_active"] = "on"
    if user.is_org_admin and organization == user.organization:
        data["is_org_admin"] = "on"
    return data


def _change_user(client, user, organization, active=True):
    return client.post(reverse("admin:users_user_change", args=[user.pk]), _form(user, organization, active))


def _by_two(sam_client, tina, user, organization, active=True, confirm_by=None):
    """Support's change, then what it held approved by the second staff user tina (and confirmed by the
    organization's Admin user `confirm_by`, where it has one)."""
    response = _change_user(sam_client, user, organization, active)
    assert response.status_code == 302, response.content.decode()[:2000]
    approve_held(user, by=tina, confirm_by=confirm_by)
    return response


def _ping(token):
    return Client().get(PING, headers={"authorization": f"Bearer {token}"})


def test_support_moving_a_user_deletes_their_valid_keys_for_good(
    sam_client, sam, tina, alice, bob, other_ag, demo_ag, make_key
):
    first, _first_token = make_key(user=bob, api="production")
    second, token = make_key(user=bob, api="production")
    expired, _token = make_key(user=bob, valid_until=datetime.date(2025, 1, 31))
    _by_two(sam_client, tina, bob, other_ag)
    bob.refresh_from_db()
    assert bob.organization == other_ag
    for key in (first, second):
        key.refresh_from_db()
        assert (key.status, key.revoked_by, key.revoke_reason) == ("deleted", sam, REASON_USER_LEFT)
    expired.refresh_from_db()
    assert expired.revoked_at is None  # an expired key stays expired: its end state is final already
    # Moving the user back revives nothing.
    _by_two(sam_client, tina, bob, demo_ag, confirm_by=alice)
    assert bob.organization == demo_ag
    assert ApiKey.objects.filter(user=bob).valid().count() == 0
    answer = _ping(token)
    assert answer.status_code == 401
    assert answer.json()["reason"] == Failure.DELETED


def test_the_change_form_warns_which_keys_a_move_or_deactivation_deletes(sam_client, bob, alice_key):
    key, _token = alice_key
    page = sam_client.get(reverse("admin:users_user_change", args=[bob.pk])).content.decode()
    assert "deletes their valid API keys for good" in page
    assert key.key_id in page


def test_support_deactivating_a_user_deletes_their_keys_and_reactivating_revives_none(
    sam_client, sam, tina, alice, bob, demo_ag, make_key
):
    key, token = make_key(user=bob, api="production")
    assert _ping(token).status_code == 200
    assert _change_user(sam_client, bob, demo_ag, active=False).status_code == 302
    _by_two(sam_client, tina, bob, demo_ag, active=True, confirm_by=alice)
    bob.refresh_from_db()
    key.refresh_from_db()
    assert bob.is_active
    assert (key.status, key.revoked_by) == ("deleted", sam)
    answer = _ping(token)
    assert (answer.status_code, answer.json()["reason"]) == (401, Failure.DELETED)
    revoked = AuditEvent.objects.get(action=Action.KEY_REVOKED, key_id=key.key_id)
    assert (revoked.actor, revoked.organization, revoked.reason) == (sam, demo_ag, REASON_USER_LEFT)


def test_a_failure_in_the_middle_leaves_the_user_and_every_key_as_they_were(
    sam_client, bob, demo_ag, other_ag, make_key, monkeypatch
):
    keys = [make_key(user=bob)[0] for _ in range(3)]
    events, real_revoke = AuditEvent.objects.count(), services.apikey_revoke
    notices = OutboxMessage.objects.count()  # the keys' creation notices
    calls = []

    def revoke_then_fail(**kwargs):
        calls.append(kwargs["key"].key_id)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_revoke(**kwargs)

    monkeypatch.setattr(services, "apikey_revoke", revoke_then_fail)
    sam_client.raise_request_exception = False
    response = _change_user(sam_client, bob, other_ag, active=False)
    assert response.status_code == 500
    assert len(calls) == 2  # the first key was revoked, then it failed
    bob.refresh_from_db()
    assert (bob.organization, bob.is_active) == (demo_ag, True)
    assert ApiKey.objects.filter(pk__in=[k.pk for k in keys]).valid().count() == 3
    assert AuditEvent.objects.count() == events
    assert OutboxMessage.objects.count() == notices


def test_a_key_of_a_user_moved_behind_the_admins_back_is_refused(bob, other_ag, alice_key):
    _key, token = alice_key
    bob.organization = other_ag
    bob.save(update_fields=["organization"])  # a shell or a raw write, past the support admin
    result = ApiKey.objects.verify_token(token)
    assert result.failure == Failure.USER_INACTIVE


@pytest.mark.parametrize("leaving", ["moved", "deactivated"])
def test_only_the_leaving_users_keys_are_deleted(sam_client, tina, alice, bob, other_ag, demo_ag, make_key, leaving):
    mine, _token = make_key(user=bob)
    alices, _token = make_key(user=alice)
    if leaving == "moved":
        _by_two(sam_client, tina, bob, other_ag)
    else:
        _change_user(sam_client, bob, demo_ag, active=False)
    assert User.objects.get(pk=bob.pk).api_keys.valid().count() == 0
    assert ApiKey.objects.valid().filter(pk=alices.pk).exists()
    mine.refresh_from_db()
    assert mine.status == "deleted"


def test_the_move_and_the_deleted_keys_are_logged_by_key_id(sam_client, tina, bob, other_ag, alice_key, caplog):
    key, token = alice_key
    with caplog.at_level("INFO"):
        _by_two(sam_client, tina, bob, other_ag)
    events = {getattr(record, "event", None): record for record in caplog.records}
    assert events["apikey.revoked_by_support"].key_id == key.key_id
    changed = events["user.changed_by_staff"]
    assert (changed.user, changed.by, changed.changes) == ("bob", "sam", "user_moved_out,user_moved_in")
    assert token not in caplog.text
