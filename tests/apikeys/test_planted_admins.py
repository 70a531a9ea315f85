"""The red team's path, tried again: one support agent adds two Admin users with addresses of its own to
Demo AG, to approve each other's weakening of the policy and a production key. Now nothing of it works
until a second bank employee approves and an Admin user of Demo AG confirms; the Admin users are told
before; and what one agent does alone gives neither a link, nor a login, nor a decision, nor a key."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apikeys import services
from apikeys.models import Api, ApiKey, SecurityPolicy
from apikeys.policy import rules as policy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import ping
from tests.cast import PASSWORD, client_for
from tests.support_admin import approve_held, change_user
from users.mail import send_pending
from users.models import BankChange, OutboxMessage, User

PLANTED = ("mallory1", "mallory2")


def _plant(sam_client, demo_ag, username):
    data = {
        "username": username,
        "first_name": "Mallory",
        "last_name": username[-1],  # «Alice Tester», the real Admin user's name, is refused: test_look_alike_names
        "email": f"{username}@attacker.example",
        "organization": demo_ag.pk,
        "is_org_admin": "on",
    }
    assert sam_client.post(reverse("admin:users_user_add"), data).status_code == 302
    return User.objects.get(username=username)


@pytest.fixture
def planted(sam_client, demo_ag, alice):
    return [_plant(sam_client, demo_ag, username) for username in PLANTED]


def _login(username, password):
    return Client().post(reverse("users:login"), {"username": username, "password": password})


def test_no_link_no_login_no_admin_and_the_admins_are_told_first(planted, alice, alice_client):
    assert not OutboxMessage.objects.filter(kind="set_password_link").exists()
    for user in planted:
        assert (user.is_active, user.is_org_admin, user.has_usable_password()) == (False, False, False)
        assert BankChange.objects.get(user=user).state == BankChange.State.BANK
    assert not User.objects.active_admins(alice.organization_id).exclude(pk=alice.pk).exists()
    # Told before anything takes effect: an e-mail and «Activity», the real name and address beside the name.
    send_pending()
    [notice, _second] = [m for m in mail.outbox if m.to == [alice.email]]
    assert "mallory1@attacker.example" in notice.body
    assert "takes effect only after a second bank employee approves it" in notice.body
    activity = alice_client.get("/administration/activity/", {"action": Action.CHANGE_REQUESTED}).content.decode()
    assert "new Admin user: «mallory1», Mallory 1, mallory1@attacker.example" in activity


def test_a_planted_user_cannot_log_in_even_with_a_password_and_is_answered_as_a_wrong_one(planted, alice):
    mallory = planted[0]
    mallory.set_password(PASSWORD)  # as if the agent knew it
    mallory.save(update_fields=["password"])
    held, wrong = _login("mallory1", PASSWORD), _login("alice", "not-her-password")
    assert held.status_code == wrong.status_code == 200
    assert held.context["form"].errors == wrong.context["form"].errors
    assert "_auth_user_id" not in held.wsgi_request.session
    # A session made behind the login's back is no session either.
    assert client_for(mallory).get("/administration/").status_code == 302


def test_one_agent_cannot_approve_their_own_request(planted, sam_client, alice):
    changes = BankChange.objects.filter(user__in=planted)
    data = {"action": "approve", "_selected_action": [change.pk for change in changes]}
    response = sam_client.post(reverse("admin:users_bankchange_changelist"), data, follow=True)
    assert "another staff user of the bank must approve it" in response.content.decode()
    assert set(changes.values_list("state", flat=True)) == {BankChange.State.BANK}
    assert not OutboxMessage.objects.filter(kind="set_password_link").exists()


def test_approved_by_a_second_agent_it_still_waits_for_the_organization(planted, tina, alice, alice_client):
    for user in planted:
        approve_held(user, by=tina)
        assert (user.is_active, user.is_org_admin) == (False, False)
        assert BankChange.objects.get(user=user).state == BankChange.State.ORGANIZATION
    assert not OutboxMessage.objects.filter(kind="set_password_link").exists()
    body = alice_client.get("/administration/").content.decode()
    assert 'data-testid="band-bank-changes"' in body
    assert "2 changes of your logins by the bank wait for your confirmation." in body


def test_refused_by_the_admin_nothing_ever_takes_effect(planted, tina, alice, alice_client, sam_client):
    for user in planted:
        approve_held(user, by=tina)
        change = BankChange.objects.get(user=user)
        response = alice_client.post(reverse("apikeys:bank_change_refuse", args=[change.pk]))
        assert response.status_code == 302
        # Replayed: the change was decided, nothing happens.
        alice_client.post(reverse("apikeys:bank_change_confirm", args=[change.pk]))
        user.refresh_from_db()
        assert (user.is_active, user.is_org_admin, BankChange.objects.get(user=user).state) == (
            False,
            False,
            BankChange.State.REFUSED,
        )
        # Nor can the agent bring them back alone by ticking «active» and «Admin».
        change_user(sam_client, user, is_active="on", is_org_admin="on")
        assert (user.is_active, user.is_org_admin) == (False, False)
    assert AuditEvent.objects.filter(action=Action.CHANGE_REFUSED, actor=alice).count() == 2
    assert not OutboxMessage.objects.filter(kind="set_password_link").exists()


def test_no_weakening_of_the_policy_and_no_production_key_by_the_planted_pair(planted, alice, dora):
    """Four-eyes on: a weakening waits for a second Admin user; the planted pair cannot be that user."""
    policy_row = SecurityPolicy.of(alice.organization_id)
    policy_row.four_eyes = True
    policy_row.save()
    change = policy.policy_update(
        organization_id=alice.organization_id, by=alice, max_validity_days=None, four_eyes=False, allowed_networks=""
    )
    for user in planted:
        with pytest.raises(policy.NotAllowed):
            policy.policy_change_decide(change=change, by=user, approve=True)
        response = client_for(user).post(f"/administration/security-policy/changes/{change.pk}/approve/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    change.refresh_from_db()
    assert change.decided_at is None


def test_a_token_of_a_planted_user_answers_401(planted, alice):
    valid_until = timezone.localdate() + datetime.timedelta(days=30)
    _key, token = services.apikey_create(user=planted[0], api=Api.PRODUCTION, valid_until=valid_until, created_by=alice)
    assert ping(token, api="production").status_code == 401
    assert ApiKey.objects.filter(user__in=planted).count() == 1
