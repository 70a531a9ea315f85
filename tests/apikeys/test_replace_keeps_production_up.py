"""«Replace» never takes production down, seen from the integrator's side: the old token answers 200
through every path (replace and approve, reject, lapse, delete the successor; «Immediately» without
four-eyes) until the moment it should stop, and 401 from then on. The clock is moved, never waited for."""

import datetime
import io
import re

import pytest
from django.core.management import call_command

from apikeys.models import APPROVAL_WINDOW, Api, ApiKey, end_of_validity
from tests.apikeys.key_list import text_of
from tests.apikeys.policy_cast import ping, set_policy
from tests.cast import client_for, today

LIST = "/administration/api-keys/"
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def old(make_key, bob):
    """A production key that works, made before four-eyes is turned on."""
    return make_key(user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today() + datetime.timedelta(days=100))


@pytest.fixture
def four_eyes(old, alice, dora):
    return set_policy(alice.organization, four_eyes=True)


def replace(admin, key, old_key_ends="24h") -> tuple[ApiKey, str]:
    """Post «Replace» as `admin` (a fresh session at the clock's time); answer the new key and token."""
    client = client_for(admin)
    html = client.get(f"/administration/api-keys/{key.key_id}/replace/").content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)[1]
    response = client.post(
        f"/administration/api-keys/{key.key_id}/replace/",
        {"validity": "1y", "old_key_ends": old_key_ends, "nonce": nonce, "scopes": key.scope_list},
    )
    assert response.status_code == 200, response.content.decode()
    token = re.search(r'id="token"[^>]*>([^<]+)</textarea>', response.content.decode())[1]
    return ApiKey.objects.get(replaces=key, revoked_at__isnull=True), token


def decide(admin, key, decision: str) -> None:
    response = client_for(admin).post(f"/administration/api-keys/{key.key_id}/{decision}/", {"reason": "Not this one."})
    assert response.status_code == 302


def answers(token) -> int:
    return ping(token, "production").status_code


def row(html: str, key_id: str) -> str:
    """The row of the key `key_id`."""
    return re.search(rf'<tr id="key-{key_id}".*?</tr>', html, re.S)[0]


def test_approved_the_overlap_starts_at_the_approval_not_before(old, four_eyes, alice, dora, clock):
    key, old_token = old
    new, new_token = replace(alice, key)
    assert (answers(old_token), answers(new_token)) == (200, 401)  # the new key waits for dora
    clock.move(days=3)  # far beyond the 24 hours chosen: the old key still works, alone
    assert (answers(old_token), answers(new_token)) == (200, 401)
    decide(dora, new, "approve")
    approved_at = clock.now
    assert (answers(old_token), answers(new_token)) == (200, 200)
    clock.set(approved_at.replace(microsecond=0) + datetime.timedelta(hours=24) - SECOND)
    assert answers(old_token) == 200
    clock.move(seconds=1)
    assert answers(old_token) == 401
    assert ping(old_token, "production").json()["reason"] == "replaced"
    assert answers(new_token) == 200


def test_rejected_the_old_key_works_to_its_own_end_and_can_be_replaced_again(old, four_eyes, alice, dora, clock):
    key, old_token = old
    new, _new_token = replace(alice, key)
    clock.move(hours=30)
    decide(dora, new, "reject")
    key.refresh_from_db()
    assert key.ends_at is None
    html = client_for(alice).get(LIST).content.decode()
    works_on = f"Replacement {new.key_id} rejected: works on until {key.valid_until:%d.%m.%Y}"
    assert works_on in text_of(row(html, key.key_id))
    assert f"/administration/api-keys/{key.key_id}/replace/" in row(html, key.key_id)  # offered again
    clock.set(end_of_validity(key.valid_until) - SECOND)
    assert answers(old_token) == 200
    clock.move(seconds=1)
    assert ping(old_token, "production").json()["reason"] == "expired"


def test_lapsed_the_old_key_works_on(old, four_eyes, alice, clock):
    key, old_token = old
    new, _new_token = replace(alice, key, "7d")
    clock.move(seconds=int((APPROVAL_WINDOW + datetime.timedelta(minutes=1)).total_seconds()))
    assert answers(old_token) == 200
    call_command("delete_unapproved_keys", stdout=io.StringIO())
    new.refresh_from_db()
    key.refresh_from_db()
    assert new.revoked_at is not None and key.ends_at is None
    assert answers(old_token) == 200
    html = client_for(alice).get(LIST).content.decode()
    assert f"Replacement {new.key_id} not approved in time" in text_of(row(html, key.key_id))
    # Replaced again: a second successor, since the first is deleted (stored at the database's time).
    clock.back()
    again, again_token = replace(alice, key)
    assert again.pk != new.pk and answers(old_token) == 200 and answers(again_token) == 401


