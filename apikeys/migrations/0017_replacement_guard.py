"""The database itself keeps the end of a replaced key's overlap final.

Once «Replace» has set `ends_at` (when the old key stops working), no UPDATE may clear it or move it
later, and the key a replacement replaces (`replaces_id`) never changes: a screen, the Django admin,
a stale model instance or a shell gets an IntegrityError. Moving the end earlier stays possible (it
only shortens the overlap). A trigger of its own beside `apikeys_guard_final_states` (0002), so that
the two rules can be changed apart.
"""

from django.db import migrations

MESSAGE = "apikeys: the end of a replaced key cannot be cleared or postponed"

SQLITE_UP = f"""
CREATE TRIGGER apikeys_guard_replacement BEFORE UPDATE ON apikeys_apikey
FOR EACH ROW WHEN
    (OLD.ends_at IS NOT NULL AND (NEW.ends_at IS NULL OR NEW.ends_at > OLD.ends_at))
    OR NEW.replaces_id IS NOT OLD.replaces_id
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS apikeys_guard_replacement;"

POSTGRES_UP = f"""
CREATE FUNCTION apikeys_guard_replacement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.ends_at IS NOT NULL AND (NEW.ends_at IS NULL OR NEW.ends_at > OLD.ends_at))
        OR NEW.replaces_id IS DISTINCT FROM OLD.replaces_id
    THEN
        RAISE EXCEPTION '{MESSAGE} (key %)', OLD.key_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apikeys_guard_replacement BEFORE UPDATE ON apikeys_apikey
    FOR EACH ROW EXECUTE FUNCTION apikeys_guard_replacement();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS apikeys_guard_replacement ON apikeys_apikey;
DROP FUNCTION IF EXISTS apikeys_guard_replacement();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"no replacement guard for {schema_editor.connection.vendor}")
        schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0016_key_replacement")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
