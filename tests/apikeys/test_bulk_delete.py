"""«Delete selected» on the key list: a confirmation that names every chosen key (production apart),
then one transaction that deletes exactly those, each as a single deletion would (its «Activity» entry,
effective on the next request). From the attacker's side: another organization's key IDs, a standard
user, a missing CSRF token, a replayed confirmation."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from apikeys.models import Api, ApiKey
from apikeys.policy.rules import apikeys_suspend
from apikeys.services import apikey_replace
from audit.models import Action, AuditEvent
from tests.apikeys.key_list import URL
from tests.apikeys.policy_cast import ping, set_policy
from tests.cast import client_for

BULK = "/administration/api-keys/delete-selected/"


def choose(client, *keys, confirm=False):
    data = {"key": [key.key_id for key in keys]}
    if confirm:
        data["confirm"] = "1"
    return client.post(BULK, data)


def deleted_ids() -> set[str]:
    return set(ApiKey.objects.filter(revoked_at__isnull=False).values_list("key_id", flat=True))


@pytest.fixture
def three(make_key, bob):
    """Two test keys and a production key of bob's, each with its token."""
    return [
        make_key(user=bob, note="ERP one"),
        make_key(user=bob, note="ERP two"),
        make_key(user=bob, api=Api.PRODUCTION, note="ERP live"),
    ]


def test_every_valid_row_has_a_checkbox_of_the_bulk_form(alice_client, three):
    html = alice_client.get(URL).content.decode()
    assert 'id="bulk-delete"' in html
    box = r'<input type="checkbox" class="select" name="key" value="([a-z2-7]{12})" form="bulk-delete"'
    boxes = re.findall(box, html)
    assert sorted(boxes) == sorted(key.key_id for key, _token in three)


def test_the_confirmation_names_each_key_with_production_apart_and_deletes_nothing(alice_client, three):
    (one, _), (_two, _), (live, _) = three
    response = choose(alice_client, one, live)
    assert response.status_code == 200
    html = response.content.decode()
    production = re.search(r'data-testid="bulk-production">(.*?)</ul>', html, re.S)[1]
    integration = re.search(r'data-testid="bulk-integration">(.*?)</ul>', html, re.S)[1]
    assert live.key_id in production and one.key_id not in production
    assert one.key_id in integration and live.key_id not in integration
    assert "Delete 2 API keys?" in html
    assert deleted_ids() == set()


def test_one_confirmation_deletes_exactly_the_chosen_keys_effective_at_once(alice_client, alice, three):
    (one, one_token), (_two, two_token), (live, live_token) = three
    assert ping(one_token).status_code == 200
    response = choose(alice_client, one, live, confirm=True)
    assert response.status_code == 302
    assert deleted_ids() == {one.key_id, live.key_id}
    assert ping(one_token).status_code == 401
    assert ping(live_token, api="production").status_code == 401
    assert ping(two_token).status_code == 200
    entries = AuditEvent.objects.filter(action=Action.KEY_DELETED)
    assert sorted(entries.values_list("key_id", flat=True)) == sorted([one.key_id, live.key_id])
    assert set(entries.values_list("actor_id", flat=True)) == {alice.pk}
    message = alice_client.get(URL).content.decode()
    assert "2 keys have been deleted" in message


def test_a_replayed_confirmation_deletes_nothing_more(alice_client, three):
    (one, _), (_two, _), _live = three
    choose(alice_client, one, confirm=True)
    revoked_at = ApiKey.objects.get(pk=one.pk).revoked_at
    response = choose(alice_client, one, confirm=True)
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=one.pk).revoked_at == revoked_at  # not deleted twice
    assert deleted_ids() == {one.key_id}
    assert AuditEvent.objects.filter(action=Action.KEY_DELETED).count() == 1
    assert "nothing has been deleted" in alice_client.get(URL).content.decode()


def test_a_key_of_another_organization_in_the_form_answers_404_and_changes_nothing(
    alice_client, three, make_key, charlie
):
    theirs = make_key(user=charlie, created_by=charlie)[0]
    (one, _), _two, _live = three
    for confirm in (False, True):
        assert choose(alice_client, one, theirs, confirm=confirm).status_code == 404
    assert deleted_ids() == set()


def test_another_organizations_admin_cannot_delete_our_keys(charlie_client, three):
    (one, _), _two, _live = three
    assert choose(charlie_client, one, confirm=True).status_code == 404
    assert deleted_ids() == set()


