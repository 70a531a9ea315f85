"""What one bank employee may not do alone, beyond adding users: deactivate an organization's last active
Admin user (or withdraw their flag), reactivate a user, move a user into an organization. Each waits as
a `BankChange` for a second staff user and, where it gives the organization a login, for its Admin user.

The attacker's view — one support agent, end to end: deactivate Demo AG's only Admin user so that the
contract falls into onboarding, then make an Admin user of their own; or reactivate a deactivated Admin
user, or move an Admin user of another contract in. None of it takes effect; and a contract that had
Admin users is never onboarded again by two employees alone."""

import pytest
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.cast import client_for, make_user
from tests.support_admin import add_user, approve_held, change_user
from users.bank_changes import Refused, bank_change_approve, bank_change_confirm, bank_change_refuse
from users.models import BankChange, User


def _open(user, kind) -> BankChange:
    return BankChange.objects.get(user=user, kind=kind, state__in=BankChange.OPEN)


def _reload(*users):
    for user in users:
        user.refresh_from_db()


def test_one_agent_cannot_deactivate_the_last_admin_nor_withdraw_her_flag(sam_client, sam, alice, alice_key):
    change_user(sam_client, alice, is_active=None)
    change_user(sam_client, alice, is_org_admin=None)
    _reload(alice)
    assert alice.is_active and alice.is_org_admin
    for kind in (BankChange.Kind.DEACTIVATED, BankChange.Kind.ADMIN_WITHDRAWN):
        change = _open(alice, kind)
        with pytest.raises(Refused):
            bank_change_approve(change=change, by=sam)  # never the one who asked
        with pytest.raises(Refused):
            bank_change_refuse(change=change, by=alice)  # nor does she keep her rights by refusing
    key, _token = alice_key
    key.refresh_from_db()
    assert key.is_valid
    assert AuditEvent.objects.filter(action=Action.CHANGE_REQUESTED, subject=alice).count() == 2


def test_a_second_employee_deactivates_her_and_the_contract_is_not_onboarded_again(sam_client, tina, alice, demo_ag):
    change_user(sam_client, alice, is_active=None)
    approve_held(alice, by=tina)
    _reload(alice)
    assert not alice.is_active
    assert AuditEvent.objects.filter(action=Action.USER_DEACTIVATED, subject=alice).exists()
    # Now a planted Admin user: two employees no longer make it alone, Demo AG had Admin users.
    mallory = add_user(sam_client, demo_ag, "mallory", domain="attacker.example", is_org_admin="on")
    approve_held(mallory, by=tina)
    assert (mallory.is_active, mallory.is_org_admin) == (False, False)
    assert _open(mallory, BankChange.Kind.USER_ADDED).state == BankChange.State.ORGANIZATION
    page = client_for(tina).get(reverse("admin:users_bankchange_changelist")).content.decode()
    assert page.count("mallory") >= 1
    # The way back: a former Admin user's own login, reactivated by two employees, confirms or refuses.
    change_user(sam_client, alice, is_active="on")
    approve_held(alice, by=tina)
    _reload(alice)
    assert alice.is_active and alice.is_admin_of(demo_ag.pk)
    bank_change_refuse(change=_open(mallory, BankChange.Kind.USER_ADDED), by=alice)
    _reload(mallory)
    assert not mallory.is_active


def test_withdrawing_the_flag_of_an_inactive_admin_erases_no_trace(sam_client, tina, alice, demo_ag):
    change_user(sam_client, alice, is_active=None)
    approve_held(alice, by=tina)
    _reload(alice)
    change_user(sam_client, alice, is_org_admin=None)  # takes no right away: at once
    _reload(alice)
    assert not alice.is_org_admin
    erin = add_user(sam_client, demo_ag, "erin", domain="attacker.example", is_org_admin="on")
    approve_held(erin, by=tina)
    assert not erin.is_active  # still waits for Demo AG


