"""Existing keys keep working unchanged: the migration that adds scopes gives them both, and from then
on the database refuses to change them (SQLite and PostgreSQL, with a real row)."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from apikeys import tokens
from apikeys.models import ApiKey

BEFORE = [("apikeys", "0020_audit_log_leaves_apikeys")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_key_from_before_scopes_gets_both_and_keeps_them():
    old_apps = _migrate(BEFORE)
    Organization, User = old_apps.get_model("users", "Organization"), old_apps.get_model("users", "User")
    organization = Organization.objects.create(name="Before AG")
    user = User.objects.create(username="before-admin", organization=organization, is_org_admin=True, password="!")
    key_id, secret = tokens.new_key_id(), tokens.new_secret()
    old_apps.get_model("apikeys", "ApiKey").objects.create(
        key_id=key_id,
        secret_hash=tokens.hash_secret(secret),
        api="integration",
        organization=organization,
        user=user,
        created_by=user,
        valid_until=timezone.localdate() + datetime.timedelta(days=100),
    )

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    key = ApiKey.objects.get(key_id=key_id)
    assert key.scopes == "documents:read documents:write"
    token = tokens.build_token("integration", key_id, secret)
    response = Client().get("/api/billing-int/v1/keys/self", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["scopes"] == ["documents:read", "documents:write"]
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(scopes="documents:read")
    assert ApiKey.objects.get(pk=key.pk).scopes == "documents:read documents:write"
