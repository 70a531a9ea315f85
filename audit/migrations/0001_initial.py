"""The audit log moves from apikeys to its own app without touching a row.

State only: the model is created in audit's state on the table apikeys made (`db_table`), then
removed from apikeys' state (apikeys `audit_log_leaves_apikeys`); the next migration of this app
renames the table, which keeps every row, constraint, index and trigger (ALTER TABLE … RENAME on
SQLite and PostgreSQL), the append-only guards included.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('apikeys', '0019_key_list_counts_index'),
        ('users', '0004_email_changed_by_staff_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='time')),
                        ('action', models.CharField(choices=[('key_created', 'Key created'), ('key_deleted', 'Key deleted'), ('key_replaced', 'Key replaced'), ('key_revoked', 'Key revoked by bank support'), ('key_exposed', 'Key deleted: reported as exposed'), ('auth_failed', 'Failed API authentication'), ('key_in_url', 'Key sent in a URL'), ('login', 'Login'), ('login_failed', 'Failed login'), ('locked_out', 'Login locked'), ('policy_changed', 'Security policy changed'), ('policy_requested', 'Security policy change requested'), ('policy_approved', 'Security policy change approved'), ('policy_rejected', 'Security policy change rejected'), ('key_approved', 'Key approved'), ('key_rejected', 'Key rejected'), ('approval_lapsed', 'Key deleted: not approved in time'), ('key_networks', 'Allowed networks of a key changed'), ('keys_suspended', 'All keys suspended'), ('keys_resumed', 'All keys resumed'), ('user_added', 'User added by bank support'), ('admin_granted', 'Admin flag granted by bank support'), ('admin_withdrawn', 'Admin flag withdrawn by bank support'), ('user_deactivated', 'User deactivated by bank support'), ('user_reactivated', 'User reactivated by bank support'), ('user_moved_out', 'User moved to another organization by bank support'), ('user_moved_in', 'User moved here by bank support'), ('user_changed', 'User details changed by bank support'), ('password_link_sent', 'Set-password link sent by bank support')], editable=False, max_length=20, verbose_name='action')),
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
                        'db_table': 'apikeys_auditevent',
                        'ordering': ['-at', '-id'],
                        'indexes': [models.Index(fields=['organization', '-at'], name='audit_org_time'), models.Index(fields=['key_id'], name='audit_key_id')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('action', 'auth_failed')), fields=('key_id', 'hour'), name='audit_auth_failed_key_hour'), models.CheckConstraint(condition=models.Q(models.Q(('action', 'auth_failed'), ('hour__isnull', False)), models.Q(models.Q(('action', 'auth_failed'), _negated=True), ('count', 1), ('hour__isnull', True)), _connector='OR'), name='audit_counter_only_for_auth_failures')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
