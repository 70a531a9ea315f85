"""The database itself refuses to bring a deleted or expired key back.

Deleted and expired are final states (docs/rules.md, rules 6 and S): whatever writes to the table — a screen, the Django
admin, a model save from a stale instance, a shell — an UPDATE that clears or changes a revocation,
extends the validity, or changes the key material, user or organization fails with an IntegrityError.
"""

from django.db import migrations

MESSAGE = "apikeys: deleted and expired keys are final, key material is immutable"

SQLITE_UP = f"""
CREATE TRIGGER apikeys_guard_final_states BEFORE UPDATE ON apikeys_apikey
FOR EACH ROW WHEN
    (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS NOT OLD.revoked_at
        OR NEW.revoked_by_id IS NOT OLD.revoked_by_id OR NEW.revoke_reason IS NOT OLD.revoke_reason))
    OR NEW.valid_until > OLD.valid_until
    OR NEW.key_id IS NOT OLD.key_id OR NEW.secret_hash IS NOT OLD.secret_hash OR NEW.api IS NOT OLD.api
    OR NEW.user_id IS NOT OLD.user_id OR NEW.organization_id IS NOT OLD.organization_id
    OR NEW.created_by_id IS NOT OLD.created_by_id OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS apikeys_guard_final_states;"

POSTGRES_UP = f"""
CREATE FUNCTION apikeys_guard_final_states() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
            OR NEW.revoked_by_id IS DISTINCT FROM OLD.revoked_by_id
            OR NEW.revoke_reason IS DISTINCT FROM OLD.revoke_reason))
        OR NEW.valid_until > OLD.valid_until
        OR NEW.key_id IS DISTINCT FROM OLD.key_id OR NEW.secret_hash IS DISTINCT FROM OLD.secret_hash
        OR NEW.api IS DISTINCT FROM OLD.api OR NEW.user_id IS DISTINCT FROM OLD.user_id
        OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
        OR NEW.created_by_id IS DISTINCT FROM OLD.created_by_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
    THEN
        RAISE EXCEPTION '{MESSAGE} (key %)', OLD.key_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apikeys_guard_final_states BEFORE UPDATE ON apikeys_apikey
    FOR EACH ROW EXECUTE FUNCTION apikeys_guard_final_states();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS apikeys_guard_final_states ON apikeys_apikey;
DROP FUNCTION IF EXISTS apikeys_guard_final_states();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"no final-state guard for {schema_editor.connection.vendor}")
        schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
