"""The audit log in the Django admin: support sees every organization, nobody changes anything."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.factors import enrol
from users.models import User

CHANGELIST = reverse("admin:audit_auditevent_changelist")


@pytest.fixture
def root(db):
    user = User.objects.create_superuser(username="root", password="x-unused-x")
    enrol(user)  # /support/ needs a second factor
    return user


@pytest.fixture
def root_client(root):
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def entries(make_key, bob, charlie):
    demo_key, demo_token = make_key(user=bob)
    other_key, _token = make_key(user=charlie)
    return demo_key, other_key, demo_token


def _change(entry):
    return reverse("admin:audit_auditevent_change", args=[entry.pk])


def test_support_sees_the_entries_of_every_organization(sam_client, entries):
    demo_key, other_key, token = entries
    response = sam_client.get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert demo_key.key_id in body and other_key.key_id in body
    assert token not in body


def test_support_finds_the_entries_of_a_key_by_its_id(sam_client, entries):
    demo_key, _other_key, _token = entries
    response = sam_client.get(CHANGELIST, {"q": demo_key.key_id})
    assert [entry.key_id for entry in response.context["cl"].result_list] == [demo_key.key_id]


def test_support_reads_an_entry_without_a_form_to_change_it(sam_client, entries):
    entry = AuditEvent.objects.filter(action=Action.KEY_CREATED).first()
    response = sam_client.get(_change(entry))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("who", ["sam_client", "root_client"])
def test_nobody_adds_changes_or_deletes_an_entry_through_the_admin(request, who, entries):
    client = request.getfixturevalue(who)
    entry = AuditEvent.objects.filter(action=Action.KEY_CREATED).first()
    before = list(AuditEvent.objects.values())
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_add"), {"action": "login"}).status_code == 403
    assert client.post(_change(entry), {"ip": "192.0.2.1", "action": "login"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert list(AuditEvent.objects.values()) == before


@pytest.mark.parametrize("who", ["sam_client", "root_client"])
def test_the_changelist_offers_no_delete_action(request, who, entries):
    response = request.getfixturevalue(who).get(CHANGELIST)
    assert "delete_selected" not in response.content.decode()


@pytest.mark.parametrize("who", ["alice_client", "bob_client", "charlie_client"])
def test_customers_do_not_reach_the_audit_log_of_the_admin(request, who, entries):
    response = request.getfixturevalue(who).get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_revocation_in_the_admin_is_recorded_with_support_reason_and_address(sam, sam_client, entries):
    demo_key, _other, _token = entries
    response = sam_client.post(
        reverse("admin:apikeys_apikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [demo_key.pk], "post": "yes", "reason": "Leaked in a ticket"},
        REMOTE_ADDR="203.0.113.50",
    )
    assert response.status_code == 302
    entry = AuditEvent.objects.get(action=Action.KEY_REVOKED)
    assert (entry.actor, entry.key_id, entry.organization_id) == (sam, demo_key.key_id, demo_key.organization_id)
    assert (entry.reason, entry.ip) == ("Leaked in a ticket", "203.0.113.50")
