"""`manage.py seed_demo`: the demo organizations, users and keys, idempotent, with the logins printed."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from apikeys.models import Api, ApiKey, SecurityPolicy, Status
from users.models import Organization, User


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    return (
        list(Organization.objects.values_list("name", flat=True).order_by("name")),
        list(User.objects.values_list("username", "organization__name", "is_org_admin", "is_staff", "password")),
        list(ApiKey.objects.values_list("key_id", "user__username", "api", "valid_until", "revoked_at")),
    )


@pytest.mark.django_db
def test_it_creates_the_demo_cast():
    _seed()
    users = {u.username: u for u in User.objects.people().select_related("organization")}
    assert set(users) == {"demo-admin", "demo-admin2", "demo-user", "demo-accounting", "other-admin", "support"}
    assert users["demo-admin"].is_admin_of_organization
    assert users["demo-admin"].organization.name == "Demo AG"
    assert not users["demo-user"].is_org_admin
    assert users["demo-accounting"].organization.name == "Demo AG"
    assert users["other-admin"].is_admin_of_organization
    assert users["other-admin"].organization.name == "Other AG"
    assert users["support"].is_staff
    assert users["support"].organization is None
    assert all(user.get_full_name() for user in users.values())


@pytest.mark.django_db
def test_demo_ag_has_keys_in_every_state():
    _seed()
    statuses = {key.status for key in ApiKey.objects.filter(organization__name="Demo AG")}
    assert statuses == {Status.VALID, Status.EXPIRED, Status.DELETED}
    assert not ApiKey.objects.filter(organization__name="Other AG").exists()


@pytest.mark.django_db
def test_running_it_twice_changes_nothing():
    _seed()
    first = _snapshot()
    _seed()
    assert _snapshot() == first


@pytest.mark.django_db
def test_it_prints_the_logins():
    out = _seed("--password", "another-demo-password")
    for login in ("demo-admin", "demo-user", "demo-accounting", "other-admin", "support"):
        assert login in out
    assert "another-demo-password" in out
    assert authenticate(username="demo-admin", password="another-demo-password") is not None


@pytest.mark.django_db
def test_the_default_password_is_the_readmes():
    out = _seed()
    assert "demo-2026-efinance" in out
    assert authenticate(username="demo-user", password="demo-2026-efinance") is not None


@pytest.mark.django_db
def test_another_password_on_a_second_run_is_the_one_that_works():
    _seed()
    out = _seed("--password", "changed-demo-password")
    assert "changed-demo-password" in out
    assert authenticate(username="demo-admin", password="changed-demo-password") is not None
    assert authenticate(username="demo-admin", password="demo-2026-efinance") is None
    assert User.objects.get(username="support").groups.filter(name="Support staff").exists()


@pytest.mark.django_db
def test_demo_ag_has_a_second_admin_a_pending_key_and_a_network_key():
    """Each part of the security policy can be tried: demo-admin2 approves the pending key."""
    _seed()
    second = User.objects.get(username="demo-admin2")
    assert second.is_admin_of_organization and second.organization.name == "Demo AG"
    keys = ApiKey.objects.filter(organization__name="Demo AG")
    [pending] = [key for key in keys if key.is_pending_approval]
    assert pending.api == "production" and pending.created_by.username == "demo-admin" and pending.is_valid
    assert [key.network_list for key in keys if key.allowed_networks] == [["192.0.2.0/24"]]
    assert SecurityPolicy.objects.get(organization__name="Demo AG").four_eyes


@pytest.mark.django_db
def test_the_demo_shows_a_key_that_expires_soon_one_being_replaced_and_users_with_addresses():
    _seed()
    keys = ApiKey.objects.filter(organization__name="Demo AG")
    assert any(key.expires_soon and key.ends_at is None for key in keys)
    rolling = keys.get(ends_at__isnull=False)
    assert rolling.is_valid  # in its overlap: still working beside its successor
    assert rolling.replacements.get().is_valid
    assert all(user.email for user in User.objects.people())


@pytest.mark.django_db
def test_demo_ag_has_erp_abacus_with_a_read_only_test_key_and_a_delivering_production_key():
    out = _seed()
    abacus = User.objects.get(username="erp-abacus")
    assert abacus.is_technical and abacus.first_name == "ERP Abacus" and abacus.organization.name == "Demo AG"
    assert not abacus.has_usable_password() and not abacus.email
    assert "erp-abacus" in out and authenticate(username="erp-abacus", password="demo-2026-efinance") is None
    keys = {key.api: key for key in ApiKey.objects.filter(user=abacus)}
    assert keys[Api.INTEGRATION].scope_list == ["documents:read"]
    assert keys[Api.PRODUCTION].scope_list == ["documents:write"]
    assert all(key.status == Status.VALID and not key.is_pending_approval for key in keys.values())
    assert {key.created_by.username for key in keys.values()} == {"demo-admin"}