@pytest.mark.parametrize("value", ["", "not-a-key", "A" * 12, "x" * 5000])
def test_a_key_id_that_is_none_of_ours_answers_404(alice_client, three, value):
    (one, _), _two, _live = three
    assert alice_client.post(BULK, {"key": [one.key_id, value], "confirm": "1"}).status_code == 404
    assert deleted_ids() == set()


def test_a_standard_user_is_refused(bob_client, three):
    (one, _), _two, _live = three
    assert choose(bob_client, one, confirm=True).status_code == 403
    assert deleted_ids() == set()


def test_support_staff_cannot_use_it(sam_client, three):
    (one, _), _two, _live = three
    assert choose(sam_client, one, confirm=True).status_code == 403
    assert deleted_ids() == set()


def test_without_the_csrf_token_nothing_is_deleted(alice, three):
    client = client_for(alice)
    client.handler.enforce_csrf_checks = True
    (one, _), _two, _live = three
    assert choose(client, one, confirm=True).status_code == 403
    assert deleted_ids() == set()


def test_a_get_is_not_allowed(alice_client):
    assert alice_client.get(BULK).status_code == 405


def test_nothing_chosen_says_so(alice_client, three):
    response = alice_client.post(BULK, {})
    assert response.status_code == 302
    assert "Select the keys to delete first." in alice_client.get(URL).content.decode()


def test_more_than_a_page_of_keys_is_refused(alice_client, three, settings):
    (one, _), _two, _live = three
    keys = [one.key_id] + [f"{n:012d}".translate(str.maketrans("0123456789", "abcdefghij")) for n in range(100)]
    response = alice_client.post(BULK, {"key": keys, "confirm": "1"})
    assert response.status_code == 302
    assert deleted_ids() == set()


def test_already_ended_keys_are_named_and_left_as_they_are(alice_client, make_key, bob):
    valid = make_key(user=bob)[0]
    expired = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=2))[0]
    html = choose(alice_client, valid, expired).content.decode()
    assert expired.key_id in re.search(r'data-testid="bulk-ended">(.*?)</p>', html, re.S)[1]
    assert "Delete 1 API key?" in html
    choose(alice_client, valid, expired, confirm=True)
    assert deleted_ids() == {valid.key_id}


def test_deleting_a_successor_under_four_eyes_keeps_its_predecessor_working(
    demo_ag, make_key, bob, alice, dora_client, alice_client
):
    """Four-eyes × «Replace» × «Delete selected»: the old key keeps working after its waiting
    successor is deleted, and the page says so first."""
    old, old_token = make_key(user=bob, api=Api.PRODUCTION)
    set_policy(demo_ag, four_eyes=True)
    new = apikey_replace(
        key=old, valid_until=timezone.localdate() + datetime.timedelta(days=90), overlap=datetime.timedelta(1), by=alice
    )[0]
    html = choose(dora_client, new).content.decode()
    assert f"Deleting {new.key_id} cancels that: {old.key_id} keeps working" in html
    assert choose(dora_client, new, confirm=True).status_code == 302
    assert ping(old_token, api="production").status_code == 200
    old.refresh_from_db()
    assert old.ends_at is None and old.revoked_at is None
    # Both chosen: no such notice, both end.
    other_old, other_token = make_key(user=bob)
    other_new = apikey_replace(
        key=other_old,
        valid_until=timezone.localdate() + datetime.timedelta(days=90),
        overlap=datetime.timedelta(days=1),
        by=alice,
    )[0]
    assert "cancels that" not in choose(alice_client, other_old, other_new).content.decode()
    choose(alice_client, other_old, other_new, confirm=True)
    assert ping(other_token).status_code == 401


def test_during_the_emergency_stop_rows_read_suspended_and_keys_can_still_be_deleted(
    demo_ag, alice, alice_client, three
):
    apikeys_suspend(organization=demo_ag, by=alice, reason="Laptop stolen")
    html = alice_client.get(URL).content.decode()
    assert html.count('data-testid="key-suspended"') == len(three)
    (one, _), _two, _live = three
    assert choose(alice_client, one, confirm=True).status_code == 302
    assert deleted_ids() == {one.key_id}


def test_the_token_never_reaches_the_confirmation(alice_client, three):
    (one, token), _two, _live = three
    html = choose(alice_client, one).content.decode()
    assert token not in html and token.rsplit("_", 1)[-1] not in html


def test_a_client_of_nobody_is_sent_to_log_in(three):
    (one, _), _two, _live = three
    response = Client().post(BULK, {"key": [one.key_id], "confirm": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert deleted_ids() == set()
