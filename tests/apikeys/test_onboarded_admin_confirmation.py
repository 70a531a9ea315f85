"""The first Admin user of a contract, made by two bank employees alone (onboarding), decides no
four-eyes request — a key, a policy change — until another Admin user of the organization, one it
stands behind, confirms them on User management (`User.may_decide_four_eyes`, asked by the policy
services themselves).

The attacker's view: two bank employees onboard «dora» and she approves what a second planted Admin
user asks; the services refuse it, whatever the screen offers. Nobody confirms themselves; another
organization's Admin user gets 404, a standard user 403, a GET 405, a form without its token 403, and a
replayed confirmation changes nothing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apikeys import services
from apikeys.models import Api, PolicyChange
from apikeys.policy import rules
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import set_policy
from tests.cast import client_for, make_user, today
from tests.support_admin import add_user, approve_held
from users.bank_changes import Refused, bank_change_confirm, onboarded_admin_confirm
from users.models import BankChange, Organization, User


@pytest.fixture
def neue(db):
    return Organization.objects.create(name="Neue AG")


@pytest.fixture
def dora(sam_client, tina, neue):
    """Neue AG's first Admin user, onboarded by sam and tina: nobody of Neue AG confirmed her."""
    dora = add_user(sam_client, neue, "dora", is_org_admin="on")
    approve_held(dora, by=tina)
    assert dora.is_admin_of(neue.pk) and dora.awaits_admin_confirmation
    return dora


@pytest.fixture
def erin(sam_client, tina, neue, dora):
    """Neue AG's second Admin user: asked by sam, approved by tina, confirmed by dora for Neue AG."""
    erin = add_user(sam_client, neue, "erin", is_org_admin="on")
    approve_held(erin, by=tina)
    bank_change_confirm(change=BankChange.objects.get(user=erin), by=dora)
    erin.refresh_from_db()
    assert erin.is_admin_of(neue.pk) and not erin.awaits_admin_confirmation
    return erin


def _production_key(neue, by):
    set_policy(neue, four_eyes=True)
    worker = make_user("worker", neue)
    key, _token = services.apikey_create(
        user=worker, api=Api.PRODUCTION, note="ERP", valid_until=today().replace(year=today().year + 1), created_by=by
    )
    assert key.is_pending_approval
    return key


def _confirm(client, user):
    return client.post(reverse("apikeys:onboarded_admin_confirm", args=[user.pk]))


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_onboarded_admin_decides_no_key_and_no_policy_change_until_confirmed(neue, dora, erin):
    key = _production_key(neue, by=erin)
    with pytest.raises(rules.NotAllowed) as refused:
        rules.apikey_approve(key=key, by=dora)
    assert refused.value.code == "unconfirmed_admin"
    with pytest.raises(rules.NotAllowed):
        rules.apikey_reject(key=key, by=dora, reason="no")
    rules.policy_update(organization_id=neue.pk, by=erin, max_validity_days=None, four_eyes=False, allowed_networks="")
    change = PolicyChange.objects.get(organization=neue)
    with pytest.raises(rules.NotAllowed) as refused:
        rules.policy_change_decide(change=change, by=dora, approve=True)
    assert refused.value.code == "unconfirmed_admin"
    key.refresh_from_db()
    change.refresh_from_db()
    assert key.approved_at is None and change.decided_at is None


def test_the_approve_button_says_why_and_approves_nothing(neue, dora, erin):
    key = _production_key(neue, by=erin)
    response = client_for(dora).post(reverse("apikeys:key_approve", args=[key.key_id]))
    assert response.status_code in (302, 400)
    key.refresh_from_db()
    assert key.approved_at is None
    assert not AuditEvent.objects.filter(action=Action.KEY_APPROVED).exists()


def test_another_admin_confirms_her_on_user_management_then_she_decides(neue, dora, erin):
    erin_client = client_for(erin)
    page = erin_client.get(reverse("apikeys:user_management")).content.decode()
    row = page.split('data-username="dora"')[1].split("</tr>")[0]
    assert 'data-testid="admin-unconfirmed"' in row and 'data-testid="admin-confirm"' in row
    response = _confirm(erin_client, dora)
    assert response.status_code == 302
    assert "Confirmed: dora now decides requests that wait for a second Admin user." in _messages(response)
    dora.refresh_from_db()
    assert (dora.admin_confirmed_by, dora.awaits_admin_confirmation) == (erin, False)
    entry = AuditEvent.objects.get(action=Action.ADMIN_CONFIRMED)
    assert (entry.actor, entry.subject, entry.organization_id) == (erin, dora, neue.pk)
    key = _production_key(neue, by=erin)
    rules.apikey_approve(key=key, by=dora)
    key.refresh_from_db()
    assert key.approved_by == dora
    again = _confirm(erin_client, dora)  # a replayed form
    assert "This user is not an Admin user made by the bank who waits for confirmation." in _messages(again)
    assert AuditEvent.objects.filter(action=Action.ADMIN_CONFIRMED).count() == 1


def test_she_cannot_confirm_herself_nor_be_confirmed_by_another_unconfirmed_admin(neue, dora):
    response = _confirm(client_for(dora), dora)
    assert response.status_code == 302
    page = client_for(dora).get(reverse("apikeys:user_management")).content.decode()
    assert 'data-testid="admin-confirm"' not in page
    dora.refresh_from_db()
    assert dora.awaits_admin_confirmation
    assert not AuditEvent.objects.filter(action=Action.ADMIN_CONFIRMED).exists()


def test_another_organization_404_a_standard_user_403_get_405_no_csrf_403(neue, dora, erin, charlie_client):
    assert _confirm(charlie_client, dora).status_code == 404
    assert _confirm(charlie_client, User(pk=999_999)).status_code == 404
    assert _confirm(client_for(make_user("worker", neue)), dora).status_code == 403
    url = reverse("apikeys:onboarded_admin_confirm", args=[dora.pk])
    assert client_for(erin).get(url).status_code == 405
    assert client_for(erin, enforce_csrf_checks=True).post(url).status_code == 403
    dora.refresh_from_db()
    assert dora.awaits_admin_confirmation


def test_support_cannot_confirm_her(neue, dora, sam, tina_client):
    with pytest.raises(Refused) as refused:
        onboarded_admin_confirm(user=dora, by=sam)
    assert refused.value.code == "not_a_confirming_admin"
    assert _confirm(tina_client, dora).status_code == 403
    dora.refresh_from_db()
    assert dora.awaits_admin_confirmation
