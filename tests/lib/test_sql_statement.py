"""`efinance.lib.sql.Statement.fetchone`: the driver's cursor when nothing observes the statements,
Django's cursor when something does, the same rows either way, and Django's errors in both."""

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.backends import utils as backend_utils
from django.db.transaction import TransactionManagementError

from apikeys import sql
from apikeys.models import Api, ApiKey
from efinance.lib.sql import KEPT_CURSOR_VENDORS, Statement, _kept_cursor, quoted_table
from tests.conftest import statements_run


@contextmanager
def django_cursor_refused():
    """Django's cursor wrapper raises if used: what still works went through the driver's cursor."""

    def refuse(*args, **kwargs):
        raise AssertionError("Django's cursor wrapper was used")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backend_utils.CursorWrapper, "execute", refuse)
        yield


def test_without_observers_the_row_comes_from_the_drivers_cursor(alice_key):
    key, token = alice_key
    with django_cursor_refused():
        row = sql.VERIFY.fetchone([key.key_id])
        assert ApiKey.objects.verify_token(token, api=Api.INTEGRATION).ok
    assert row["pk"] == key.pk


def test_an_observer_sees_the_statement_and_gets_the_same_row(alice_key):
    key, _token = alice_key
    direct = sql.VERIFY.fetchone([key.key_id])
    with statements_run() as statements:
        observed = sql.VERIFY.fetchone([key.key_id])
    assert statements == [sql.VERIFY.text]
    assert observed == direct
    assert set(observed) >= {"pk", "secret_hash", "api", "valid_until", "username", "organization_name"}


def test_no_row_is_none_on_both_paths(db):
    assert sql.VERIFY.fetchone(["no-such-key"]) is None
    with statements_run():
        assert sql.VERIFY.fetchone(["no-such-key"]) is None


def test_database_errors_are_djangos_on_the_drivers_path(transactional_db):
    broken = Statement(lambda: f"SELECT no_such_column FROM {quoted_table(ApiKey)} WHERE id = %s")  # noqa: S608
    with django_cursor_refused(), pytest.raises(DatabaseError):
        broken.fetchone([1])


def test_a_broken_transaction_is_refused_as_by_djangos_cursor(alice_key):
    key, _token = alice_key
    with transaction.atomic():
        connection.needs_rollback = True
        with pytest.raises(TransactionManagementError):
            sql.VERIFY.fetchone([key.key_id])
        connection.needs_rollback = False


def test_a_statement_with_a_literal_percent_is_refused_before_it_reaches_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("the placeholders are converted for SQLite only")
    with pytest.raises(ValueError, match="literal %"):
        Statement(lambda: "SELECT '100%%' WHERE 1 = %s").fetchone([1])


def test_a_statement_works_on_after_the_connection_was_closed(transactional_db):
    """PostgreSQL keeps one driver cursor per connection: after a reconnection it is a new one."""
    one = Statement(lambda: "SELECT 1 AS one WHERE 1 = %s")
    assert one.fetchone([1]) == {"one": 1}
    connection.close()
    assert one.fetchone([1]) == {"one": 1}
    assert one.fetchone([2]) is None


def test_the_kept_cursor_belongs_to_the_current_connection(db):
    if connection.vendor not in KEPT_CURSOR_VENDORS:
        pytest.skip("SQLite's cursors are not kept")
    sql.VERIFY.fetchone(["no-such-key"])
    kept = _kept_cursor(connection)
    assert _kept_cursor(connection) is kept
    connection._efinance_statement_cursor = (object(), kept)  # what a reconnection leaves behind
    assert _kept_cursor(connection) is not kept
    renewed = _kept_cursor(connection)
    renewed.close()
    assert _kept_cursor(connection) is not renewed


def test_the_verification_finds_the_key_by_its_index_and_reads_every_state_back(alice_key):
    """On SQLite the selected columns are `+column` expressions (no converter looked up for them); the
    WHERE clause keeps the bare column, so the key is still found by the key ID's index, and the values
    read as SQLite holds them still give the key's state, dates and times."""
    key, token = alice_key
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql.VERIFY.text, [key.key_id])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING INDEX" in plan.split("SEARCH k")[1].split("SEARCH")[0]
        assert "+k." in sql.VERIFY.text.split(" FROM ")[0]
        assert "+" not in sql.VERIFY.text.split(" WHERE ")[1]
    used = ApiKey.objects.verify_token(token, api=Api.INTEGRATION)
    ApiKey.objects.record_use(used, "192.0.2.1")
    verification = ApiKey.objects.verify_token(token, api=Api.INTEGRATION)
    key.refresh_from_db()
    assert verification.ok
    assert verification.valid_until == key.valid_until
    assert verification.last_used_at == key.last_used_at
    assert verification.last_used_at.tzinfo is not None
    assert verification.ends_at is None
