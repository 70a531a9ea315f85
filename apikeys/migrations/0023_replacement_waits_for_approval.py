"""A replacement that waits for a second Admin user's approval no longer ends the key it replaces.

The overlap chosen at «Replace» (`replaces_overlap`, on the new key) starts when the new key starts
working: at its approval under four-eyes. A rejected, lapsed or deleted successor leaves its
predecessor working to its own end of validity, and the predecessor may be replaced again: one
successor that is not deleted at a time (`apikey_one_live_replacement`, a partial unique index, which
SQLite changes without rebuilding the table and losing its triggers; the column is nullable without
a default, a plain ALTER TABLE there too).

The replacement guard of 0017 is replaced by one that allows exactly one more change: clearing
`ends_at`, while that end has not come, of a key that is not deleted and has no working successor
(none that is neither deleted nor waiting for approval). Postponing the end, clearing it once it has
come or while a successor works, and changing which key a replacement replaces stay refused.

Replacements made before, whose new key still waits for approval or was rejected, lapsed or deleted,
get the same treatment here: their predecessor's end, not yet come, is cleared (the overlap of a
waiting one kept as its `replaces_overlap`).
"""

import datetime
import importlib

from django.db import migrations, models

_0017 = importlib.import_module("apikeys.migrations.0017_replacement_guard")

MESSAGE = "apikeys: the end of a replaced key can only be cleared while it has not come and no successor works"

# A successor that works: neither deleted nor waiting for approval.
_WORKING_SUCCESSOR = """EXISTS (SELECT 1 FROM apikeys_apikey s WHERE s.replaces_id = OLD.id
        AND s.revoked_at IS NULL AND (s.approval_requested_at IS NULL OR s.approved_at IS NOT NULL))"""

SQLITE_UP = f"""
CREATE TRIGGER apikeys_guard_replacement BEFORE UPDATE ON apikeys_apikey
FOR EACH ROW WHEN
    (OLD.ends_at IS NOT NULL AND NEW.ends_at > OLD.ends_at)
    OR (OLD.ends_at IS NOT NULL AND NEW.ends_at IS NULL AND (
        OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NOT NULL
        OR datetime(OLD.ends_at) <= datetime('now')
        OR {_WORKING_SUCCESSOR}))
    OR NEW.replaces_id IS NOT OLD.replaces_id
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION apikeys_guard_replacement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.ends_at IS NOT NULL AND NEW.ends_at > OLD.ends_at)
        OR (OLD.ends_at IS NOT NULL AND NEW.ends_at IS NULL AND (
            OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NOT NULL
            OR OLD.ends_at <= statement_timestamp()
            OR {_WORKING_SUCCESSOR}))
        OR NEW.replaces_id IS DISTINCT FROM OLD.replaces_id
    THEN
        RAISE EXCEPTION '{MESSAGE} (key %)', OLD.key_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
"""

# The way back: 0017's guard (its function replaced in place on PostgreSQL, its trigger unchanged).
SQLITE_DOWN = _0017.SQLITE_UP
POSTGRES_DOWN = _0017.POSTGRES_UP.split("CREATE TRIGGER")[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in sql_by_vendor:
            raise RuntimeError(f"no replacement guard for {vendor}")
        if vendor == "sqlite":  # SQLite has no CREATE OR REPLACE TRIGGER
            schema_editor.execute(_0017.SQLITE_DOWN, params=None)
        schema_editor.execute(sql_by_vendor[vendor], params=None)

    return run


def _release_waiting_predecessors(apps, schema_editor):
    ApiKey = apps.get_model("apikeys", "ApiKey")
    now = datetime.datetime.now(datetime.UTC)
    for new in ApiKey.objects.filter(
        replaces__isnull=False, replaces__revoked_at__isnull=True, replaces__ends_at__gt=now
    ).select_related("replaces"):
        old = new.replaces
        waiting = new.revoked_at is None and new.approval_requested_at is not None and new.approved_at is None
        if new.revoked_at is None and not waiting:
            continue  # a working successor: the overlap runs as chosen
        if ApiKey.objects.filter(replaces=old, revoked_at__isnull=True).exclude(pk=new.pk).exists():
            continue
        if waiting:
            overlap = max(old.ends_at - new.created_at, datetime.timedelta(0))
            ApiKey.objects.filter(pk=new.pk).update(replaces_overlap=overlap)
        ApiKey.objects.filter(pk=old.pk).update(ends_at=None)


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0022_key_usage_counters")]

    operations = [
        migrations.RemoveConstraint(
            model_name="apikey",
            name="apikey_one_replacement",
        ),
        migrations.AddField(
            model_name="apikey",
            name="replaces_overlap",
            field=models.DurationField(blank=True, editable=False, null=True, verbose_name="overlap after approval"),
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("replaces__isnull", False), ("revoked_at__isnull", True)),
                fields=("replaces",),
                name="apikey_one_live_replacement",
            ),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
        migrations.RunPython(_release_waiting_predecessors, migrations.RunPython.noop),
    ]
