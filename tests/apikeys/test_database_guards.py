"""Someone with the database cannot undo what the guide promises.

The attacker here has a raw connection with the app's rights (the cursor the app itself uses) and
tries every way of getting a deleted key back, or a key valid until 2099: delete and insert again in
one transaction with the foreign keys deferred, SQLite's INSERT OR REPLACE / REPLACE INTO / UPDATE OR
REPLACE, an INSERT … ON CONFLICT DO UPDATE upsert, an UPDATE of the creation time, key ID or secret
hash, a fresh row with a far validity or a made-up creation time, TRUNCATE. Each is refused by the
database (IntegrityError), the row is unchanged, and the API still answers 401 for the deleted key.
"""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikeys.models import Api, ApiKey, Status
from apikeys.tokens import build_token, new_key_id

PING = "/api/billing-int/v1/ping"
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="a statement of SQLite only")
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a statement of PostgreSQL only")


@pytest.fixture
def deleted(make_key, bob):
    return make_key(user=bob, deleted=True)


def _row(pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apikeys_apikey WHERE id = %s", [pk])
        return dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))


def _insert_sql(row: dict, verb: str = "INSERT", tail: str = "") -> tuple[str, list]:
    """An INSERT of `row`; an id of None is left to the database (its sequence)."""
    columns = [column for column in row if not (column == "id" and row[column] is None)]
    sql = f"{verb} INTO apikeys_apikey ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) {tail}"
    return sql, [row[column] for column in columns]


GUARDS = ("apikeys:", "apikey_valid_at_most_two_years")


