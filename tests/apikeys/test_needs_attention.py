"""What waits for an Admin user (`apikeys.attention`): «Needs attention» at the top of the key list, and
the bands of the Overview and of Administration. Each key is shown to the Admin users of its own
contract only, the approvals to those who may decide them, and the cost does not grow with the keys."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.attention import SHOWN
from apikeys.models import Api, ApiKey
from apikeys.policy.rules import apikeys_suspend
from apikeys.services import apikey_replace
from tests.apikeys.key_list import URL
from tests.apikeys.policy_cast import set_policy
from tests.cast import today

OVERVIEW = "/"
ADMINISTRATION = "/administration/"


def in_days(days: int) -> datetime.date:
    return today() + datetime.timedelta(days=days)


def block(html: str) -> str:
    """The «Needs attention» section of a key list, or "" when the page has none."""
    match = re.search(r'<section class="attention".*?</section>', html, re.S)
    return match[0] if match else ""


def listed(html: str, kind: str) -> list[str]:
    """The key IDs of one list of the block: waiting, expiring, ending."""
    match = re.search(rf'data-testid="attention-{kind}">(.*?)</ul>', block(html), re.S)
    return re.findall(r'<li data-attention-key="([a-z2-7]{12})"', match[1]) if match else []


def page(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def pending(make_key, bob, alice, demo_ag):
    """A production key that alice made under four-eyes: dora may decide it, alice may not."""
    set_policy(demo_ag, four_eyes=True)
    key = make_key(user=bob, api=Api.PRODUCTION, created_by=alice, note="ERP Abacus")[0]
    assert key.is_pending_approval
    return key


def test_nothing_waits_no_block_and_no_band(alice_client, alice_key):
    assert block(page(alice_client)) == ""
    for url in (OVERVIEW, ADMINISTRATION):
        assert 'data-testid="attention-bands"' not in page(alice_client, url)


def test_the_other_admin_user_finds_the_key_waiting_for_them_with_approve_and_reject(
    pending, alice_client, dora_client
):
    html = page(dora_client)
    assert listed(html, "waiting") == [pending.key_id]
    assert f"/administration/api-keys/{pending.key_id}/approve/" in block(html)
    assert f"/administration/api-keys/{pending.key_id}/reject/" in block(html)
    assert "ERP Abacus" in block(html)
    # alice made it: it does not wait for her, and her page has nothing else waiting.
    assert listed(page(alice_client), "waiting") == []
    assert block(page(alice_client)) == ""


def test_approving_from_the_block_empties_it(pending, dora_client):
    response = dora_client.post(f"/administration/api-keys/{pending.key_id}/approve/")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.approved_at is not None
    assert listed(page(dora_client), "waiting") == []


def test_a_key_past_its_approval_window_no_longer_waits(pending, dora_client):
    ApiKey.objects.filter(pk=pending.pk).update(approval_requested_at=timezone.now() - datetime.timedelta(days=30))
    assert listed(page(dora_client), "waiting") == []


def test_another_contract_sees_nothing_of_it(pending, make_key, bob, charlie_client):
    make_key(user=bob, valid_until=in_days(3))
    assert block(page(charlie_client)) == ""
    assert 'data-testid="attention-bands"' not in page(charlie_client, OVERVIEW)


def test_a_standard_user_gets_no_band_and_no_list(pending, bob_client):
    assert 'data-testid="attention-bands"' not in page(bob_client, OVERVIEW)
    assert bob_client.get(URL).status_code == 403


def test_keys_expiring_within_30_days_are_listed_with_replace(make_key, bob, alice_client):
    soon = make_key(user=bob, valid_until=in_days(30))[0]
    sooner = make_key(user=bob, valid_until=in_days(2))[0]
    make_key(user=bob, valid_until=in_days(31))
    make_key(user=bob, valid_until=in_days(-1))  # expired: nothing to do
    html = page(alice_client)
    assert listed(html, "expiring") == [sooner.key_id, soon.key_id]  # the nearest end first
    assert f"/administration/api-keys/{soon.key_id}/replace/" in block(html)


def test_a_replaced_key_leaves_expiring_and_shows_when_its_overlap_ends(make_key, bob, alice, alice_client):
    old = make_key(user=bob, valid_until=in_days(10))[0]
    far = make_key(user=bob)[0]
    apikey_replace(key=old, valid_until=in_days(200), overlap=datetime.timedelta(days=3), by=alice)
    apikey_replace(key=far, valid_until=in_days(200), overlap=datetime.timedelta(days=8), by=alice)
    html = page(alice_client)
    assert old.key_id not in listed(html, "expiring")
    assert listed(html, "ending") == [old.key_id]  # `far` stops in 8 days: not yet


def test_each_list_shows_its_first_keys_and_how_many_more(make_key, bob, alice_client):
    for day in range(SHOWN + 2):
        make_key(user=bob, valid_until=in_days(day + 1))
    html = page(alice_client)
    assert len(listed(html, "expiring")) == SHOWN
    assert "and 2 more keys" in block(html)


def test_a_search_narrows_the_tables_not_the_block(make_key, bob, alice_client):
    make_key(user=bob, valid_until=in_days(5))
    assert block(alice_client.get(URL, {"q": "nothing"}).content.decode()) == ""


def test_the_bands_count_what_waits(pending, make_key, bob, dora_client, alice_client):
    make_key(user=bob, valid_until=in_days(4))
    make_key(user=bob, valid_until=in_days(5))
    for url in (OVERVIEW, ADMINISTRATION):
        html = page(dora_client, url)
        assert "1 key waits for your approval." in html
        assert "2 keys expire within 30 days." in html
        assert 'data-testid="band-suspended"' not in html
        assert "1 key waits for your approval." not in page(alice_client, url)  # she made it


def test_the_stop_is_a_red_band_with_resume_for_who_may(demo_ag, alice, dora, alice_client, dora_client):
    apikeys_suspend(organization=demo_ag, by=alice, reason="Laptop stolen")
    # alice stopped them and dora is there: dora resumes, alice is sent to the policy without the button.
    dora_band = re.search(r'data-testid="band-suspended">.*?</p>', page(dora_client, OVERVIEW), re.S)[0]
    assert "/administration/security-policy/#resume" in dora_band and "Resume" in dora_band
    alice_band = re.search(r'data-testid="band-suspended">.*?</p>', page(alice_client, ADMINISTRATION), re.S)[0]
    assert "#resume" not in alice_band


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_block_and_bands_speak_the_users_language(pending, dora_client, language):
    dora_client.cookies["django_language"] = language
    html = page(dora_client)
    assert "Needs attention" not in html and "Waiting for your approval" not in html
    assert "keys wait for your approval" not in page(dora_client, OVERVIEW)
    assert "key waits for your approval" not in page(dora_client, OVERVIEW)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, url)
    return len(queries)


def test_the_cost_does_not_grow_with_what_waits(demo_ag, make_key, bob, alice, dora, dora_client):
    set_policy(demo_ag, four_eyes=True)
    make_key(user=bob, api=Api.PRODUCTION, created_by=alice)
    make_key(user=bob, valid_until=in_days(3))
    old = make_key(user=bob)[0]
    apikey_replace(key=old, valid_until=in_days(100), overlap=datetime.timedelta(days=1), by=dora)
    few = {url: _queries(dora_client, url) for url in (URL, OVERVIEW, ADMINISTRATION)}
    for _ in range(SHOWN * 2):
        make_key(user=bob, api=Api.PRODUCTION, created_by=alice)
        make_key(user=bob, valid_until=in_days(3))
        older = make_key(user=bob)[0]
        apikey_replace(key=older, valid_until=in_days(100), overlap=datetime.timedelta(days=1), by=alice)
    assert {url: _queries(dora_client, url) for url in (URL, OVERVIEW, ADMINISTRATION)} == few


def test_the_request_of_an_admin_user_who_left_waits_for_nobody(pending, alice, dora_client):
    """Taken out without the support admin (nothing lapsed): no Approve is offered for it."""
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert listed(page(dora_client), "waiting") == []
    assert "1 key waits for your approval." not in page(dora_client, OVERVIEW)
