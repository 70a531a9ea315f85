"""The «Activity» page in Administration: the organization's audit log, filtered and paginated."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apikeys import services
from apikeys.activity import record, record_auth_failure
from apikeys.forms import new_form_nonce
from apikeys.models import Api, latest_valid_until
from audit.models import Action, AuditEvent
from tests.cast import mentions
from users.models import User

URL = "/administration/activity/"


def _rows(response):
    return response.content.decode().count("<tr data-action=")


@pytest.fixture
def history(alice, bob, make_key, sam):
    """A create, a deletion, a revocation by support and failed authentications of Demo AG."""
    created, _token = make_key(user=bob, note="ERP")
    deleted, _token = make_key(user=alice, deleted=True)
    services.apikey_revoke(key=created, by=sam, reason="leaked")
    record_auth_failure(key_id=deleted.key_id, reason="deleted")
    record_auth_failure(key_id=deleted.key_id, reason="deleted")
    return created, deleted


def test_the_admin_user_sees_the_create_delete_and_failed_auth_history(alice_client, history):
    created, deleted = history
    response = alice_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-action="key_created"') == 2
    assert f'data-action="key_deleted" data-key-id="{deleted.key_id}"' in body
    assert f'data-action="key_revoked" data-key-id="{created.key_id}"' in body
    assert "leaked" in body
    assert "2 failures in this hour" in body
    assert "The key has been deleted." in body


def test_administration_links_to_activity(alice_client):
    assert f'href="{URL}"' in alice_client.get("/administration/").content.decode()


def test_the_outsider_sees_nothing_of_another_organization(charlie, charlie_client, history, bob):
    created, deleted = history
    response = charlie_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert [(e.action, e.actor) for e in response.context["page"].entries] == [
        (Action.LOGIN, charlie)
    ]  # own login only
    assert created.key_id not in body and deleted.key_id not in body
    assert not mentions(body, "bob") and not mentions(body, "alice")
    # nor by filtering on the other organization's user or key
    assert _rows(charlie_client.get(URL, {"user": bob.pk})) == 0
    assert _rows(charlie_client.get(URL, {"key_id": created.key_id})) == 0


def test_the_standard_user_is_refused(bob_client, history):
    assert bob_client.get(URL).status_code == 403


def test_the_page_is_read_only(alice_client):
    assert alice_client.post(URL).status_code == 405


@pytest.mark.parametrize(
    ("params", "expected"),
    [({"action": Action.KEY_CREATED}, 2), ({"action": Action.AUTH_FAILED}, 1), ({"action": Action.KEY_REVOKED}, 1)],
)
def test_it_filters_by_action(alice_client, history, params, expected):
    assert _rows(alice_client.get(URL, params)) == expected


def test_it_filters_by_key_id_whatever_the_case(alice_client, history):
    _created, deleted = history
    response = alice_client.get(URL, {"key_id": f" {deleted.key_id.upper()} "})
    actions = {entry.action for entry in response.context["page"].entries}
    assert actions == {Action.KEY_CREATED, Action.KEY_DELETED, Action.AUTH_FAILED}


def test_it_filters_by_the_user_who_acted_or_was_concerned(alice_client, history, bob):
    response = alice_client.get(URL, {"user": bob.pk})
    assert {(e.action, e.subject_id) for e in response.context["page"].entries} == {
        (Action.KEY_CREATED, bob.pk),
        (Action.KEY_REVOKED, bob.pk),
    }


def test_it_pages_by_50_and_keeps_the_filters(alice, alice_client):
    for _ in range(50):  # and the login of alice_client
        record(action=Action.LOGIN, actor=alice, organization_id=alice.organization_id)
    first = alice_client.get(URL, {"action": Action.LOGIN})
    assert _rows(first) == 50
    older = first.context["page"].older
    assert f"?before={older}&amp;action=login" in first.content.decode()
    second = alice_client.get(URL, {"action": Action.LOGIN, "before": str(older)})
    assert _rows(second) == 1
    assert second.context["page"].older is None
    assert f"?after={second.context['page'].newer}&amp;action=login" in second.content.decode()


def test_it_costs_the_same_queries_for_one_entry_and_fifty(bob, alice_client, make_key):
    make_key(user=bob)
    alice_client.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as one:
        alice_client.get(URL, {"action": Action.KEY_CREATED})
    for _ in range(49):
        make_key(user=bob)
    with CaptureQueriesContext(connection) as fifty:
        assert _rows(alice_client.get(URL, {"action": Action.KEY_CREATED})) == 50
    assert len(fifty) == len(one) <= 9


def test_a_key_created_through_the_form_shows_up_with_its_address(alice, alice_client, bob):
    alice_client.post(
        "/administration/api-keys/new/",
        {
            "user": bob.pk,
            "api": Api.INTEGRATION,
            "valid_until": latest_valid_until().isoformat(),
            "nonce": new_form_nonce(alice),
            "scopes": ["documents:read", "documents:write"],
        },
        REMOTE_ADDR="198.51.100.23",
    )
    body = alice_client.get(URL).content.decode()
    assert "198.51.100.23" in body
    assert "Billing Solutions Customer Integration" in body


def test_html_in_a_tried_username_is_escaped(alice_client, alice, bob):
    Client().post("/accounts/login/", {"username": "<script>x</script>", "password": "x"})
    record(action=Action.LOGIN_FAILED, subject=bob, username="<b>bob</b>")
    body = alice_client.get(URL).content.decode()
    assert "<b>bob</b>" not in body
    # a name that is nobody's is kept as a keyed hash
    assert AuditEvent.objects.filter(organization=None, subject=None, username__startswith="unknown-").exists()
    assert not AuditEvent.objects.filter(username__contains="script").exists()


def test_the_demo_data_shows_a_create_delete_and_failed_auth_history(db):
    call_command("seed_demo", stdout=StringIO())
    client = Client()
    client.force_login(User.objects.get(username="demo-admin"))
    body = client.get(URL).content.decode()
    shown = (Action.KEY_CREATED, Action.KEY_DELETED, Action.KEY_EXPOSED, Action.KEY_REPLACED, Action.AUTH_FAILED)
    for action in shown:
        assert f'data-action="{action}"' in body
    assert "3 failures in this hour" in body
    created = AuditEvent.objects.filter(action=Action.KEY_CREATED).count()
    # The guide's four, the one reported as exposed, the security policy's pending and network keys,
    # the lifecycle's key that expires soon, the one being replaced and its successor, and the two keys
    # of the technical user «ERP Abacus».
    assert created == 12
    assert 'data-action="tech_user_created"' in body
    call_command("seed_demo", stdout=StringIO())  # idempotent: no second history
    assert AuditEvent.objects.filter(action=Action.KEY_CREATED).count() == created
