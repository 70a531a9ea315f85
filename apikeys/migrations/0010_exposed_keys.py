"""A key reported as exposed is deleted without an actor, and the audit log gets its own action (its choice: 0011).

The check `apikey_revoked_has_actor` required `revoked_by` whenever `revoked_at` is set. A token
reported to the public revocation endpoint or by a secret-scanning alert is revoked by nobody of the
bank or of the customer, so a null actor is now allowed with one reason only, `EXPOSED_REASON`
(«reported as exposed»); the reporter's address and where the token was found are in the audit log.

On SQLite, changing a check constraint rebuilds the table, which drops its triggers: the final-state
guard of 0002 and the hand-written index of 0009 are created again afterwards (PostgreSQL keeps both).
"""

import importlib

from django.conf import settings
from django.db import migrations, models

EXPOSED_REASON = "reported as exposed"
_guard = importlib.import_module("apikeys.migrations.0002_final_states_guard")
_indexes = importlib.import_module("apikeys.migrations.0009_key_list_order_indexes")


def _restore_sqlite_guard(apps, schema_editor):
    """What SQLite's rebuild of the table dropped and Django's state does not know: the final-state
    guard (0002) and the ended-list index written by hand (0009)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(_guard.SQLITE_DOWN, params=None)
    schema_editor.execute(_guard.SQLITE_UP, params=None)
    schema_editor.execute(f'DROP INDEX IF EXISTS "{_indexes.ENDED_INDEX}"')
    _indexes.create_ended_index(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("apikeys", "0009_key_list_order_indexes"),
        ("users", "0002_outbox_and_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Reversed last: the guard again after the old constraint's rebuild.
        migrations.RunPython(migrations.RunPython.noop, _restore_sqlite_guard),
        migrations.RemoveConstraint(
            model_name="apikey",
            name="apikey_revoked_has_actor",
        ),
        migrations.AddConstraint(
            model_name="apikey",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("revoked_at__isnull", True),
                    ("revoked_by__isnull", False),
                    models.Q(("revoke_reason", EXPOSED_REASON), ("revoked_by__isnull", True)),
                    _connector="OR",
                ),
                name="apikey_revoked_has_actor",
            ),
        ),
        migrations.RunPython(_restore_sqlite_guard, migrations.RunPython.noop),
    ]
