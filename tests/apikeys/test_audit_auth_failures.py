"""Failed API authentications against an existing key ID: one row per key and hour, with a counter;
unknown key IDs: one row an hour, without organization."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from apikeys import tokens
from apikeys.activity import record_auth_failure
from apikeys.models import Api, ApiKey
from audit.models import Action, AuditEvent, Failure
from tests.conftest import flip_last, run_concurrently


def _failures():
    return AuditEvent.objects.filter(action=Action.AUTH_FAILED).order_by("hour")


def _wrong_secret(token: str) -> str:
    parsed = tokens.parse_token(token)
    return tokens.build_token(parsed.api, parsed.key_id, tokens.new_secret())


def test_a_wrong_secret_on_an_existing_key_id_tells_the_audit_log_which_key(alice_key):
    key, token = alice_key
    verification = ApiKey.objects.verify_token(_wrong_secret(token), api=Api.INTEGRATION)
    assert verification.failure == Failure.UNKNOWN
    assert (verification.pk, verification.key_id, verification.organization_id) == (
        key.pk,
        key.key_id,
        key.organization_id,
    )
    # but nothing that only the holder of the secret may learn
    assert (verification.user_id, verification.username, verification.valid_until) == (None, None, None)


def test_an_unknown_key_id_names_no_key(db):
    token = tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret())
    verification = ApiKey.objects.verify_token(token, api=Api.INTEGRATION)
    assert (verification.failure, verification.pk, verification.organization_id) == (Failure.UNKNOWN, None, None)


def test_failures_of_one_key_in_one_hour_make_one_row_with_a_counter(alice_key):
    key, _token = alice_key
    start = timezone.now().replace(minute=5, second=0, microsecond=0)
    for minute in range(5):
        record_auth_failure(
            key_id=key.key_id,
            reason=Failure.UNKNOWN,
            ip=f"192.0.2.{minute + 1}",
            at=start + datetime.timedelta(minutes=minute * 10),
        )
    [row] = _failures()
    assert row.count == 5
    assert row.hour == start.replace(minute=0)
    assert row.at == start
    assert row.last_at == start + datetime.timedelta(minutes=40)
    assert row.ip == "192.0.2.1"  # the first failure's address; the latest is in the details
    assert row.details == {"reason": "unknown", "last_ip": "192.0.2.5"}
    assert row.organization_id == key.organization_id


def test_the_next_hour_and_another_key_start_new_rows(alice_key, make_key, bob):
    key, _token = alice_key
    other, _token = make_key(user=bob)
    at = timezone.now().replace(minute=59, second=59, microsecond=0)
    for failing, when in [(key, at), (key, at + datetime.timedelta(seconds=1)), (other, at)]:
        record_auth_failure(key_id=failing.key_id, reason="deleted", at=when)
    rows = list(_failures().values_list("key_id", "hour", "count"))
    hour = at.replace(minute=0, second=0)
    assert sorted(rows) == sorted(
        [(key.key_id, hour, 1), (key.key_id, hour + datetime.timedelta(hours=1), 1), (other.key_id, hour, 1)]
    )


def test_counting_is_one_statement(alice_key, django_assert_num_queries):
    key, _token = alice_key
    record_auth_failure(key_id=key.key_id, reason="expired")
    with django_assert_num_queries(1):
        record_auth_failure(key_id=key.key_id, reason="expired")
    assert _failures().get().count == 2


PING = "/api/billing-int/v1/ping"


def _ping(client, token, ip="192.0.2.80"):
    return client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip)


def test_the_api_counts_a_deleted_key_and_a_wrong_secret_in_one_row_and_the_admin_sees_it(
    client, alice_client, make_key
):
    key, token = make_key(deleted=True)
    responses = [_ping(client, token), _ping(client, _wrong_secret(token)), _ping(client, token, ip="192.0.2.81")]
    assert [r.status_code for r in responses] == [401, 401, 401]
    row = _failures().get()
    assert (row.key_id, row.count, row.ip, row.details["last_ip"]) == (key.key_id, 3, "192.0.2.80", "192.0.2.81")
    body = alice_client.get("/administration/activity/", {"key_id": key.key_id}).content.decode()
    assert "3 failures in this hour" in body


def test_unknown_key_ids_count_in_one_row_an_hour_that_no_organization_sees(client, alice_key, alice_client):
    """The same write as for a key that exists (timing), but no key ID, no organization, one row an hour."""
    _key, _token = alice_key
    for _ in range(3):
        unknown = tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret())
        assert _ping(client, unknown).status_code == 401
    [row] = _failures()
    assert (row.key_id, row.organization_id, row.count) == ("", None, 3)
    assert "3 failures in this hour" not in alice_client.get("/administration/activity/").content.decode()


def test_the_api_records_nothing_for_a_malformed_token(client, alice_key):
    _key, token = alice_key
    for attempt in [flip_last(token), "bsint_nonsense", token + "x"]:
        assert _ping(client, attempt).status_code == 401
    assert not _failures().exists()


def test_a_successful_call_records_nothing(client, alice_key):
    _key, token = alice_key
    assert _ping(client, token).status_code == 200
    assert not _failures().exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_of_one_key_are_all_counted_in_one_row(alice_key):
    key, _token = alice_key
    at = timezone.now().replace(minute=30)
    barrier, errors = threading.Barrier(8, timeout=10), []

    def fail_25_times():
        try:
            barrier.wait()
            for _ in range(25):
                record_auth_failure(key_id=key.key_id, reason="unknown", at=at)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    run_concurrently(fail_25_times, 8)
    assert errors == []
    assert list(_failures().values_list("count", flat=True)) == [200]
