"""«Refuse» of a change by the bank asks the same fresh proof as «Confirm»: a refusal decides the change
for the organization too, so a session left open (or a stolen cookie) alone cannot decide it.

The attacker's view: a stale session posts «Refuse» — nothing is decided until the proof is right;
another organization's Admin user gets 404 before any proof is asked, a standard user 403."""

import pytest
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.cast import PASSWORD
from tests.factors import stale_proof
from tests.support_admin import approve_held, change_user
from users.models import BankChange


@pytest.fixture
def grant(sam_client, tina, alice, bob):
    """sam grants bob the Admin flag, tina approves it: it waits for Demo AG's Admin users."""
    change_user(sam_client, bob, is_org_admin="on")
    approve_held(bob, by=tina)
    return BankChange.objects.get(user=bob, state=BankChange.State.ORGANIZATION)


def _refuse(client, change, **form):
    return client.post(reverse("apikeys:bank_change_refuse", args=[change.pk]), form)


def _state(change) -> str:
    change.refresh_from_db()
    return change.state


def test_a_stale_session_is_asked_for_the_proof_and_refuses_nothing_without_it(grant, alice_client):
    stale_proof(alice_client)
    page = _refuse(alice_client, grant)
    assert page.status_code == 200 and 'data-testid="step-up"' in page.content.decode()
    assert _state(grant) == BankChange.State.ORGANIZATION
    wrong = _refuse(alice_client, grant, step_up="1", step_up_password="not-the-password")
    assert wrong.status_code == 400
    assert _state(grant) == BankChange.State.ORGANIZATION
    assert AuditEvent.objects.filter(action=Action.STEP_UP_FAILED, subject__username="alice").exists()
    assert not AuditEvent.objects.filter(action=Action.CHANGE_REFUSED).exists()


def test_with_the_right_proof_the_refusal_goes_through(grant, alice_client, bob):
    stale_proof(alice_client)
    response = _refuse(alice_client, grant, step_up="1", step_up_password=PASSWORD)
    assert response.status_code == 302
    assert _state(grant) == BankChange.State.REFUSED
    assert AuditEvent.objects.filter(action=Action.CHANGE_REFUSED, actor__username="alice").exists()
    bob.refresh_from_db()
    assert not bob.is_org_admin


def test_another_organization_gets_404_before_any_proof(grant, charlie_client):
    stale_proof(charlie_client)
    assert _refuse(charlie_client, grant).status_code == 404
    assert _refuse(charlie_client, BankChange(pk=999_999)).status_code == 404
    assert _state(grant) == BankChange.State.ORGANIZATION


def test_a_standard_user_gets_403(grant, bob_client):
    stale_proof(bob_client)
    assert _refuse(bob_client, grant, step_up="1", step_up_password=PASSWORD).status_code == 403
    assert _state(grant) == BankChange.State.ORGANIZATION
