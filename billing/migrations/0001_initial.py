"""The documents and the delivery counter move from apikeys to billing without touching a row.

State only: the models are created in billing's state on the tables apikeys made (`db_table`), then
removed from apikeys' state (apikeys 0007); migration 0002 renames the tables to billing's names,
which keeps every row, constraint and index (ALTER TABLE … RENAME on SQLite and PostgreSQL).
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('apikeys', '0006_delivery_rate_limit'),
        ('users', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Document',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('api', models.CharField(choices=[('production', 'Billing Solutions (production)'), ('integration', 'Billing Solutions Customer Integration')], max_length=20, verbose_name='API')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='delivered on')),
                        ('status', models.CharField(choices=[('received', 'Received'), ('delivered', 'Delivered'), ('rejected', 'Rejected')], default='received', max_length=20, verbose_name='status')),
                        ('invoice_number', models.CharField(max_length=35, verbose_name='invoice number')),
                        ('issue_date', models.DateField(verbose_name='issue date')),
                        ('due_date', models.DateField(verbose_name='due date')),
                        ('currency', models.CharField(choices=[('CHF', 'CHF'), ('EUR', 'EUR')], max_length=3, verbose_name='currency')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=11, verbose_name='amount')),
                        ('recipient_name', models.CharField(max_length=140, verbose_name='recipient name')),
                        ('recipient_ebill_id', models.CharField(blank=True, max_length=17, verbose_name='e-bill recipient ID')),
                        ('recipient_email', models.EmailField(blank=True, max_length=254, verbose_name='recipient e-mail')),
                        ('qr_reference', models.CharField(blank=True, max_length=27, verbose_name='QR reference')),
                        ('free_text', models.CharField(blank=True, max_length=500, verbose_name='free text')),
                        ('idempotency_key', models.CharField(blank=True, editable=False, max_length=255, null=True)),
                        ('request_hash', models.CharField(blank=True, editable=False, max_length=64)),
                        ('api_key', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='apikeys.apikey', verbose_name='API key')),
                        ('delivered_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='delivered by')),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='users.organization', verbose_name='organization')),
                    ],
                    options={
                        'verbose_name': 'document',
                        'verbose_name_plural': 'documents',
                        'db_table': 'apikeys_document',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['organization', 'api', '-created_at'], name='document_org_api_created')],
                        'constraints': [models.UniqueConstraint(fields=('organization', 'api', 'idempotency_key'), name='document_unique_idempotency_key'), models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='document_amount_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='DeliveryCounter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('minute', models.DateTimeField()),
                        ('count', models.PositiveIntegerField(default=1)),
                        ('api_key', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='apikeys.apikey')),
                    ],
                    options={
                        'db_table': 'apikeys_deliverycounter',
                        'constraints': [models.UniqueConstraint(fields=('api_key', 'minute'), name='delivery_counter_key_minute')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
