"""Least privilege: each key's scopes (`documents:read`, `documents:write`), fixed at creation.

Existing keys keep working unchanged: they get both scopes. The column is added with that value as
its default and, on PostgreSQL, the default dropped at once (a new key always names its scopes); the
CHECK `apikey_has_scope` allows only a non-empty set of known scopes in their one spelling.

On SQLite the column, its default and its CHECK are one ALTER TABLE … ADD COLUMN: Django would rebuild
the table for a NOT NULL column and a CHECK, and a rebuilt table has lost its triggers (0012, 0017).
SQLite cannot drop a default, so there it stays (Django always writes the column).

The update guard `apikeys_guard_final_states` (0002, extended by 0012) now also refuses any change of
the scopes: to change them, «Replace» the key.
"""

import importlib

from django.db import migrations, models

guards = importlib.import_module("apikeys.migrations.0012_keys_kept_forever")

BOTH = "documents:read documents:write"
ALLOWED = ("documents:read", "documents:write", BOTH)
CHECK = "CHECK (\"scopes\" IN ({}))".format(", ".join(f"'{value}'" for value in ALLOWED))

_KEPT = "OR NEW.created_by_id IS NOT OLD.created_by_id OR NEW.created_at IS NOT OLD.created_at"
SQLITE_UPDATE_GUARD = guards.SQLITE_UPDATE_GUARD.replace(_KEPT, _KEPT + "\n    OR NEW.scopes IS NOT OLD.scopes")
assert SQLITE_UPDATE_GUARD != guards.SQLITE_UPDATE_GUARD

POSTGRES_EXTRA = "\n        OR NEW.id IS DISTINCT FROM OLD.id OR NEW.form_nonce IS DISTINCT FROM OLD.form_nonce"

SQLITE_UP = [
    f"ALTER TABLE apikeys_apikey ADD COLUMN \"scopes\" varchar(40) NOT NULL DEFAULT '{BOTH}' "
    f"CONSTRAINT \"apikey_has_scope\" {CHECK};",
    "DROP TRIGGER IF EXISTS apikeys_guard_final_states;",
    SQLITE_UPDATE_GUARD,
]
# SQLite drops a column whose only CHECK is its own in place (3.35+), once no trigger names it.
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS apikeys_guard_final_states;",
    guards.SQLITE_UPDATE_GUARD,
    'ALTER TABLE apikeys_apikey DROP COLUMN "scopes";',
]
POSTGRES_UP = [
    f"ALTER TABLE apikeys_apikey ADD COLUMN \"scopes\" varchar(40) NOT NULL DEFAULT '{BOTH}';",
    'ALTER TABLE apikeys_apikey ALTER COLUMN "scopes" DROP DEFAULT;',
    f'ALTER TABLE apikeys_apikey ADD CONSTRAINT "apikey_has_scope" {CHECK};',
    guards._postgres_update_guard(POSTGRES_EXTRA + "\n        OR NEW.scopes IS DISTINCT FROM OLD.scopes"),
]
POSTGRES_DOWN = [
    guards._postgres_update_guard(POSTGRES_EXTRA),
    'ALTER TABLE apikeys_apikey DROP CONSTRAINT "apikey_has_scope";',
    'ALTER TABLE apikeys_apikey DROP COLUMN "scopes";',
]


def _up(apps, schema_editor):
    statements = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(schema_editor.connection.vendor)
    if statements is None:
        raise RuntimeError(f"no key scopes for {schema_editor.connection.vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def _down(apps, schema_editor):
    statements = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}[schema_editor.connection.vendor]
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0020_audit_log_leaves_apikeys")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="apikey",
                    name="scopes",
                    field=models.CharField(default=BOTH, editable=False, max_length=40, verbose_name="scopes"),
                ),
                migrations.AddConstraint(
                    model_name="apikey",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("scopes__in", list(ALLOWED))), name="apikey_has_scope"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_up, _down)],
        ),
    ]
