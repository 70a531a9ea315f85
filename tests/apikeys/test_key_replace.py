"""«Replace»: a new key for the same user, API and note, shown once; the old key works on until the
chosen end of the overlap and is refused from then on, without any job."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from apikeys.models import Api, ApiKey, Status
from apikeys.services import AlreadyReplaced, KeyNotValid, apikey_replace
from audit.models import Action, AuditEvent, Failure
from tests.apikeys.key_list import row_of, text_of
from tests.cast import today
from tests.conftest import key_count


def _url(key) -> str:
    return f"/administration/api-keys/{key.key_id}/replace/"


@pytest.fixture
def old(make_key, bob):
    return make_key(user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today() + datetime.timedelta(days=100))


def _form(client, key, **data) -> dict:
    html = client.get(_url(key)).content.decode()
    return {
        "validity": "1y",
        "old_key_ends": "24h",
        "nonce": re.search(r'name="nonce" value="([^"]+)"', html)[1],
        "scopes": ["documents:read", "documents:write"],
        **data,
    }


def _tokens(html: str) -> list[str]:
    return re.findall(r"bs(?:prod|int)_[a-z2-7]{12}_[a-z2-7]{52}_[a-z2-7]{7}", html)


def test_the_page_shows_the_key_and_the_choices(alice_client, old):
    key, _token = old
    html = alice_client.get(_url(key)).content.decode()
    assert key.key_id in html and "ERP" in html
    for value in ("30d", "90d", "1y", "2y", "date"):
        assert f'name="validity" value="{value}"' in html
    for value in ("now", "24h", "7d"):
        assert f'name="old_key_ends" value="{value}"' in html


def test_it_makes_a_new_key_for_the_same_user_api_and_note_and_shows_its_token_once(alice_client, old, bob):
    key, _token = old
    response = alice_client.post(_url(key), _form(alice_client, key))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [token] = _tokens(response.content.decode())
    new = ApiKey.objects.get(replaces=key)
    assert (new.user, new.api, new.note) == (bob, Api.PRODUCTION, "ERP")
    assert new.valid_until == today().replace(year=today().year + 1)
    assert ApiKey.objects.verify_token(token).key_id == new.key_id
    key.refresh_from_db()
    assert abs(key.ends_at - (timezone.now() + datetime.timedelta(hours=24))) < datetime.timedelta(minutes=1)
    assert key.is_valid
    assert token not in alice_client.get("/administration/api-keys/").content.decode()


@pytest.mark.parametrize(("choice", "hours"), [("now", 0), ("24h", 24), ("7d", 168)])
def test_the_old_key_ends_at_the_chosen_time(alice, old, choice, hours):
    from apikeys.services import OVERLAPS

    key, _token = old
    now = timezone.now()
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=30), overlap=OVERLAPS[choice], by=alice, now=now
    )
    key.refresh_from_db()
    assert key.ends_at == (now + datetime.timedelta(hours=hours)).replace(microsecond=0)


def test_the_overlap_never_outlasts_the_old_keys_own_end(alice, make_key, bob):
    key = make_key(user=bob, valid_until=today() + datetime.timedelta(days=2))[0]
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(days=7), by=alice
    )
    key.refresh_from_db()
    end = timezone.make_aware(datetime.datetime.combine(today() + datetime.timedelta(days=3), datetime.time.min))
    assert key.ends_at == end


def test_both_keys_work_during_the_overlap_and_the_old_one_is_refused_after(alice, old, monkeypatch):
    key, old_token = old
    now = timezone.now()
    new, new_token = apikey_replace(
        key=key,
        valid_until=today() + datetime.timedelta(days=30),
        overlap=datetime.timedelta(hours=24),
        by=alice,
        now=now,
    )
    assert ApiKey.objects.verify_token(old_token).ok
    assert ApiKey.objects.verify_token(new_token).ok
    monkeypatch.setattr(timezone, "now", lambda: now + datetime.timedelta(hours=24))
    assert ApiKey.objects.verify_token(old_token).failure == Failure.REPLACED
    assert ApiKey.objects.verify_token(new_token).ok
    key.refresh_from_db()
    assert key.status == Status.REPLACED
    assert list(ApiKey.objects.valid()) == [new]
    assert list(ApiKey.objects.ended()) == [key]


def test_the_api_refuses_the_old_key_with_reason_replaced(client, alice, make_key, bob):
    key, token = make_key(user=bob, api=Api.INTEGRATION)
    apikey_replace(key=key, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(0), by=alice)
    response = client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["reason"] == "replaced"


def test_the_lists_show_the_overlap_and_then_the_replaced_key(alice_client, alice, old, monkeypatch):
    key, _token = old
    now = timezone.now()
    new, _ = apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(days=7), by=alice
    )
    html = alice_client.get("/administration/api-keys/").content.decode()
    valid = html.split('data-testid="ended-keys"')[0]
    assert key.key_id in valid and new.key_id in valid
    key.refresh_from_db()
    assert f"Replaced — stops working on {timezone.localtime(key.ends_at):%d.%m.%Y, %H:%M}" in valid
    assert f"replaces {key.key_id}" in text_of(valid)
    monkeypatch.setattr(timezone, "now", lambda: now + datetime.timedelta(days=8))
    alice_client.force_login(alice)  # a session of 8 days ago has expired
    html = alice_client.get("/administration/api-keys/").content.decode()
    valid, ended = html.split('data-testid="ended-keys"')
    assert f'data-key-id="{key.key_id}"' not in valid
    assert f"Replaced by {new.key_id}" in text_of(row_of(ended, key.key_id))


def test_a_replayed_form_makes_no_second_key(alice_client, old):
    key, _token = old
    data = _form(alice_client, key)
    alice_client.post(_url(key), data)
    count = key_count()
    response = alice_client.post(_url(key), data, follow=True)
    assert key_count() == count
    assert _tokens(response.content.decode()) == []


def test_a_key_is_replaced_once(alice, old):
    key, _token = old
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(days=1), by=alice
    )
    with pytest.raises(AlreadyReplaced):
        apikey_replace(
            key=key, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(days=1), by=alice
        )
    assert ApiKey.objects.filter(replaces=key).count() == 1


def test_deleted_and_expired_keys_cannot_be_replaced(alice, alice_client, make_key, bob):
    deleted = make_key(user=bob, deleted=True)[0]
    expired = make_key(user=bob, valid_until=today() - datetime.timedelta(days=1))[0]
    for key in (deleted, expired):
        with pytest.raises(KeyNotValid):
            apikey_replace(
                key=key, valid_until=today() + datetime.timedelta(days=30), overlap=datetime.timedelta(0), by=alice
            )
        assert alice_client.get(_url(key)).status_code == 302


def test_the_audit_log_records_who_which_keys_and_the_end(alice_client, alice, old):
    key, _token = old
    new, _ = apikey_replace(
        key=key,
        valid_until=today() + datetime.timedelta(days=30),
        overlap=datetime.timedelta(days=7),
        by=alice,
        ip="192.0.2.1",
    )
    entry = AuditEvent.objects.get(action=Action.KEY_REPLACED)
    key.refresh_from_db()
    assert (entry.actor, entry.key_id, entry.new_key_id, entry.ends_at) == (alice, key.key_id, new.key_id, key.ends_at)
    assert AuditEvent.objects.get(action=Action.KEY_CREATED, key_id=new.key_id).details["replaces"] == key.key_id
    html = alice_client.get("/administration/activity/").content.decode()
    assert f"replaced by {new.key_id}; stops working on {timezone.localtime(key.ends_at):%d.%m.%Y %H:%M}" in html


def test_an_outsider_gets_404_a_standard_user_403(charlie_client, bob_client, old):
    key, _token = old
    assert charlie_client.get(_url(key)).status_code == 404
    assert charlie_client.post(_url(key), {"validity": "1y", "old_key_ends": "now"}).status_code == 404
    assert bob_client.get(_url(key)).status_code == 403
    assert key_count() == 1


def test_other_methods_are_refused(alice_client, old):
    assert alice_client.put(_url(old[0])).status_code == 405


def test_a_post_without_csrf_token_is_refused(alice, old):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(_url(old[0]), {"validity": "1y", "old_key_ends": "now", "nonce": "x"})
    assert response.status_code == 403
    assert key_count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"old_key_ends": "30d"}, "Choose immediately, in 24 hours or in 7 days."),
        ({"old_key_ends": ""}, "Choose when the old key stops working."),
        ({"validity": "date", "valid_until": "01.01.2099"}, "A key is valid for at most two years"),
        ({"validity": "date", "valid_until": ""}, "Enter the last day on which the key is valid."),
        ({"validity": "5y"}, "Choose one of the validities offered."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(alice_client, old, data, message):
    key, _token = old
    response = alice_client.post(_url(key), _form(alice_client, key, **data))
    assert response.status_code == 400
    assert message in response.content.decode()
    key.refresh_from_db()
    assert key.ends_at is None and key_count() == 1


def test_a_form_replayed_against_another_key_replaces_nothing(alice_client, old, make_key, bob):
    key, _token = old
    other = make_key(user=bob)[0]
    data = _form(alice_client, key)
    alice_client.post(_url(key), data)
    count = key_count()
    response = alice_client.post(_url(other), data, follow=True)
    assert key_count() == count
    assert _tokens(response.content.decode()) == []
    other.refresh_from_db()
    assert other.ends_at is None
    assert "cannot be replaced" in response.content.decode()
