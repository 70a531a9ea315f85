"""«Delete»: a confirmation, then the key is deleted for good; nothing of another organization."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from apikeys.models import ApiKey, Status


def _url(key) -> str:
    return f"/administration/api-keys/{key.key_id}/delete/"


@pytest.fixture
def key(make_key, bob):
    return make_key(user=bob, note="ERP test")[0]


def test_it_asks_for_confirmation_and_warns_that_deletion_is_final(alice_client, key):
    response = alice_client.get(_url(key))
    html = response.content.decode()
    assert response.status_code == 200
    assert key.key_id in html
    assert "cannot be reactivated" in html
    key.refresh_from_db()
    assert key.status == Status.VALID  # the GET deleted nothing


def test_it_deletes_the_key_and_lists_it_below(alice_client, alice, key):
    response = alice_client.post(_url(key), follow=True)
    key.refresh_from_db()
    assert key.status == Status.DELETED
    assert key.revoked_by == alice
    html = response.content.decode()
    assert "has been deleted" in html
    ended = html.split('data-testid="ended-keys"', 1)[1]
    assert f'data-key-id="{key.key_id}"' in ended


def test_the_deleted_key_is_refused_on_the_next_request(alice_client, make_key, bob):
    key, token = make_key(user=bob)
    assert ApiKey.objects.verify_token(token).ok
    alice_client.post(_url(key))
    assert ApiKey.objects.verify_token(token).failure == "deleted"


def test_an_already_deleted_key_cannot_be_deleted_again(alice_client, make_key, bob, charlie):
    key, _token = make_key(user=bob, deleted=True)
    before = ApiKey.objects.values().get(pk=key.pk)
    for response in (alice_client.get(_url(key)), alice_client.post(_url(key))):
        assert response.status_code == 302
    assert ApiKey.objects.values().get(pk=key.pk) == before
    assert "no longer valid" in alice_client.get("/administration/api-keys/").content.decode()


def test_an_expired_key_stays_expired_and_is_not_deleted(alice_client, make_key, bob):
    key, _token = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert alice_client.post(_url(key)).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is None
    assert key.status == Status.EXPIRED


def test_the_outsider_admin_gets_404_and_changes_nothing(charlie_client, key):
    assert charlie_client.get(_url(key)).status_code == 404
    assert charlie_client.post(_url(key)).status_code == 404
    key.refresh_from_db()
    assert key.status == Status.VALID


def test_the_outsider_cannot_tell_a_foreign_key_from_a_missing_one(charlie_client, key):
    foreign = charlie_client.post(_url(key))
    missing = charlie_client.post("/administration/api-keys/aaaaaaaaaaaa/delete/")
    assert foreign.status_code == missing.status_code == 404

    def normalised(response) -> str:  # the CSRF token is masked afresh on every page
        html = response.content.decode().replace(key.key_id, "aaaaaaaaaaaa")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert normalised(foreign) == normalised(missing)


def test_the_standard_user_gets_403_and_changes_nothing(bob_client, key):
    assert bob_client.post(_url(key)).status_code == 403
    key.refresh_from_db()
    assert key.status == Status.VALID


def test_delete_without_csrf_token_is_refused(alice, key):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(_url(key)).status_code == 403
    key.refresh_from_db()
    assert key.status == Status.VALID


@pytest.mark.parametrize("key_id", ["x", "A" * 12, "a" * 5000, "%00", "..", "aaaaaaaaaaa%27"])
def test_a_strange_key_id_is_a_404_never_a_500(alice_client, key_id):
    assert alice_client.post(f"/administration/api-keys/{key_id}/delete/").status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(alice_client, key, method):
    assert getattr(alice_client, method)(_url(key)).status_code == 405
    key.refresh_from_db()
    assert key.status == Status.VALID