def test_with_another_admin_a_deactivation_takes_effect_at_once(sam_client, alice, demo_ag):
    dora = make_user("dora", demo_ag, is_org_admin=True)
    change_user(sam_client, dora, is_active=None)
    _reload(dora)
    assert not dora.is_active
    assert not BankChange.objects.filter(user=dora).exists()


def test_a_reactivation_waits_for_the_second_employee_and_the_admin(sam_client, sam, tina, alice, bob):
    change_user(sam_client, bob, is_active=None)
    change_user(sam_client, bob, is_active="on")
    _reload(bob)
    assert not bob.is_active
    change = _open(bob, BankChange.Kind.REACTIVATED)
    with pytest.raises(Refused):
        bank_change_approve(change=change, by=sam)
    approve_held(bob, by=tina)
    assert not bob.is_active
    bank_change_confirm(change=_open(bob, BankChange.Kind.REACTIVATED), by=alice)
    _reload(bob)
    assert bob.is_active
    assert AuditEvent.objects.filter(action=Action.USER_REACTIVATED, subject=bob, actor__username="sam").exists()


def test_moving_another_contracts_admin_in_waits_and_arrives_without_the_flag(
    sam_client, tina, alice, charlie, other_ag, demo_ag, make_key
):
    key, _token = make_key(user=charlie)
    change_user(sam_client, charlie, organization=demo_ag.pk)
    assert (charlie.organization, charlie.is_org_admin) == (other_ag, True)
    change = _open(charlie, BankChange.Kind.MOVED)
    assert (change.organization, change.from_organization) == (demo_ag, other_ag)
    # Both contracts are told before: the one the user joins and the one they would leave.
    asked = AuditEvent.objects.filter(action=Action.CHANGE_REQUESTED, subject=charlie)
    assert set(asked.values_list("organization_id", flat=True)) == {demo_ag.pk, other_ag.pk}
    approve_held(charlie, by=tina)
    assert charlie.organization == other_ag
    bank_change_confirm(change=_open(charlie, BankChange.Kind.MOVED), by=alice)
    _reload(charlie)
    assert (charlie.organization, charlie.is_org_admin) == (demo_ag, False)
    key.refresh_from_db()
    assert not key.is_valid


def test_only_the_joining_organizations_admin_confirms_a_move(sam_client, tina, alice, bob, charlie, other_ag):
    change_user(sam_client, bob, organization=other_ag.pk)
    approve_held(bob, by=tina)
    change = _open(bob, BankChange.Kind.MOVED)
    confirm = reverse("apikeys:bank_change_confirm", args=[change.pk])
    assert client_for(alice).post(confirm).status_code == 404  # Demo AG's, where bob is now: not hers to decide
    assert client_for(make_user("olga", other_ag)).post(confirm).status_code == 403  # a standard user
    assert client_for(charlie).post(confirm).status_code == 302
    _reload(bob)
    assert bob.organization == other_ag


def test_a_user_changed_in_between_makes_the_move_stale(sam_client, tina, bob, other_ag, demo_ag):
    change_user(sam_client, bob, organization=other_ag.pk)
    change = _open(bob, BankChange.Kind.MOVED)
    User.objects.filter(pk=bob.pk).update(organization=None)  # moved behind the change's back
    with pytest.raises(Refused) as refused:
        bank_change_approve(change=change, by=tina)
    assert refused.value.code == "user_moved"


def test_the_last_admin_sees_her_deactivation_waiting_without_refuse(sam_client, alice, alice_client):
    change_user(sam_client, alice, is_active=None)
    change = _open(alice, BankChange.Kind.DEACTIVATED)
    page = alice_client.get(reverse("apikeys:user_management")).content.decode()
    row = page.split('data-testid="bank-change" data-username="alice"')[1].split("</tr>")[0]
    assert "deactivation of the last Admin user" in row and 'data-testid="bank-only"' in row
    assert 'data-testid="bank-change-refuse"' not in row
    alice_client.post(reverse("apikeys:bank_change_refuse", args=[change.pk]))
    change.refresh_from_db()
    assert change.state == BankChange.State.BANK