def _refused(*statements) -> bool:
    """Run the statements in one transaction; True if one of the guards refused it (nothing is kept).

    Only the guards count (the triggers' message, the CHECK's name): a statement that failed for another
    reason (a NOT NULL, a syntax error) would prove nothing and fails the test."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
    except IntegrityError as error:
        assert any(guard in str(error) for guard in GUARDS), error
        return True
    return False


def _revived(row: dict) -> dict:
    return {**row, "revoked_at": None, "revoked_by_id": None, "revoke_reason": "", "valid_until": "2099-12-31"}


def _still_deleted(client, key, token) -> None:
    assert ApiKey.objects.get(pk=key.pk).status == Status.DELETED
    assert _row(key.pk)["revoked_at"] is not None
    response = client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401 and response.json()["reason"] == "deleted"


def _defer_foreign_keys() -> tuple[str, list]:
    if connection.vendor == "sqlite":
        return "PRAGMA defer_foreign_keys = ON", []
    return "SET CONSTRAINTS ALL DEFERRED", []


def test_a_key_row_cannot_be_deleted(client, deleted, alice_key):
    key, token = deleted
    valid, _token = alice_key
    assert _refused(("DELETE FROM apikeys_apikey WHERE id = %s", [key.pk]))
    assert _refused(("DELETE FROM apikeys_apikey WHERE id = %s", [valid.pk]))
    assert _refused(("DELETE FROM apikeys_apikey", []))
    assert ApiKey.objects.count() == 2
    _still_deleted(client, key, token)


def test_delete_and_insert_again_with_deferred_foreign_keys_is_refused(client, deleted):
    key, token = deleted
    row = _row(key.pk)
    assert _refused(
        _defer_foreign_keys(),
        ("DELETE FROM apikeys_apikey WHERE id = %s", [key.pk]),
        _insert_sql(_revived(row)),
    )
    _still_deleted(client, key, token)


@sqlite_only
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
def test_sqlite_replace_cannot_revive_or_extend_a_key(client, deleted, alice_key, verb):
    key, token = deleted
    row = _row(key.pk)
    assert _refused(_insert_sql(_revived(row), verb))  # same id and key ID
    assert _refused(_insert_sql({**_revived(row), "id": None}, verb))  # same key ID, new id
    assert _refused(_insert_sql({**_revived(row), "key_id": new_key_id()}, verb))  # same id, new key ID
    valid, _valid_token = alice_key
    valid_row = _row(valid.pk)
    assert _refused(_insert_sql({**valid_row, "valid_until": "2099-12-31"}, verb))
    assert ApiKey.objects.get(pk=valid.pk).valid_until == valid.valid_until
    _still_deleted(client, key, token)


@sqlite_only
def test_sqlite_update_or_replace_cannot_take_another_rows_place(client, deleted, alice_key, make_key, bob):
    key, token = deleted
    other, _other_token = make_key(user=bob, form_nonce="nonce-of-the-other-key")
    assert _refused(("UPDATE OR REPLACE apikeys_apikey SET id = %s WHERE id = %s", [key.pk, other.pk]))
    assert _refused(
        ("UPDATE OR REPLACE apikeys_apikey SET form_nonce = %s WHERE id = %s", ["nonce-of-the-other-key", key.pk])
    )
    assert ApiKey.objects.filter(pk=other.pk).exists()
    _still_deleted(client, key, token)


@pytest.mark.parametrize("target", ["key_id", "id"])
def test_an_on_conflict_upsert_cannot_revive_or_extend_a_key(client, deleted, target):
    key, token = deleted
    row = _row(key.pk)
    sql, params = _insert_sql(
        _revived(row),
        tail=f"ON CONFLICT ({target}) DO UPDATE SET revoked_at = NULL, revoked_by_id = NULL, "
        "valid_until = excluded.valid_until",
    )
    assert _refused((sql, params))
    _still_deleted(client, key, token)


def test_an_on_conflict_do_nothing_changes_nothing(client, deleted):
    key, token = deleted
    sql, params = _insert_sql(_revived(_row(key.pk)), tail="ON CONFLICT DO NOTHING")
    _refused((sql, params))  # refused or ignored: either way nothing changes
    _still_deleted(client, key, token)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("created_at", datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)),
        ("created_at", datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)),
        ("key_id", "aaaaaaaaaaaa"),
        ("secret_hash", "0" * 64),
        ("form_nonce", "another"),
        ("id", 999_999),
        ("valid_until", datetime.date(2099, 12, 31)),
    ],
)
def test_key_material_creation_time_and_key_id_cannot_change(client, alice_key, column, value):
    key, token = alice_key
    before = _row(key.pk)
    assert _refused((f"UPDATE apikeys_apikey SET {column} = %s WHERE id = %s", [value, key.pk]))  # noqa: S608
    assert _row(key.pk) == before
    assert client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


@pytest.mark.parametrize(
    ("created_at", "valid_until"),
    [
        (timezone.now(), datetime.date(2099, 12, 31)),
        (timezone.now(), timezone.localdate() + datetime.timedelta(days=2 * 366 + 1)),
        (datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC), datetime.date(2004, 1, 1)),
    ],
)
def test_a_new_row_valid_for_more_than_two_years_is_refused(alice_key, created_at, valid_until):
    key, _token = alice_key
    row = {
        **_row(key.pk),
        "id": None,
        "key_id": new_key_id(),
        "secret_hash": "1" * 64,
        "form_nonce": None,
        "created_at": created_at,
        "valid_until": valid_until,
    }
    assert _refused(_insert_sql(row))
    assert ApiKey.objects.count() == 1


def test_a_deleted_keys_secret_cannot_be_copied_to_a_new_key_id(client, deleted):
    """The stored hash is of the secret alone: the same hash under a new key ID would make
    `bsint_<new key ID>_<old secret>_<checksum>` work again."""
    key, token = deleted
    new_id = new_key_id()
    row = {**_revived(_row(key.pk)), "id": None, "key_id": new_id, "form_nonce": None}
    row["valid_until"] = timezone.localdate() + datetime.timedelta(days=30)
    assert _refused(_insert_sql(row))
    secret = token.split("_")[2]
    revived = build_token(Api.INTEGRATION, new_id, secret)
    assert client.get(PING, HTTP_AUTHORIZATION=f"Bearer {revived}").status_code == 401
    _still_deleted(client, key, token)


def test_a_row_valid_for_exactly_two_years_is_taken(alice_key):
    key, _token = alice_key
    created = datetime.datetime(2024, 2, 29, 23, 30, tzinfo=datetime.UTC)  # 1 March in Zurich
    row = {
        **_row(key.pk),
        "id": None,
        "key_id": new_key_id(),
        "secret_hash": "2" * 64,
        "form_nonce": None,
        "created_at": created,
        "valid_until": datetime.date(2026, 3, 1),
    }
    assert not _refused(_insert_sql(row))


@sqlite_only
@pytest.mark.parametrize(("column", "value"), [("created_at", "not a time"), ("valid_until", "2099")])
def test_sqlite_text_that_is_no_date_is_refused(alice_key, column, value):
    key, _token = alice_key
    row = {**_row(key.pk), "id": None, "key_id": new_key_id(), "secret_hash": "3" * 64, "form_nonce": None}
    row[column] = value
    assert _refused(_insert_sql(row))
    assert _refused(("UPDATE apikeys_apikey SET valid_until = %s WHERE id = %s", ["2", key.pk]))


@postgres_only
@pytest.mark.parametrize("table", ["apikeys_apikey", "audit_auditevent"])
def test_postgres_refuses_truncate(deleted, table):
    # The foreign-key checks of the rows just made must run first, or TRUNCATE refuses for that reason.
    assert _refused(("SET CONSTRAINTS ALL IMMEDIATE", []), (f"TRUNCATE {table} CASCADE", []))
    assert ApiKey.objects.count() == 1


def test_an_audit_entry_cannot_be_deleted(deleted):
    assert _refused(("DELETE FROM audit_auditevent", []))


def test_the_guards_are_back_after_the_test_flush(deleted):
    """tests/conftest.py lifts the DELETE/TRUNCATE guards for pytest-django's flush only."""
    key, _token = deleted
    connection.ops.execute_sql_flush([])
    assert _refused(("DELETE FROM apikeys_apikey WHERE id = %s", [key.pk]))
    if connection.vendor == "postgresql":
        assert _refused(("SET CONSTRAINTS ALL IMMEDIATE", []), ("TRUNCATE apikeys_apikey CASCADE", []))
