"""What the audit log records: key created, deleted, revoked by support, logins; actor, org, IP."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from apikeys import services
from apikeys.forms import new_form_nonce
from apikeys.models import Api, ApiKey, latest_valid_until
from audit.models import Action, AuditEvent
from tests.cast import PASSWORD


def _entries(action):
    return list(AuditEvent.objects.filter(action=action))


def test_it_records_a_key_created_on_the_screen_with_actor_user_api_validity_and_ip(alice, alice_client, bob):
    valid_until = latest_valid_until()
    response = alice_client.post(
        "/administration/api-keys/new/",
        {
            "user": bob.pk,
            "api": Api.PRODUCTION,
            "note": "ERP",
            "valid_until": valid_until.isoformat(),
            "nonce": new_form_nonce(alice),
            "scopes": ["documents:read", "documents:write"],
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    [entry] = _entries(Action.KEY_CREATED)
    assert entry.actor == alice
    assert entry.username == "alice"
    assert entry.subject == bob
    assert entry.organization_id == alice.organization_id
    assert entry.key_id == key.key_id
    assert entry.ip == "198.51.100.7"
    assert entry.details["api"] == Api.PRODUCTION
    assert entry.valid_until == valid_until
    assert abs(entry.at - timezone.now()) < datetime.timedelta(seconds=30)


def test_it_records_a_deletion_by_the_admin_user(alice, alice_client, alice_key):
    key, _token = alice_key
    response = alice_client.post(f"/administration/api-keys/{key.key_id}/delete/", REMOTE_ADDR="2001:db8::5")
    assert response.status_code == 302
    [entry] = _entries(Action.KEY_DELETED)
    assert (entry.actor, entry.subject_id, entry.key_id) == (alice, key.user_id, key.key_id)
    assert entry.organization_id == key.organization_id
    assert entry.ip == "2001:db8::5"
    assert not _entries(Action.KEY_REVOKED)


def test_it_records_a_revocation_by_support_with_its_reason(sam, alice_key):
    key, _token = alice_key
    services.apikey_revoke(key=key, by=sam, reason="Token published on a forum", ip="203.0.113.9")
    [entry] = _entries(Action.KEY_REVOKED)
    assert entry.actor == sam
    assert entry.organization_id == key.organization_id
    assert entry.reason == "Token published on a forum"
    assert entry.ip == "203.0.113.9"


def test_a_refused_deletion_records_nothing(alice, make_key):
    key, _token = make_key(deleted=True)
    with pytest.raises(services.KeyNotValid):
        services.apikey_revoke(key=key, by=alice)
    assert len(_entries(Action.KEY_DELETED)) == 1


def test_the_entry_and_the_key_are_one_transaction(alice, bob, monkeypatch):
    """If the audit entry cannot be written, no key exists without its record."""

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("apikeys.activity.record_key_created", broken)
    with pytest.raises(RuntimeError):
        services.apikey_create(user=bob, api=Api.INTEGRATION, valid_until=latest_valid_until(), created_by=alice)
    assert not ApiKey.objects.exists()


def test_a_revocation_is_undone_if_its_entry_cannot_be_written(alice, alice_key, monkeypatch):
    key, _token = alice_key
    monkeypatch.setattr("apikeys.activity.record_key_revoked", lambda **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        services.apikey_revoke(key=key, by=alice)
    key.refresh_from_db()
    assert key.is_valid


def test_it_records_a_login_with_organization_and_ip(bob):
    client = Client(REMOTE_ADDR="192.0.2.44")
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    [entry] = _entries(Action.LOGIN)
    assert (entry.actor, entry.organization_id, entry.ip) == (bob, bob.organization_id, "192.0.2.44")


def test_it_records_a_failed_login_against_the_account_tried_without_the_password(bob):
    Client(REMOTE_ADDR="192.0.2.45").post("/accounts/login/", {"username": "bob", "password": "guess-1234"})
    [entry] = _entries(Action.LOGIN_FAILED)
    assert entry.actor is None
    assert entry.subject == bob
    assert entry.organization_id == bob.organization_id
    assert entry.ip == "192.0.2.45"
    assert "guess-1234" not in repr(entry.details) + entry.username


def test_a_failed_login_for_no_such_user_belongs_to_no_organization(db):
    Client().post("/accounts/login/", {"username": "mallory", "password": "x"})
    [entry] = _entries(Action.LOGIN_FAILED)
    assert (entry.subject, entry.organization) == (None, None)
    assert entry.username.startswith("unknown-") and "mallory" not in entry.username  # a keyed hash


def test_a_lockout_by_the_login_protection_is_recorded_once(bob):
    client = Client(REMOTE_ADDR="192.0.2.46")
    for n in range(7):  # the fifth failure locks, the next ones are refused while locked
        client.post("/accounts/login/", {"username": "bob", "password": f"wrong-{n}"})
    [entry] = _entries(Action.LOCKED_OUT)
    assert (entry.subject, entry.organization_id, entry.ip) == (bob, bob.organization_id, "192.0.2.46")
    assert len(_entries(Action.LOGIN_FAILED)) >= 5


def test_the_address_behind_a_trusted_proxy_is_the_one_the_proxy_saw(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    Client(REMOTE_ADDR="10.0.0.2").post(
        "/accounts/login/",
        {"username": "bob", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.77",
    )
    assert _entries(Action.LOGIN)[0].ip == "198.51.100.77"
