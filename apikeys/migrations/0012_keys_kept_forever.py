"""Keys are kept for ever, and nothing about a key's identity can be rewritten — in the database itself.

Someone with the database (a shell, a stolen connection, a migration gone wrong) could revive a deleted
key by deleting its row and inserting it again, foreign keys deferred, or give a key a validity of
2099-12-31 the same way; SQLite's ``INSERT OR REPLACE`` (``REPLACE INTO``) deletes the row it replaces
without firing any DELETE trigger. This migration makes the database refuse, on SQLite and PostgreSQL:

- every DELETE of a key row (``apikeys_keep_rows``); PostgreSQL also every TRUNCATE, which fires no row
  trigger (``apikeys_no_truncate``, also on the audit log, whose DELETE 0004 already refuses there);
- every INSERT whose id, key ID, secret hash or form nonce is already taken (``apikeys_guard_insert``): this stops a
  replace (SQLite's ``INSERT OR REPLACE``) and an ``INSERT … ON CONFLICT DO UPDATE`` upsert before they
  touch the row (BEFORE INSERT triggers fire before the conflict is resolved, on both databases);
- an UPDATE of the id or the form nonce (``UPDATE OR REPLACE`` could otherwise delete the row whose
  value it takes), besides what 0002 already refuses (a deletion cleared or rewritten, a validity
  extended, the key ID, secret hash, API, user, organization, creator or creation time changed);
- a validity end more than two years (and a day) after creation: the CHECK ``apikey_valid_at_most_two_years``;
- a second row with the same secret hash (``apikey_unique_secret_hash``): the hash does not depend on
  the key ID, so copying a deleted key's hash into a new row under a new key ID would revive its secret.
  A new row with a made-up creation time needs a secret whose HMAC only the app can compute
  (`API_KEY_PEPPER` is not in the database), so the bound is not tied to the database's clock.

SQLite also refuses a DELETE of an audit entry now (PostgreSQL did since 0004). pytest-django empties the
tables of transactional tests with DELETE (SQLite) or TRUNCATE (PostgreSQL): `tests/conftest.py` lifts
these guards around that flush, in tests only; production has no way around them but DROP TRIGGER,
which needs the table's owner — the app's role must not be it (docs/operations/database.md).

On SQLite, AddConstraint rebuilds the table, which drops its triggers: the guards are created (again)
after it, 0002's update guard in its extended form.
"""

from django.db import migrations, models

import apikeys.models

KEYS = "apikeys: keys are kept for ever, deleted and expired keys are final, key material is immutable"
AUDIT = "apikeys: audit entries are append-only"

SQLITE_UPDATE_GUARD = f"""
CREATE TRIGGER apikeys_guard_final_states BEFORE UPDATE ON apikeys_apikey
FOR EACH ROW WHEN
    (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NOT OLD.revoked_at
        OR NEW.revoked_by_id IS NOT OLD.revoked_by_id OR NEW.revoke_reason IS NOT OLD.revoke_reason))
    OR NEW.valid_until > OLD.valid_until OR date(NEW.valid_until) IS NOT NEW.valid_until
    OR NEW.id IS NOT OLD.id OR NEW.form_nonce IS NOT OLD.form_nonce
    OR NEW.key_id IS NOT OLD.key_id OR NEW.secret_hash IS NOT OLD.secret_hash OR NEW.api IS NOT OLD.api
    OR NEW.user_id IS NOT OLD.user_id OR NEW.organization_id IS NOT OLD.organization_id
    OR NEW.created_by_id IS NOT OLD.created_by_id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, '{KEYS}');
END;
"""
# 0002's version, for the way back.
SQLITE_UPDATE_GUARD_0002 = f"""
CREATE TRIGGER apikeys_guard_final_states BEFORE UPDATE ON apikeys_apikey
FOR EACH ROW WHEN
    (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NOT OLD.revoked_at
        OR NEW.revoked_by_id IS NOT OLD.revoked_by_id OR NEW.revoke_reason IS NOT OLD.revoke_reason))
    OR NEW.valid_until > OLD.valid_until
    OR NEW.key_id IS NOT OLD.key_id OR NEW.secret_hash IS NOT OLD.secret_hash OR NEW.api IS NOT OLD.api
    OR NEW.user_id IS NOT OLD.user_id OR NEW.organization_id IS NOT OLD.organization_id
    OR NEW.created_by_id IS NOT OLD.created_by_id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, '{KEYS}');
END;
"""
# In a BEFORE INSERT trigger SQLite gives NEW.id = -1 for an id still to be assigned: only a given one is looked up.
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS apikeys_guard_final_states;",
    SQLITE_UPDATE_GUARD,
    f"""
CREATE TRIGGER apikeys_guard_insert BEFORE INSERT ON apikeys_apikey
FOR EACH ROW WHEN
    (NEW.id > 0 AND EXISTS (SELECT 1 FROM apikeys_apikey WHERE id = NEW.id))
    OR EXISTS (SELECT 1 FROM apikeys_apikey WHERE key_id = NEW.key_id OR secret_hash = NEW.secret_hash)
    OR (NEW.form_nonce IS NOT NULL AND EXISTS (SELECT 1 FROM apikeys_apikey WHERE form_nonce = NEW.form_nonce))
    -- SQLite stores any text: a creation time or validity that is no date would make the CHECK NULL (passed)
    OR datetime(NEW.created_at) IS NULL OR date(NEW.valid_until) IS NOT NEW.valid_until
BEGIN
    SELECT RAISE(ABORT, '{KEYS}');
END;
""",
    f"""
CREATE TRIGGER apikeys_keep_rows BEFORE DELETE ON apikeys_apikey
BEGIN
    SELECT RAISE(ABORT, '{KEYS}');
END;
""",
    f"""
CREATE TRIGGER apikeys_audit_keep_rows BEFORE DELETE ON apikeys_auditevent
BEGIN
    SELECT RAISE(ABORT, '{AUDIT}');
END;
""",
]
# SQLite's rebuild of the table (AddConstraint) also drops the ended-list index that 0009 writes by hand.
SQLITE_ENDED_INDEX = [
    'DROP INDEX IF EXISTS "apikey_org_ended_order";',
    'CREATE INDEX "apikey_org_ended_order" ON "apikeys_apikey" '
    '("organization_id", "revoked_at" DESC, "valid_until" DESC, "id" DESC);',
]
SQLITE_UP += SQLITE_ENDED_INDEX
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS apikeys_audit_keep_rows;",
    "DROP TRIGGER IF EXISTS apikeys_keep_rows;",
    "DROP TRIGGER IF EXISTS apikeys_guard_insert;",
    "DROP TRIGGER IF EXISTS apikeys_guard_final_states;",
    SQLITE_UPDATE_GUARD_0002,
]


