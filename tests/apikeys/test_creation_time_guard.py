"""The database dates a key itself: an INSERT with a creation time in the future is refused, on SQLite
and PostgreSQL (there also as the app's role, with the rights of deploy/postgresql-grants.sql), so that
the two-year CHECK, measured from `created_at`, cannot be stretched by dating a key in 2097."""

import datetime

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.tokens import build_token, hash_secret, new_key_id, new_secret

PING = "/api/billing-int/v1/ping"
FUTURE = (datetime.datetime(2097, 1, 1, tzinfo=datetime.UTC), datetime.date(2099, 1, 1))


def _copy_of(key: ApiKey, **columns) -> tuple[str, list]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apikeys_apikey WHERE id = %s", [key.pk])
        row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    row.pop("id")
    row.update(key_id=new_key_id(), form_nonce=None)
    row.update(columns)
    sql = f"INSERT INTO apikeys_apikey ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})"  # noqa: S608 (column names read from the table)
    return sql, list(row.values())


def _insert(sql: str, params: list, *, as_app_role: bool = False) -> str:
    """Run the INSERT; answer the database's refusal, or "" when the row was stored."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if as_app_role:
                # The grant script run for the test role itself (rolled back with the transaction):
                # what it leaves is what the app's role may do.
                script = (settings.BASE_DIR / "deploy" / "postgresql-grants.sql").read_text()
                cursor.execute(script.replace("efinance_app", "CURRENT_USER"))
            cursor.execute(sql, params)
    except IntegrityError as error:
        return str(error)
    return ""


def test_a_key_dated_2097_and_valid_until_2099_is_refused(client, alice_key):
    key, _token = alice_key
    created_at, valid_until = FUTURE
    key_id, secret = new_key_id(), new_secret()
    sql, params = _copy_of(
        key, key_id=key_id, created_at=created_at, valid_until=valid_until, secret_hash=hash_secret(secret)
    )
    assert "a key cannot be created in the future" in _insert(sql, params)
    assert ApiKey.objects.count() == 1
    planted = build_token(key.api, key_id, secret)
    assert client.get(PING, HTTP_AUTHORIZATION=f"Bearer {planted}").status_code == 401


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the app's role is PostgreSQL's")
def test_the_apps_role_cannot_date_a_key_in_the_future_either(alice_key):
    key, _token = alice_key
    created_at, valid_until = FUTURE
    sql, params = _copy_of(key, created_at=created_at, valid_until=valid_until, secret_hash="4" * 64)
    assert "a key cannot be created in the future" in _insert(sql, params, as_app_role=True)
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize("ahead", [datetime.timedelta(hours=1), datetime.timedelta(days=365 * 70)])
def test_any_creation_time_beyond_the_tolerance_is_refused(alice_key, ahead):
    key, _token = alice_key
    created_at = timezone.now() + ahead
    sql, params = _copy_of(key, created_at=created_at, valid_until=key.valid_until, secret_hash="5" * 64)
    assert "a key cannot be created in the future" in _insert(sql, params)


def test_a_key_created_now_or_earlier_is_taken(alice_key, make_key, bob):
    key, _token = alice_key
    valid_until = timezone.localdate() + datetime.timedelta(days=30)
    for n, created_at in enumerate([timezone.now(), timezone.now() - datetime.timedelta(days=400)]):
        sql, params = _copy_of(key, created_at=created_at, valid_until=valid_until, secret_hash=str(n) * 64)
        assert _insert(sql, params) == ""
    make_key(user=bob)  # the application's own path
    assert ApiKey.objects.count() == 4


def test_an_update_cannot_move_the_creation_time_either(alice_key):
    key, _token = alice_key
    refused = _insert("UPDATE apikeys_apikey SET created_at = %s WHERE id = %s", [FUTURE[0], key.pk])
    assert "apikeys:" in refused
    assert ApiKey.objects.get().created_at == key.created_at
