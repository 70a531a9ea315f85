"""The audit log, and the database's refusal to change it.

An UPDATE of an audit entry fails with an IntegrityError, whatever writes to the table, except on a
failed-authentication row (one per key and hour) whose counter grows and whose `last_at` and
`details` follow the latest failure. On PostgreSQL a DELETE fails too. On SQLite DELETE is not
guarded: pytest-django empties tables of transactional tests (live-server browser tests) with
DELETE there, while PostgreSQL uses TRUNCATE, which fires no row trigger; the model and its
queryset refuse deletion on both.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MESSAGE = "apikeys: the audit log is append-only"

# Columns that no UPDATE may change; `count` may only grow, `last_at` and `details` may follow.
FROZEN = ["id", "at", "action", "actor_id", "username", "subject_id", "organization_id", "key_id", "ip", "hour"]

SQLITE_UP = f"""
CREATE TRIGGER apikeys_audit_append_only BEFORE UPDATE ON apikeys_auditevent
FOR EACH ROW WHEN OLD.action <> 'auth_failed' OR NEW."count" <= OLD."count"
    OR {" OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in FROZEN)}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS apikeys_audit_append_only;"

POSTGRES_UP = f"""
CREATE FUNCTION apikeys_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{MESSAGE} (entry %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.action <> 'auth_failed' OR NEW."count" <= OLD."count"
        OR {" OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in FROZEN)}
    THEN
        RAISE EXCEPTION '{MESSAGE} (entry %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER apikeys_audit_append_only BEFORE UPDATE OR DELETE ON apikeys_auditevent
    FOR EACH ROW EXECUTE FUNCTION apikeys_audit_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS apikeys_audit_append_only ON apikeys_auditevent;
DROP FUNCTION IF EXISTS apikeys_audit_append_only();
"""


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql is None:
            raise RuntimeError(f"no audit-log guard for {schema_editor.connection.vendor}")
        schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('apikeys', '0002_final_states_guard'),
        ('users', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='time')),
                ('action', models.CharField(choices=[('key_created', 'Key created'), ('key_deleted', 'Key deleted'), ('key_revoked', 'Key revoked by bank support'), ('auth_failed', 'Failed API authentication'), ('login', 'Login'), ('login_failed', 'Failed login'), ('locked_out', 'Login locked')], editable=False, max_length=20, verbose_name='action')),
                ('username', models.CharField(blank=True, editable=False, max_length=150, verbose_name='user identification')),
                ('key_id', models.CharField(blank=True, editable=False, max_length=12, verbose_name='key ID')),
                ('ip', models.GenericIPAddressField(blank=True, editable=False, null=True, verbose_name='IP address')),
                ('details', models.JSONField(blank=True, default=dict, editable=False, verbose_name='details')),
                ('hour', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='hour')),
                ('count', models.PositiveIntegerField(default=1, editable=False, verbose_name='count')),
                ('last_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last time')),
                ('actor', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('organization', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='users.organization', verbose_name='organization')),
                ('subject', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='for user')),
            ],
            options={
                'verbose_name': 'audit entry',
                'verbose_name_plural': 'audit log',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['organization', '-at'], name='audit_org_time'), models.Index(fields=['key_id'], name='audit_key_id')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('action', 'auth_failed')), fields=('key_id', 'hour'), name='audit_auth_failed_key_hour'), models.CheckConstraint(condition=models.Q(models.Q(('action', 'auth_failed'), ('hour__isnull', False)), models.Q(models.Q(('action', 'auth_failed'), _negated=True), ('count', 1), ('hour__isnull', True)), _connector='OR'), name='audit_counter_only_for_auth_failures')],
            },
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