@pytest.mark.parametrize("approved", [False, True], ids=["waiting", "approved"])
def test_a_deleted_successor_leaves_the_old_key_working(old, four_eyes, alice, dora, clock, approved):
    key, old_token = old
    new, new_token = replace(alice, key)
    if approved:
        decide(dora, new, "approve")
        clock.move(hours=23)
    page = client_for(dora).get(f"/administration/api-keys/{new.key_id}/delete/").content.decode()
    assert f"This key replaces the key {key.key_id}" in page
    assert f"{key.key_id} keeps working until {key.valid_until:%d.%m.%Y}" in page
    decide(dora, new, "delete")
    assert answers(new_token) == 401
    clock.move(hours=2)  # past the end the approval had set
    assert answers(old_token) == 200
    html = client_for(alice).get(LIST).content.decode()
    assert f"Replacement {new.key_id} deleted: works on until" in text_of(row(html, key.key_id))


def test_without_four_eyes_a_deleted_successor_cancels_the_overlap(old, alice, clock):
    key, old_token = old
    new, _new_token = replace(alice, key, "7d")
    clock.move(days=6)
    decide(alice, new, "delete")
    clock.move(days=2)
    assert answers(old_token) == 200


def test_immediately_without_four_eyes_switches_in_the_same_moment(old, alice):
    key, old_token = old
    assert answers(old_token) == 200
    _new, new_token = replace(alice, key, "now")
    assert (answers(old_token), answers(new_token)) == (401, 200)


def test_deleting_a_successor_after_the_old_key_stopped_revives_nothing(old, alice, clock):
    key, old_token = old
    new, _new_token = replace(alice, key, "24h")
    clock.move(hours=25)
    page = client_for(alice).get(f"/administration/api-keys/{new.key_id}/delete/").content.decode()
    assert "This key replaces the key" not in page
    decide(alice, new, "delete")
    assert answers(old_token) == 401


def test_the_emergency_stop_refuses_both_and_the_overlap_still_follows_the_approval(old, four_eyes, alice, dora, clock):
    from apikeys.policy import rules

    key, old_token = old
    new, new_token = replace(alice, key)
    rules.apikeys_suspend(organization=alice.organization, by=alice, reason="drill")
    assert (answers(old_token), answers(new_token)) == (401, 401)
    clock.move(days=2)
    decide(dora, new, "approve")
    approved_at = clock.now
    rules.apikeys_resume(organization=alice.organization, by=dora)
    assert (answers(old_token), answers(new_token)) == (200, 200)
    clock.set(approved_at.replace(microsecond=0) + datetime.timedelta(hours=24))
    assert answers(old_token) == 401


def test_the_new_key_keeps_the_old_keys_networks(make_key, bob, alice, dora, clock):
    key, old_token = make_key(user=bob, api=Api.PRODUCTION, allowed_networks="192.0.2.0/24")
    set_policy(alice.organization, four_eyes=True)
    new, new_token = replace(alice, key)
    decide(dora, new, "approve")
    inside, outside = {"REMOTE_ADDR": "192.0.2.7"}, {"REMOTE_ADDR": "198.51.100.7"}
    assert ping(old_token, "production", **inside).status_code == 200
    assert ping(new_token, "production", **inside).status_code == 200
    assert ping(new_token, "production", **outside).status_code == 403
    clock.move(hours=24)
    assert ping(old_token, "production", **inside).status_code == 401


def test_a_successor_revoked_by_support_or_reported_as_exposed_leaves_the_old_key_working(
    make_key, bob, alice, sam, clock
):
    from apikeys import services
    from audit.models import ExposureSource

    first, first_token = make_key(user=bob, api=Api.PRODUCTION)
    second, second_token = make_key(user=bob, api=Api.PRODUCTION)
    by_support, _token = replace(alice, first, "24h")
    _exposed, exposed_token = replace(alice, second, "24h")
    services.apikey_revoke(key=by_support, by=sam, reason="Compromised")
    assert services.apikeys_revoke_exposed(credentials=[exposed_token], source=ExposureSource.REPORT).revoked
    clock.move(days=2)
    assert (answers(first_token), answers(second_token)) == (200, 200)