def _postgres_update_guard(extra: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION apikeys_guard_final_states() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
            OR NEW.revoked_by_id IS DISTINCT FROM OLD.revoked_by_id
            OR NEW.revoke_reason IS DISTINCT FROM OLD.revoke_reason))
        OR NEW.valid_until > OLD.valid_until{extra}
        OR NEW.key_id IS DISTINCT FROM OLD.key_id OR NEW.secret_hash IS DISTINCT FROM OLD.secret_hash
        OR NEW.api IS DISTINCT FROM OLD.api OR NEW.user_id IS DISTINCT FROM OLD.user_id
        OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
        OR NEW.created_by_id IS DISTINCT FROM OLD.created_by_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
    THEN
        RAISE EXCEPTION '{KEYS} (key %)', OLD.key_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
"""


POSTGRES_UP = [
    _postgres_update_guard("\n        OR NEW.id IS DISTINCT FROM OLD.id OR NEW.form_nonce IS DISTINCT FROM OLD.form_nonce"),
    f"""
CREATE FUNCTION apikeys_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM apikeys_apikey WHERE id = NEW.id OR key_id = NEW.key_id OR secret_hash = NEW.secret_hash
               OR (NEW.form_nonce IS NOT NULL AND form_nonce = NEW.form_nonce))
    THEN
        RAISE EXCEPTION '{KEYS} (key %)', NEW.key_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apikeys_guard_insert BEFORE INSERT ON apikeys_apikey
    FOR EACH ROW EXECUTE FUNCTION apikeys_guard_insert();
""",
    f"""
CREATE FUNCTION apikeys_keep_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{KEYS} (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER apikeys_keep_rows BEFORE DELETE ON apikeys_apikey
    FOR EACH ROW EXECUTE FUNCTION apikeys_keep_rows();
CREATE TRIGGER apikeys_no_truncate BEFORE TRUNCATE ON apikeys_apikey
    FOR EACH STATEMENT EXECUTE FUNCTION apikeys_keep_rows();
CREATE TRIGGER apikeys_no_truncate BEFORE TRUNCATE ON apikeys_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION apikeys_keep_rows();
""",
]
POSTGRES_DOWN = [
    """
DROP TRIGGER IF EXISTS apikeys_no_truncate ON apikeys_auditevent;
DROP TRIGGER IF EXISTS apikeys_no_truncate ON apikeys_apikey;
DROP TRIGGER IF EXISTS apikeys_keep_rows ON apikeys_apikey;
DROP FUNCTION IF EXISTS apikeys_keep_rows();
DROP TRIGGER IF EXISTS apikeys_guard_insert ON apikeys_apikey;
DROP FUNCTION IF EXISTS apikeys_guard_insert();
""",
    _postgres_update_guard(""),
]


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        statements = sql_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no key guards for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("apikeys", "0011_audit_actions"),
    ]

    operations = [
        # Reversed last: what the rebuilds of the way back dropped (0002's guard, 0009's index) again.
        migrations.RunPython(
            migrations.RunPython.noop,
            _run({"sqlite": ["DROP TRIGGER IF EXISTS apikeys_guard_final_states;", SQLITE_UPDATE_GUARD_0002,
                             *SQLITE_ENDED_INDEX], "postgresql": []}),
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.UniqueConstraint(fields=("secret_hash",), name="apikey_unique_secret_hash"),
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.CheckConstraint(
                condition=models.Q(("valid_until__lte", apikeys.models.LatestValidUntilInDatabase("created_at"))),
                name="apikey_valid_at_most_two_years",
            ),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
