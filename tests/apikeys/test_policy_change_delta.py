"""A waiting change of the security policy holds only the fields it changes, and its approval applies
them to the policy as it is then — never an old copy of the whole policy.

The attacker's view (a second Admin user playing for time): a weakening filed long ago must not undo
what was tightened since when it is approved, and two waiting changes of different fields both stand."""

import pytest

from apikeys.models import Decision, PolicyChange
from tests.apikeys.policy_cast import current_policy, post_policy, set_policy

URL = "/administration/security-policy/"


STRICT = {"max_validity_days": 90, "four_eyes": True, "allowed_networks": "192.0.2.0/24"}
current = current_policy


def post(client, **changes):
    """The policy's form with the strict policy's values but `changes`."""
    return post_policy(client, **{**STRICT, **changes})


@pytest.fixture
def strict(alice, dora):
    return set_policy(alice.organization, **STRICT)


def test_a_change_holds_only_the_fields_it_changes(strict, alice_client):
    assert post(alice_client, max_validity_days=120).status_code == 302
    assert PolicyChange.objects.get().values == {"max_validity_days": 120}


def test_two_waiting_changes_of_different_fields_both_apply(strict, alice_client, dora_client, alice):
    post(alice_client, max_validity_days=120)
    post(alice_client, allowed_networks="192.0.0.0/16")
    longer, wider = PolicyChange.objects.order_by("pk")
    assert longer.decision == wider.decision == ""  # neither superseded the other
    assert dora_client.post(f"{URL}changes/{longer.pk}/approve/").status_code == 302
    assert dora_client.post(f"{URL}changes/{wider.pk}/approve/").status_code == 302
    after = current(alice.organization)
    assert (after.max_validity_days, after.allowed_networks, after.four_eyes) == (120, "192.0.0.0/16", True)


def test_approving_an_old_change_keeps_what_was_tightened_since(strict, alice_client, dora_client, alice):
    post(alice_client, max_validity_days=120)  # waits
    post(dora_client, max_validity_days=90, allowed_networks="192.0.2.0/25")  # narrower: applies at once
    assert current(alice.organization).allowed_networks == "192.0.2.0/25"
    change = PolicyChange.objects.get()
    assert dora_client.post(f"{URL}changes/{change.pk}/approve/").status_code == 302
    after = current(alice.organization)
    assert (after.max_validity_days, after.allowed_networks) == (120, "192.0.2.0/25")  # the narrowing stands


def test_a_later_request_of_the_same_field_supersedes_the_earlier(strict, alice_client, dora_client, alice):
    post(alice_client, max_validity_days=120)
    post(alice_client, max_validity_days=150)
    earlier, later = PolicyChange.objects.order_by("pk")
    assert (earlier.decision, later.decision) == (Decision.SUPERSEDED, "")
    dora_client.post(f"{URL}changes/{earlier.pk}/approve/")
    assert current(alice.organization).max_validity_days == 90  # a superseded change never applies


def test_the_waiting_change_shows_only_what_it_changes(strict, alice_client, dora_client):
    post(alice_client, four_eyes=False)
    page = dora_client.get(URL).content.decode()
    row = page[page.index(f'data-change-id="{PolicyChange.objects.get().pk}"') :][:2000]
    assert "Four-eyes:" in row
    assert "Maximum validity:" not in row and "Allowed networks:" not in row
