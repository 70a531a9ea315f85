"""`ApiKey.objects.verify_token`: valid, or why not; one SQL query; nothing told before the secret."""

import datetime

import pytest
from django.utils import timezone

from apikeys import tokens
from apikeys.models import Api, ApiKey
from audit.models import Failure


def _verify(raw, api=None):
    return ApiKey.objects.verify_token(raw, api)


def test_a_valid_token_answers_the_key_and_its_user(make_key, bob, django_assert_num_queries):
    key, token = make_key(user=bob, api=Api.PRODUCTION)
    with django_assert_num_queries(1):
        answer = _verify(token, Api.PRODUCTION)
    assert answer.ok
    assert (answer.pk, answer.key_id, answer.api, answer.valid_until) == (
        key.pk,
        key.key_id,
        "production",
        key.valid_until,
    )
    assert (answer.user_id, answer.username, answer.organization_id) == (bob.pk, "bob", bob.organization_id)
    assert answer.organization_name == "Demo AG"


@pytest.mark.parametrize("raw", ["", "not-a-token", "bsint_" + "a" * 72, None])
def test_a_malformed_token_costs_no_query(raw, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert _verify(raw).failure == Failure.MALFORMED


def test_a_token_with_a_wrong_checksum_is_malformed(make_key, bob):
    _key, token = make_key(user=bob)
    body, _sep, check = token.rpartition("_")
    wrong = "a" if check[-1] != "a" else "b"
    assert _verify(f"{body}_{check[:-1]}{wrong}").failure == Failure.MALFORMED


def test_an_unknown_key_id_is_unknown(db, django_assert_num_queries):
    token = tokens.build_token(tokens.INTEGRATION, tokens.new_key_id(), tokens.new_secret())
    with django_assert_num_queries(1):
        answer = _verify(token)
    assert answer.failure == Failure.UNKNOWN
    assert answer.key_id is None


def test_a_wrong_secret_with_a_recomputed_checksum_is_unknown_and_tells_nothing(make_key, bob):
    key, _token = make_key(user=bob)
    forged = tokens.build_token(tokens.INTEGRATION, key.key_id, tokens.new_secret())
    answer = _verify(forged)
    assert answer.failure == Failure.UNKNOWN
    assert (
        answer.failure
        == _verify(tokens.build_token(tokens.INTEGRATION, tokens.new_key_id(), tokens.new_secret())).failure
    )
    # Nothing about the key's user, API, state or validity (the pk is kept for the audit's failure count).
    assert (answer.api, answer.username, answer.user_id, answer.valid_until) == (None, None, None, None)


def test_the_prefix_of_the_other_api_with_a_recomputed_checksum_is_unknown(make_key, bob):
    key, token = make_key(user=bob, api=Api.INTEGRATION)
    secret = tokens.parse_token(token).secret
    assert _verify(tokens.build_token(tokens.PRODUCTION, key.key_id, secret)).failure == Failure.UNKNOWN


def test_a_deleted_key_is_deleted(make_key, bob):
    _key, token = make_key(user=bob, deleted=True)
    assert _verify(token).failure == Failure.DELETED


def test_a_key_expires_after_its_last_day(make_key, bob, monkeypatch):
    _key, token = make_key(user=bob, valid_until=datetime.date(2027, 6, 30))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 6, 30))
    assert _verify(token).ok
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 7, 1))
    assert _verify(token).failure == Failure.EXPIRED


def test_a_deactivated_users_key_is_refused(make_key, bob):
    _key, token = make_key(user=bob)
    bob.is_active = False
    bob.save()
    assert _verify(token).failure == Failure.USER_INACTIVE


def test_a_key_is_refused_by_the_other_api(make_key, bob):
    _key, token = make_key(user=bob, api=Api.INTEGRATION)
    assert _verify(token, Api.INTEGRATION).ok
    assert _verify(token, Api.PRODUCTION).failure == Failure.WRONG_API


def test_deletion_takes_effect_on_the_very_next_verification(make_key, bob, alice):
    from apikeys import services

    key, token = make_key(user=bob)
    assert _verify(token).ok
    services.apikey_revoke(key=key, by=alice)
    assert _verify(token).failure == Failure.DELETED


def test_deleted_wins_over_expired_and_inactive(make_key, bob):
    key, token = make_key(user=bob, deleted=True)
    ApiKey.objects.filter(pk=key.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=3))
    bob.is_active = False
    bob.save()
    assert _verify(token).failure == Failure.DELETED
