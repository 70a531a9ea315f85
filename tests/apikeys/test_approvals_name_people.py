"""Approvals name the person behind a user identification: the waiting policy changes and keys show the
requester's real name and address beside it, so that a look-alike identification shows for what it is;
and the support admin tells the second staff user when their approval alone makes a change take effect."""

import re

from django.urls import reverse

from apikeys.policy import rules as policy
from tests.apikeys.policy_cast import create_via_form
from tests.support_admin import change_user
from users.models import Organization, User

PERSON = "alice (Alice Tester, alice@demo.example)"


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_a_waiting_policy_change_names_its_requester(four_eyes, alice, dora_client):
    policy.policy_update(
        organization_id=alice.organization_id, by=alice, max_validity_days=None, four_eyes=False, allowed_networks=""
    )
    assert PERSON in _text(dora_client.get("/administration/security-policy/").content.decode())


def test_a_waiting_key_names_its_requester(four_eyes, alice_client, dora_client, bob):
    assert create_via_form(alice_client, bob, api="production")[0].status_code == 200
    body = dora_client.get("/administration/api-keys/").content.decode()
    [block] = body.split('data-testid="attention-waiting"')[1:]
    assert f"requested by {PERSON}" in _text(block)


def test_support_sees_what_an_approval_leads_to(sam_client, tina_client, alice, bob):
    change_user(sam_client, bob, is_org_admin="on")
    neue = Organization.objects.create(name="Neue AG")
    data = {"username": "nora", "first_name": "Nora", "last_name": "Neu", "email": "nora@neue.example"}
    assert sam_client.post(reverse("admin:users_user_add"), {**data, "organization": neue.pk}).status_code == 302
    page = tina_client.get(reverse("admin:users_bankchange_changelist")).content.decode()
    assert "Waits for an Admin user of the organization" in page  # bob's flag: alice confirms
    assert "Takes effect at once: the organization has no active Admin user (onboarding)" in page  # nora
    assert not User.objects.get(username="nora").is_active
