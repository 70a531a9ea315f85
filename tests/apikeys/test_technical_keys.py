"""Keys of a technical user: offered apart on «Create a new API key», every rule of keys holds for
them, their e-mails go to every Admin user, and they outlive the person who created them."""

import datetime
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import ProtectedError

from apikeys.models import Api, ApiKey
from apikeys.policy.rules import apikey_approve, apikeys_suspend
from tests.apikeys.policy_cast import CREATE_URL, create_via_form, ping, set_policy
from tests.cast import make_technical_user, make_user, today
from tests.support_admin import change_user
from users.mail import send_pending
from users.models import OutboxMessage


def test_the_form_lists_technical_users_in_a_group_of_their_own(alice_client, alice, bob, abacus, charlie, other_ag):
    make_technical_user("Old ERP", alice.organization, is_active=False)
    theirs = make_technical_user("Their ERP", other_ag)
    html = alice_client.get(CREATE_URL).content.decode()
    select = html.split('name="user"', 1)[1].split("</select>", 1)[0]
    people, technical = select.split('<optgroup label="Technical users">')
    assert re.findall(r'<option value="(\d+)"', people) == [str(alice.pk), str(bob.pk)]
    assert re.findall(r'<option value="(\d+)"', technical) == [str(abacus.pk)]
    assert "erp-abacus — ERP Abacus" in technical
    assert str(theirs.pk) not in select and str(charlie.pk) not in select
    # «Create a key» of its row preselects it; another organization's ID selects nobody.
    chosen = alice_client.get(CREATE_URL, {"user": abacus.pk}).content.decode()
    assert f'<option value="{abacus.pk}" selected>' in chosen
    assert (
        " selected>"
        not in alice_client.get(CREATE_URL, {"user": theirs.pk})
        .content.decode()
        .split('name="user"', 1)[1]
        .split("</select>", 1)[0]
    )


def test_an_admin_creates_its_key_and_another_organizations_one_is_refused(alice_client, abacus, other_ag):
    response, token = create_via_form(alice_client, abacus, api="integration", scopes=["documents:read"])
    assert response.status_code == 200 and token
    key = ApiKey.objects.get(user=abacus)
    assert (key.scope_list, key.organization_id) == (["documents:read"], abacus.organization_id)
    assert ping(token).status_code == 200
    theirs = make_technical_user("Their ERP", other_ag)
    response, token = create_via_form(alice_client, theirs, api="integration")
    assert response.status_code == 400 and token is None
    assert "Choose a user of your organization." in response.content.decode()
    assert not ApiKey.objects.filter(user=theirs).exists()


def test_the_two_years_hold_for_it(alice_client, abacus):
    too_late = today().replace(year=today().year + 2) + datetime.timedelta(days=2)
    response, token = create_via_form(alice_client, abacus, validity="date", valid_until=too_late.isoformat())
    assert response.status_code == 400 and token is None
    assert not ApiKey.objects.filter(user=abacus).exists()


def test_four_eyes_the_emergency_stop_and_networks_hold_for_it(alice_client, alice, demo_ag, abacus):
    second = make_user("dora", demo_ag, is_org_admin=True)
    set_policy(demo_ag, four_eyes=True)
    _response, token = create_via_form(alice_client, abacus, api="production")
    key = ApiKey.objects.get(user=abacus)
    assert ping(token, "production").json()["reason"] == "pending_approval"
    apikey_approve(key=key, by=second)
    assert ping(token, "production").status_code == 200
    _response, office = create_via_form(alice_client, abacus, api="integration", allowed_networks="192.0.2.0/24")
    assert ping(office, REMOTE_ADDR="198.51.100.7").json()["reason"] == "address_not_allowed"
    apikeys_suspend(organization=demo_ag, by=alice, reason="Incident")
    assert ping(token, "production").json()["reason"] == "suspended"


def test_replace_works_for_its_key(alice_client, abacus, make_key):
    old, _token = make_key(user=abacus, api=Api.PRODUCTION)
    html = alice_client.get(f"/administration/api-keys/{old.key_id}/replace/").content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)[1]
    data = {"validity": "1y", "old_key_ends": "24h", "nonce": nonce, "scopes": ["documents:write"]}
    assert alice_client.post(f"/administration/api-keys/{old.key_id}/replace/", data).status_code == 200
    new = ApiKey.objects.get(replaces=old)
    assert (new.user, new.scope_list) == (abacus, ["documents:write"])


@pytest.fixture
def admins(alice, demo_ag, charlie):
    mail.outbox.clear()
    return {alice.email, make_user("dora", demo_ag, is_org_admin=True).email}


def test_its_creation_notice_goes_to_every_admin_user(admins, make_key, abacus, bob):
    key, _token = make_key(user=abacus)
    send_pending()
    assert {message.to[0] for message in mail.outbox} == admins  # not bob, not charlie; it has no address
    assert all(key.key_id in message.subject or key.key_id in message.body for message in mail.outbox)


def test_its_reminders_go_to_every_admin_user(admins, make_key, abacus):
    key, _token = make_key(user=abacus, valid_until=today() + datetime.timedelta(days=100))
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()
    call_command("send_expiry_reminders", "--today", (today() + datetime.timedelta(days=70)).isoformat())
    send_pending()
    reminders = [message for message in mail.outbox if key.key_id in message.subject]
    assert {message.to[0] for message in reminders} == admins


def test_its_key_outlives_the_person_who_created_it(sam_client, alice, abacus, make_key):
    key, token = make_key(user=abacus, created_by=alice)
    with pytest.raises(ProtectedError):  # a person who created keys is deactivated, never deleted
        alice.delete()
    change_user(sam_client, alice, is_active=None)
    key.refresh_from_db()
    assert key.is_valid and ping(token).status_code == 200


def test_the_key_page_says_technical_user(alice_client, abacus, bob, make_key):
    technical, _token = make_key(user=abacus)
    persons, _token = make_key(user=bob)
    assert (
        'data-testid="technical-user"'
        in alice_client.get(f"/administration/api-keys/{technical.key_id}/").content.decode()
    )
    assert (
        'data-testid="technical-user"'
        not in alice_client.get(f"/administration/api-keys/{persons.key_id}/").content.decode()
    )
