"""A database of the old layout (documents and the delivery counter in apikeys, the audit log in
apikeys) migrated to the new one (in billing, in audit) keeps every row, constraint and trigger: on
SQLite and PostgreSQL, with real rows."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apikeys.models import ApiKey
from audit.models import AuditEvent
from billing.models import DeliveryCounter, Document

# The last migrations before billing existed: apikeys held the documents and the delivery counter.
OLD_LAYOUT = [("users", "0001_initial"), ("apikeys", "0006_delivery_rate_limit"), ("billing", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_rows(apps):
    """One of everything the old layout stored, through its historical models."""
    Organization, User = apps.get_model("users", "Organization"), apps.get_model("users", "User")
    ApiKeyOld, DocumentOld = apps.get_model("apikeys", "ApiKey"), apps.get_model("apikeys", "Document")
    CounterOld, AuditOld = apps.get_model("apikeys", "DeliveryCounter"), apps.get_model("apikeys", "AuditEvent")
    organization = Organization.objects.create(name="Migrated AG")
    user = User.objects.create(username="migrated-admin", organization=organization, is_org_admin=True, password="!")
    now = timezone.now().replace(microsecond=0)
    key = ApiKeyOld.objects.create(
        key_id="migratedkey2",
        secret_hash="0" * 64,
        api="integration",
        organization=organization,
        user=user,
        note="from before",
        created_at=now,
        created_by=user,
        valid_until=timezone.localdate() + datetime.timedelta(days=100),
    )
    document = DocumentOld.objects.create(
        id=uuid.UUID("00000000-0000-4000-8000-000000000042"),
        organization=organization,
        api="integration",
        api_key=key,
        delivered_by=user,
        created_at=now,
        invoice_number="2026-0042",
        issue_date=datetime.date(2026, 11, 1),
        due_date=datetime.date(2026, 11, 30),
        currency="CHF",
        amount=Decimal("1250.50"),
        recipient_name="Muster AG",
        recipient_email="billing@muster.example",
        idempotency_key="inv-2026-0042",
        request_hash="a" * 64,
    )
    CounterOld.objects.create(api_key=key, minute=now.replace(second=0), count=7)
    AuditOld.objects.create(
        at=now, action="key_created", actor=user, username=user.username, organization=organization, key_id=key.key_id
    )
    return key.pk, document.pk


@pytest.mark.django_db(transaction=True)
def test_the_old_layout_migrates_to_billing_keeping_rows_constraints_and_triggers():
    old_apps = _migrate(OLD_LAYOUT)
    key_pk, document_pk = _old_rows(old_apps)

    _migrate(_latest())

    document = Document.objects.get(pk=document_pk)
    assert (document.invoice_number, document.amount, document.api_key_id) == ("2026-0042", Decimal("1250.50"), key_pk)
    assert document.idempotency_key == "inv-2026-0042"
    assert DeliveryCounter.objects.get(api_key_id=key_pk).count == 7
    assert AuditEvent.objects.filter(key_id="migratedkey2", action="key_created").count() == 1
    tables = connection.introspection.table_names()
    assert "billing_document" in tables and "billing_deliverycounter" in tables
    assert "apikeys_document" not in tables and "apikeys_deliverycounter" not in tables
    assert AuditEvent._meta.db_table == "audit_auditevent" and "audit_auditevent" in tables
    assert "apikeys_auditevent" not in tables

    # Constraints travelled with the tables.
    fields = {f.attname: getattr(document, f.attname) for f in Document._meta.concrete_fields if f.name != "id"}
    with pytest.raises(IntegrityError), transaction.atomic():  # the same Idempotency-Key twice
        Document.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():  # amount must be positive
        Document.objects.create(**{**fields, "idempotency_key": "another", "amount": Decimal("-1")})
    assert DeliveryCounter.objects.hit(key_pk) >= 1  # its unique (key, minute) still drives the upsert

    # The triggers on the key and the audit log still hold.
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key_pk).update(valid_until=datetime.date(2099, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        cursor.execute(f"UPDATE {table} SET ip = '192.0.2.1' WHERE key_id = %s", ["migratedkey2"])  # noqa: S608
    if connection.vendor == "postgresql":  # SQLite's DELETE stays open for pytest-django (audit.models)
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE key_id = %s", ["migratedkey2"])  # noqa: S608
    assert AuditEvent.objects.filter(key_id="migratedkey2").count() == 1

    # The audit log's permissions follow its content type to audit.
    audit_type = ContentType.objects.get(app_label="audit", model="auditevent")
    assert not ContentType.objects.filter(app_label="apikeys", model="auditevent").exists()
    assert Permission.objects.filter(content_type=audit_type, codename="view_auditevent").exists()

    # Permissions and admin history follow the content type to billing.
    billing_document = ContentType.objects.get(app_label="billing", model="document")
    assert not ContentType.objects.filter(app_label="apikeys", model="document").exists()
    assert Permission.objects.filter(content_type=billing_document, codename="view_document").exists()
