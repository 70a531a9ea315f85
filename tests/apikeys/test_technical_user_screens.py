"""User management → «Technical users»: an Admin user creates, renames and deactivates one; each
change is on «Activity»; another organization, a standard user and a forged form get nothing."""

import pytest
from django.urls import reverse

from apikeys.models import ApiKey
from audit.models import Action, AuditEvent
from tests.cast import client_for
from users.models import User

MANAGEMENT = reverse("apikeys:user_management")
CREATE = reverse("apikeys:technical_user_create")


def change_url(user) -> str:
    return reverse("apikeys:technical_user_change", args=[user.pk])


def deactivate_url(user) -> str:
    return reverse("apikeys:technical_user_deactivate", args=[user.pk])


def entries(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_an_admin_creates_a_technical_user_that_can_never_log_in(alice_client, alice, demo_ag):
    response = alice_client.post(CREATE, {"name": "  ERP   Abacus ", "description": "Invoices of the ERP"})
    user = User.objects.get(is_technical=True)
    assert response.status_code == 302 and response["Location"] == f"{MANAGEMENT}#user-{user.pk}"
    assert (user.first_name, user.description, user.organization, user.email) == (
        "ERP Abacus",
        "Invoices of the ERP",
        demo_ag,
        "",
    )
    assert user.username.startswith("erp-abacus-") and len(user.username) == len("erp-abacus-") + 6
    assert not user.has_usable_password() and not user.is_org_admin and not user.is_staff
    [entry] = entries(Action.TECHNICAL_USER_CREATED)
    assert (entry.actor, entry.subject, entry.organization_id) == (alice, user, demo_ag.pk)
    assert entry.details == {"name": "ERP Abacus", "description": "Invoices of the ERP"}
    page = alice_client.get(MANAGEMENT).content.decode()
    people, technical = page.split('data-testid="technical-users"', 1)
    assert f'data-username="{user.username}"' in technical and f'data-username="{user.username}"' not in people
    activity = alice_client.get(reverse("apikeys:activity")).content.decode()
    assert "Technical user created" in activity and "ERP Abacus: Invoices of the ERP" in activity


def test_a_name_is_unique_in_the_contract_so_a_replayed_form_creates_nothing(alice_client, charlie_client, abacus):
    response = alice_client.post(CREATE, {"name": "erp abacus", "description": ""})
    assert response.status_code == 400
    assert "Your contract already has a technical user with this name." in response.content.decode()
    assert alice_client.post(CREATE, {"name": "", "description": ""}).status_code == 400
    assert alice_client.post(CREATE, {"name": "x" * 151}).status_code == 400
    assert User.objects.technical().count() == 1
    # Another contract may have its own «ERP Abacus»; the user identifications stay apart.
    assert charlie_client.post(CREATE, {"name": "ERP Abacus"}).status_code == 302
    assert User.objects.technical().count() == 2


def test_an_admin_renames_and_describes_it_on_activity(alice_client, abacus):
    response = alice_client.post(change_url(abacus), {"name": "ERP Abacus 2", "description": "New ERP"})
    assert response.status_code == 302
    abacus.refresh_from_db()
    assert (abacus.first_name, abacus.description, abacus.username) == ("ERP Abacus 2", "New ERP", "erp-abacus")
    alice_client.post(change_url(abacus), {"name": "ERP Abacus 2", "description": "New ERP"})  # no change
    [entry] = entries(Action.TECHNICAL_USER_CHANGED)
    assert entry.details == {"name": "ERP Abacus 2", "description": "New ERP", "previous_name": "ERP Abacus"}
    assert "ERP Abacus 2, formerly ERP Abacus" in alice_client.get(reverse("apikeys:activity")).content.decode()


def test_deactivating_it_ends_its_keys_once(alice_client, alice, abacus, make_key):
    key, _token = make_key(user=abacus)
    page = alice_client.get(deactivate_url(abacus)).content.decode()
    assert key.key_id in page.split('data-testid="keys-to-delete"', 1)[1].split("</dd>", 1)[0]
    assert alice_client.post(deactivate_url(abacus)).status_code == 302
    assert alice_client.post(deactivate_url(abacus)).status_code == 302  # replayed: nothing more
    abacus.refresh_from_db()
    key.refresh_from_db()
    assert not abacus.is_active and key.revoked_at is not None and key.revoked_by == alice
    [entry] = entries(Action.TECHNICAL_USER_DEACTIVATED)
    assert entry.details == {"deleted_keys": [key.key_id]}
    assert len(entries(Action.KEY_DELETED)) == 1
    assert alice_client.post(change_url(abacus), {"name": "Back"}).status_code == 302
    abacus.refresh_from_db()
    assert abacus.first_name == "ERP Abacus" and not abacus.is_active


@pytest.mark.parametrize("url", [change_url, deactivate_url])
def test_another_organization_and_people_are_404(charlie_client, alice_client, abacus, bob, make_key, url):
    key, _token = make_key(user=abacus)
    assert charlie_client.get(url(abacus)).status_code == 404
    assert charlie_client.post(url(abacus), {"name": "Mine now"}).status_code == 404
    assert alice_client.get(url(bob)).status_code == 404  # a person is no technical user
    assert alice_client.get(url(abacus).replace(str(abacus.pk), "999999")).status_code == 404
    abacus.refresh_from_db()
    key.refresh_from_db()
    assert abacus.first_name == "ERP Abacus" and abacus.is_active and key.revoked_at is None
    assert "erp-abacus" not in charlie_client.get(MANAGEMENT).content.decode()


def test_a_standard_user_gets_403(bob_client, abacus):
    for url in (CREATE, change_url(abacus), deactivate_url(abacus)):
        assert bob_client.get(url).status_code == 403
        assert bob_client.post(url, {"name": "Mine"}).status_code == 403
    assert User.objects.technical().get().is_active


def test_a_post_without_csrf_token_is_refused(alice, abacus):
    client = client_for(alice, enforce_csrf_checks=True)
    assert client.post(CREATE, {"name": "Forged"}).status_code == 403
    assert client.post(deactivate_url(abacus)).status_code == 403
    assert client.post(change_url(abacus), {"name": "Forged"}).status_code == 403
    assert list(User.objects.technical().values_list("first_name", "is_active")) == [("ERP Abacus", True)]


def test_other_methods_are_405(alice_client, abacus):
    for url in (CREATE, change_url(abacus), deactivate_url(abacus)):
        assert alice_client.put(url).status_code == 405


def test_a_deactivated_one_keeps_its_row_without_actions(alice_client, abacus, make_key):
    make_key(user=abacus)
    alice_client.post(deactivate_url(abacus))
    row = alice_client.get(MANAGEMENT).content.decode().split(f'id="user-{abacus.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "deactivated" in row and "create-key-for" not in row
    assert ApiKey.objects.valid().filter(user=abacus).count() == 0
