"""Support's key list and key page say what the API answers each key now — «Accepted», or «Refused now»
and why — not merely «Valid»: a valid key can be refused (waiting for approval, the emergency stop, its
user deactivated), and the reasons follow `verify_token`'s order."""

import datetime
import re

import pytest
from django.urls import reverse

from apikeys.models import Api, ApiKey
from apikeys.policy.rules import apikeys_suspend
from apikeys.services import apikey_replace
from efinance.lib.when import moment
from tests.apikeys.policy_cast import ping, set_policy
from tests.cast import today

CHANGELIST = "admin:apikeys_apikey_changelist"


def answers(client) -> dict[str, str]:
    """Each listed key's «the API answers now» cell, by key ID."""
    html = client.get(reverse(CHANGELIST)).content.decode()
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    found = {}
    for row in rows:
        key_id = re.search(r">([a-z2-7]{12})</a>", row)
        cell = re.search(r'<td class="field-api_answer_display">(.*?)</td>', row, re.S)
        if key_id and cell:
            found[key_id[1]] = cell[1]
    return found


def test_each_state_is_said_with_its_reason(sam_client, make_key, bob, alice, demo_ag):
    working, working_token = make_key(user=bob, allowed_networks="192.0.2.0/24")
    expired = make_key(user=bob, valid_until=today() - datetime.timedelta(days=3))[0]
    deleted = make_key(user=bob, deleted=True)[0]
    old = make_key(user=bob)[0]
    apikey_replace(
        key=old, valid_until=today() + datetime.timedelta(days=90), overlap=datetime.timedelta(days=7), by=alice
    )
    set_policy(demo_ag, four_eyes=True)
    pending = make_key(user=bob, api=Api.PRODUCTION, created_by=alice)[0]
    said = answers(sam_client)
    assert said[working.key_id] == "Accepted — only from 192.0.2.0/24; refused from any other address"
    assert said[expired.key_id] == f"Refused now: expired on {(today() - datetime.timedelta(days=2)):%d.%m.%Y}"
    deleted.refresh_from_db()
    old.refresh_from_db()
    # in the customers' form, Swiss time; the page's footer names the zone once
    assert said[deleted.key_id] == f"Refused now: deleted on {moment(deleted.revoked_at)}"
    assert said[old.key_id] == f"Accepted until {moment(old.ends_at)} (replaced)"
    assert said[pending.key_id] == "Refused now: waiting for a second Admin user&#x27;s approval"
    assert ping(working_token, REMOTE_ADDR="192.0.2.7").status_code == 200  # as said: accepted from there


def test_the_stop_and_a_deactivated_user_refuse_valid_keys(sam_client, make_key, bob, alice, demo_ag):
    key, token = make_key(user=bob)
    apikeys_suspend(organization=demo_ag, by=alice, reason="Laptop stolen")
    assert answers(sam_client)[key.key_id] == "Refused now: every key of the organization is suspended (emergency stop)"
    assert ping(token).status_code == 401


def test_a_valid_key_of_a_deactivated_user_is_refused_for_that_reason(sam_client, make_key, bob):
    """Support's deactivation ends the user's keys; a user deactivated otherwise (the database, a
    command) leaves them valid, and the API refuses them for that reason, which the column names."""
    key, token = make_key(user=bob)
    type(bob).objects.filter(pk=bob.pk).update(is_active=False)
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert answers(sam_client)[key.key_id] == "Refused now: its user is deactivated"
    assert ping(token).status_code == 401


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_support_reads_it_in_its_language(sam_client, make_key, bob, language):
    key = make_key(user=bob)[0]
    sam_client.cookies["django_language"] = language
    assert answers(sam_client)[key.key_id] not in ("Accepted", "")
