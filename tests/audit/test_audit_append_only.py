"""The audit log is append-only: the model, its queryset and the database refuse changes.

The database refuses every UPDATE except the growth of a failed-authentication counter, and every
DELETE (on SQLite too since `0012_keys_kept_forever`; tests/conftest.py lifts that guard for
pytest-django's flush only).
"""

import pytest
from django.db import IntegrityError, connection, transaction

from apikeys.activity import record_auth_failure
from audit.models import Action, AppendOnly, AuditEvent


@pytest.fixture
def entry(alice_key):
    return AuditEvent.objects.get(action=Action.KEY_CREATED)


def _table():
    return connection.ops.quote_name(AuditEvent._meta.db_table)


def test_the_model_refuses_to_save_a_changed_entry(entry):
    entry.ip = "192.0.2.99"
    with pytest.raises(AppendOnly):
        entry.save()
    assert AuditEvent.objects.get(pk=entry.pk).ip is None


def test_the_model_and_the_queryset_refuse_deletion(entry):
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=entry.pk).delete()
    assert AuditEvent.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_an_update(entry):
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=entry.pk).update(actor=None)


@pytest.mark.parametrize(
    ("column", "value"), [("ip", "'192.0.2.99'"), ("actor_id", "NULL"), ("action", "'login'"), ("details", "'{}'")]
)
def test_the_database_refuses_an_update_behind_the_orm(entry, column, value):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET {column} = {value} WHERE id = %s", [entry.pk])  # noqa: S608
    assert AuditEvent.objects.get(pk=entry.pk).details == entry.details


def test_the_database_lets_a_failure_counter_grow_and_nothing_else(alice_key):
    key, _token = alice_key
    record_auth_failure(key_id=key.key_id, reason="unknown")
    row = AuditEvent.objects.get(action=Action.AUTH_FAILED)
    forbidden_changes = [
        '"count" = "count" - 1',
        "\"key_id\" = 'aaaaaaaaaaaa'",
        '"at" = \'2000-01-01 00:00:00\', "count" = 9',
    ]
    for forbidden in forbidden_changes:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {_table()} SET {forbidden} WHERE id = %s", [row.pk])  # noqa: S608
    record_auth_failure(key_id=key.key_id, reason="unknown")
    assert AuditEvent.objects.get(pk=row.pk).count == 2


def test_the_database_refuses_a_delete_behind_the_orm(entry):
    """On SQLite too since `0012_keys_kept_forever` (tests/conftest.py lifts the guard for pytest-django's
    flush only)."""
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE id = %s", [entry.pk])  # noqa: S608
    assert AuditEvent.objects.filter(pk=entry.pk).exists()
