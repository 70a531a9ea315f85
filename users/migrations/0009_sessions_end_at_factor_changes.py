"""A user's sessions end when their second factor is reset or removed (`User.sessions_epoch`, read by
the session hash).

On SQLite, adding a NOT NULL column rebuilds the table, and a rebuilt table has lost its triggers:
the technical users' guard (`users_technical_user_fixed`, migration 0008) is put back after it.
"""

from importlib import import_module

from django.db import migrations, models


def _restore_technical_user_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'users_technical_user_fixed'")
        if cursor.fetchone():
            return
    schema_editor.execute(import_module("users.migrations.0008_technical_users").SQLITE_UP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0008_technical_users'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='sessions_epoch',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(_restore_technical_user_guard, migrations.RunPython.noop),
    ]
