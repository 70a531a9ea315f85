"""The days' counts (`KeyUsageDay`) kept by the database: every change of an hourly count (`KeyUsage`:
an INSERT, or the UPDATE of an upsert that adds) adds the same difference to its day's row, in the same
statement, whoever writes it. The day is that of the Swiss calendar: `TIME_ZONE` on PostgreSQL; on
SQLite the process's local time, which Django sets to `TIME_ZONE` in every process it configures
(`TZ`). A key's hourly row deleted (pruning, a deleted key) leaves its day: the days are pruned by
their own date."""

from django.conf import settings
from django.db import migrations

DAY = "apikeys_keyusageday"
COLUMNS = '(api_key_id, day, operation, outcome, "count")'
ADD = f'ON CONFLICT (api_key_id, day, operation, outcome) DO UPDATE SET "count" = {DAY}."count" + excluded."count"'

SQLITE_UP = [
    f"""CREATE TRIGGER apikeys_usage_day_insert AFTER INSERT ON apikeys_keyusage FOR EACH ROW
BEGIN
    INSERT INTO {DAY} {COLUMNS}
    VALUES (NEW.api_key_id, date(NEW.hour, 'localtime'), NEW.operation, NEW.outcome, NEW."count") {ADD};
END;""",
    f"""CREATE TRIGGER apikeys_usage_day_update AFTER UPDATE OF "count" ON apikeys_keyusage FOR EACH ROW
BEGIN
    INSERT INTO {DAY} {COLUMNS}
    VALUES (NEW.api_key_id, date(NEW.hour, 'localtime'), NEW.operation, NEW.outcome, NEW."count" - OLD."count")
    {ADD};
END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS apikeys_usage_day_insert;", "DROP TRIGGER IF EXISTS apikeys_usage_day_update;"]

POSTGRES_UP = f"""
CREATE FUNCTION apikeys_usage_day_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added bigint := NEW."count" - CASE WHEN TG_OP = 'UPDATE' THEN OLD."count" ELSE 0 END;
BEGIN
    INSERT INTO {DAY} {COLUMNS}
    VALUES (NEW.api_key_id, (NEW.hour AT TIME ZONE '{settings.TIME_ZONE}')::date, NEW.operation, NEW.outcome, added)
    {ADD};
    RETURN NULL;
END
$$;
CREATE TRIGGER apikeys_usage_day_add AFTER INSERT OR UPDATE OF "count" ON apikeys_keyusage
    FOR EACH ROW EXECUTE FUNCTION apikeys_usage_day_add();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS apikeys_usage_day_add ON apikeys_keyusage;
DROP FUNCTION IF EXISTS apikeys_usage_day_add();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"no usage-day trigger for {schema_editor.connection.vendor}")
        for statement in [sql] if isinstance(sql, str) else sql:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0031_key_usage_per_day_backfill")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
