"""The bank's side of a change of a customer's login (`users.bank_changes`): one staff user asks, a second
approves, never the same one (the database refuses it too); a contract with no Admin user is onboarded
by the two, and that first Admin user's first login is marked on «Activity»."""

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD, client_for
from tests.support_admin import approve_held, change_user
from users.bank_changes import Refused, bank_change_approve, bank_change_refuse
from users.models import BankChange, Organization, OutboxMessage, User

CHANGES = "admin:users_bankchange_changelist"


def _add(client, organization, username="dora", **extra):
    data = {
        "username": username,
        "first_name": username.capitalize(),
        "last_name": "Keller",
        "email": f"{username}@neue.example",
        "organization": organization.pk,
        **extra,
    }
    response = client.post(reverse("admin:users_user_add"), data)
    assert response.status_code == 302
    return response


def _post_action(client, action, changes):
    data = {"action": action, "_selected_action": [change.pk for change in changes]}
    response = client.post(reverse(CHANGES), data)
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_support_admin_says_the_user_waits(sam_client, demo_ag):
    response = _add(sam_client, demo_ag, is_org_admin="on")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("waits for a second staff user of the bank" in message for message in messages)


def test_the_database_refuses_an_approval_by_the_one_who_asked(sam_client, sam, demo_ag):
    _add(sam_client, demo_ag)
    change = BankChange.objects.get()
    with pytest.raises(Refused) as refused:
        bank_change_approve(change=change, by=sam)
    assert refused.value.code == "own_request"
    with pytest.raises(IntegrityError), transaction.atomic():
        BankChange.objects.filter(pk=change.pk).update(approved_by=sam)


def test_an_admin_user_cannot_take_the_banks_step(sam_client, alice, demo_ag):
    _add(sam_client, demo_ag)
    with pytest.raises(Refused) as refused:
        bank_change_approve(change=BankChange.objects.get(), by=alice)
    assert refused.value.code == "not_allowed"


def test_a_second_staff_user_approves_in_the_list_and_the_list_shows_name_and_address(
    sam_client, tina_client, alice, demo_ag
):
    _add(sam_client, demo_ag, is_org_admin="on")
    page = tina_client.get(reverse(CHANGES)).content.decode()
    assert "Dora Keller" in page and "dora@neue.example" in page
    messages = _post_action(tina_client, "approve", BankChange.objects.all())
    assert any(message.startswith("Approved for dora") for message in messages)
    assert BankChange.objects.get().state == BankChange.State.ORGANIZATION  # alice confirms next


def test_withdrawn_by_staff_nothing_takes_effect(sam_client, tina_client, alice, bob):
    change_user(sam_client, bob, is_org_admin="on")
    _post_action(tina_client, "withdraw", BankChange.objects.all())
    change = BankChange.objects.get()
    assert (change.state, change.decided_by.username) == (BankChange.State.REFUSED, "tina")
    with pytest.raises(Refused):
        bank_change_approve(change=change, by=User.objects.get(username="tina"))
    bob.refresh_from_db()
    assert not bob.is_org_admin
    assert AuditEvent.objects.filter(action=Action.CHANGE_WITHDRAWN, subject=bob).count() == 1


def test_a_change_is_viewed_never_edited_or_deleted(sam_client, demo_ag):
    _add(sam_client, demo_ag)
    change = BankChange.objects.get()
    url = reverse("admin:users_bankchange_change", args=[change.pk])
    assert sam_client.get(url).status_code == 200
    assert sam_client.post(url, {"state": "done"}).status_code == 403
    delete = reverse("admin:users_bankchange_delete", args=[change.pk])
    assert sam_client.post(delete, {"post": "yes"}).status_code == 403
    assert sam_client.get(reverse("admin:users_bankchange_add")).status_code == 403
    change.refresh_from_db()
    assert change.state == BankChange.State.BANK


def test_a_new_address_waits_and_a_newer_request_replaces_it(sam_client, alice, bob):
    change_user(sam_client, bob, email="one@attacker.example")
    change_user(sam_client, bob, email="two@attacker.example")
    assert bob.email == "bob@demo.example"
    states = dict(BankChange.objects.values_list("email", "state"))
    assert states == {"one@attacker.example": BankChange.State.REFUSED, "two@attacker.example": BankChange.State.BANK}


def test_onboarding_two_staff_users_make_the_first_admin_and_her_first_login_is_marked(sam_client, tina):
    neue = Organization.objects.create(name="Neue AG")
    _add(sam_client, neue, is_org_admin="on")
    dora = User.objects.get(username="dora")
    approve_held(dora, by=tina)
    assert (dora.is_active, dora.is_org_admin, dora.admin_onboarded_at is not None) == (True, True, True)
    assert OutboxMessage.objects.filter(kind="set_password_link", to="dora@neue.example").count() == 1
    approved = AuditEvent.objects.get(action=Action.CHANGE_APPROVED, subject=dora)
    assert approved.details["onboarding"] is True
    dora.set_password(PASSWORD)
    dora.save(update_fields=["password"])
    for _ in range(2):
        client = Client()
        assert client.post(reverse("users:login"), {"username": "dora", "password": PASSWORD}).status_code == 302
    [first] = AuditEvent.objects.filter(action=Action.FIRST_ADMIN_LOGIN)
    assert (first.actor, first.organization) == (dora, neue)
    activity = client_for(dora).get("/administration/activity/").content.decode()
    assert "The first action of this Admin user" in activity
    # The second Admin user of the contract now waits for dora.
    _add(sam_client, neue, username="erin", is_org_admin="on")
    erin = User.objects.get(username="erin")
    approve_held(erin, by=tina)
    assert not erin.is_active
    assert BankChange.objects.get(user=erin).state == BankChange.State.ORGANIZATION
    assert erin.admin_onboarded_at is None


def test_a_refused_user_is_never_activated_by_one_agent(sam_client, alice, demo_ag):
    _add(sam_client, demo_ag)
    dora = User.objects.get(username="dora")
    bank_change_refuse(change=BankChange.objects.get(), by=alice)
    change_user(sam_client, dora, is_active="on", email="dora@attacker.example")
    assert (dora.is_active, dora.email) == (False, "dora@neue.example")
    data = {"action": "send_set_password_link", "_selected_action": [dora.pk]}
    response = sam_client.post(reverse("admin:users_user_changelist"), data)
    assert any(str(m).startswith("No link for dora") for m in get_messages(response.wsgi_request))
    assert not OutboxMessage.objects.filter(kind="set_password_link").exists()
