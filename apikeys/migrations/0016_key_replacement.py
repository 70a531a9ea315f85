"""«Replace»: the key a new key replaces, and when the replaced key stops working.

Adding the two columns is a plain ALTER TABLE on SQLite too (nullable, no default; the one-successor
rule is a partial unique index), so the table's triggers stay. Unapplying removes a foreign key,
which SQLite does by rebuilding the table, and a rebuilt table has lost its triggers: the first and
the last operation keep them (the last one, run first when unapplying, remembers them; the first one,
run last, puts back whichever are missing).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "apikeys_apikey"
_kept_triggers: list[tuple[str, str]] = []


def _remember_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            _kept_triggers[:] = cursor.fetchall()


def _restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            present = {row[0] for row in cursor.fetchall()}
        for name, sql in _kept_triggers:
            if name not in present:
                schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('apikeys', '0015_audit_actions_of_policy'),
        ('users', '0003_organization_keys_suspended'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _restore_triggers),
        migrations.AddField(
            model_name='apikey',
            name='ends_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='replaced, stops working on'),
        ),
        migrations.AddField(
            model_name='apikey',
            name='replaces',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replacements', to='apikeys.apikey', verbose_name='replaces'),
        ),
        migrations.AddConstraint(
            model_name='apikey',
            constraint=models.UniqueConstraint(condition=models.Q(('replaces__isnull', False)), fields=('replaces',), name='apikey_one_replacement'),
        ),
        migrations.RunPython(migrations.RunPython.noop, _remember_triggers),
    ]
