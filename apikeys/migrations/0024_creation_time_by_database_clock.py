"""The database bounds a key's creation time with its own clock.

The CHECK `apikey_valid_at_most_two_years` measures the two years from `created_at`, and `created_at`
came from whoever wrote the row: an INSERT dated 2097 could carry a validity until 2099. This trigger
refuses an INSERT whose `created_at` lies more than a few minutes (`TOLERANCE`, the app servers'
clocks against the database's) after the database's own time, so that no key gets more than two
years from the moment it was stored. UPDATE already refuses any change of `created_at`
(`apikeys_guard_final_states`, 0002).
"""

from django.db import migrations

MESSAGE = "apikeys: a key cannot be created in the future"
TOLERANCE_MINUTES = 5

# Django stores a datetime on SQLite as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'; datetime('now') is
# UTC in the same form, so the text compares as the time does.
SQLITE_UP = f"""
CREATE TRIGGER apikeys_guard_creation_time BEFORE INSERT ON apikeys_apikey
FOR EACH ROW WHEN NEW.created_at > datetime('now', '+{TOLERANCE_MINUTES} minutes')
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS apikeys_guard_creation_time;"

# clock_timestamp(), not now(): a transaction held open for days must not move the bound.
POSTGRES_UP = f"""
CREATE FUNCTION apikeys_guard_creation_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.created_at IS NULL OR NEW.created_at > clock_timestamp() + INTERVAL '{TOLERANCE_MINUTES} minutes' THEN
        RAISE EXCEPTION '{MESSAGE} (key %, created %)', NEW.key_id, NEW.created_at
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apikeys_guard_creation_time BEFORE INSERT ON apikeys_apikey
    FOR EACH ROW EXECUTE FUNCTION apikeys_guard_creation_time();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS apikeys_guard_creation_time ON apikeys_apikey;
DROP FUNCTION IF EXISTS apikeys_guard_creation_time();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"no creation-time guard for {schema_editor.connection.vendor}")
        schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0023_replacement_waits_for_approval")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
