"""The PostgreSQL rights of the app's role (docs/operations/database.md, deploy/postgresql-grants.sql).

The test role may not create roles, so the script is run for the test role itself, inside a
transaction that is rolled back: an owner's own rights can be revoked from it, and what the script
leaves is what the app's role gets.
"""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="rights are PostgreSQL's")

SCRIPT = settings.BASE_DIR / "deploy" / "postgresql-grants.sql"


def _privilege(cursor, table: str, privilege: str) -> bool:
    cursor.execute("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege])
    return cursor.fetchone()[0]


def _refused(cursor, statement: str) -> str:
    try:
        with transaction.atomic():
            cursor.execute(statement)
    except DatabaseError as error:
        return str(error)
    return ""


def test_the_grant_script_leaves_no_delete_or_truncate_of_keys_and_audit_entries(db, alice_key):
    script = SCRIPT.read_text().replace("efinance_app", "CURRENT_USER")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(script)
        for table in ("apikeys_apikey", "audit_auditevent"):
            for needed in ("SELECT", "INSERT", "UPDATE"):
                assert _privilege(cursor, table, needed), (table, needed)
            for forbidden in ("DELETE", "TRUNCATE"):
                assert not _privilege(cursor, table, forbidden), (table, forbidden)
        assert _privilege(cursor, "django_session", "DELETE")  # logout, clearsessions
        assert _privilege(cursor, "billing_authfailurecounter", "DELETE")  # pruning
        assert "permission denied" in _refused(cursor, "DELETE FROM apikeys_apikey")
        assert "permission denied" in _refused(cursor, "TRUNCATE audit_auditevent CASCADE")
        transaction.set_rollback(True)
