"""Allowed networks per key: the API refuses any other address (403, counted like a failed
authentication); the Admin narrows a key at once, widening is a policy change."""

import pytest

from apikeys.models import ApiKey, PolicyChange
from apikeys.policy import rules as policy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import create_via_form, ping, set_policy

LIST = "/administration/api-keys/"


@pytest.fixture
def office_key(make_key, bob):
    return make_key(user=bob, allowed_networks="192.0.2.0/24")


def networks_url(key):
    return f"/administration/api-keys/{key.key_id}/networks/"


def test_a_request_from_inside_the_networks_passes(office_key):
    _key, token = office_key
    assert ping(token, REMOTE_ADDR="192.0.2.77").status_code == 200


def test_a_request_from_outside_gets_the_403_problem_and_is_counted(office_key):
    key, token = office_key
    response = ping(token, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["reason"] == "address_not_allowed" and problem["status"] == 403
    assert "WWW-Authenticate" not in response
    ping(token, REMOTE_ADDR="198.51.100.9")
    entry = AuditEvent.objects.get(action=Action.AUTH_FAILED, key_id=key.key_id)
    assert entry.count == 2 and entry.reason == "address_not_allowed" and entry.ip == "198.51.100.9"


def test_the_address_is_the_one_behind_the_trusted_proxy(office_key, settings):
    _key, token = office_key
    settings.TRUSTED_PROXY_COUNT = 1
    inside = ping(token, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.5")
    assert inside.status_code == 200
    # A client cannot forge its way in by writing an allowed address further left.
    forged = ping(token, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.5, 198.51.100.9")
    assert forged.status_code == 403


def test_the_secret_is_checked_before_the_address(office_key):
    _key, token = office_key
    wrong = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert ping(wrong, REMOTE_ADDR="198.51.100.9").status_code == 401


def test_verification_is_still_one_query(office_key, django_assert_num_queries):
    _key, token = office_key
    with django_assert_num_queries(1):
        assert ApiKey.objects.verify_token(token, address="192.0.2.1").ok
    with django_assert_num_queries(1):
        assert ApiKey.objects.verify_token(token, address="203.0.113.1").failure == "address_not_allowed"


def test_a_key_with_networks_refuses_an_unknown_address(office_key):
    _key, token = office_key
    assert ApiKey.objects.verify_token(token).failure == "address_not_allowed"


def test_new_keys_get_the_policys_networks_and_stay_within_them(alice, alice_client, bob):
    set_policy(alice.organization, allowed_networks="192.0.2.0/24")
    assert "192.0.2.0/24" in alice_client.get("/administration/api-keys/new/").content.decode()
    response, _token = create_via_form(alice_client, bob, api="integration", allowed_networks="192.0.2.0/26")
    assert response.status_code == 200
    assert ApiKey.objects.get(note="ERP").allowed_networks == "192.0.2.0/26"
    for wider in ("", "192.0.0.0/16", "2001:db8::/32"):
        response, token = create_via_form(alice_client, bob, api="integration", allowed_networks=wider)
        assert response.status_code == 400 and token is None
        assert "allows only addresses in 192.0.2.0/24" in response.content.decode()


def test_bad_networks_get_a_form_message_not_a_500(alice_client, bob):
    response, _token = create_via_form(alice_client, bob, api="integration", allowed_networks="192.0.2.1/24 foo")
    assert response.status_code == 400
    assert "host bits set" in response.content.decode() and "192.0.2.0/24" in response.content.decode()


def test_the_key_page_shows_its_networks_whole(office_key, alice_client):
    key, _token = office_key
    html = alice_client.get(f"{LIST}{key.key_id}/").content.decode()
    assert '<code class="ident">192.0.2.0/24</code>' in html.split('data-testid="key-networks"', 1)[1]


def test_narrowing_takes_effect_at_once_even_with_four_eyes(office_key, alice, alice_client, dora):
    key, token = office_key
    set_policy(alice.organization, four_eyes=True)
    alice_client.post(networks_url(key), {"allowed_networks": "192.0.2.0/28"})
    key.refresh_from_db()
    assert key.allowed_networks == "192.0.2.0/28"
    assert ping(token, REMOTE_ADDR="192.0.2.77").status_code == 403
    assert AuditEvent.objects.filter(action=Action.KEY_NETWORKS, key_id=key.key_id).exists()


def test_widening_waits_for_a_second_admin_while_four_eyes_is_on(office_key, alice, alice_client, dora_client):
    key, token = office_key
    set_policy(alice.organization, four_eyes=True)
    alice_client.post(networks_url(key), {"allowed_networks": "192.0.2.0/24\n198.51.100.0/24"})
    key.refresh_from_db()
    assert key.allowed_networks == "192.0.2.0/24"
    assert ping(token, REMOTE_ADDR="198.51.100.9").status_code == 403
    change = PolicyChange.objects.get(key=key)
    # alice cannot approve her own request, not even by posting the form.
    alice_client.post(f"/administration/security-policy/changes/{change.pk}/approve/")
    key.refresh_from_db()
    assert key.allowed_networks == "192.0.2.0/24"
    dora_client.post(f"/administration/security-policy/changes/{change.pk}/approve/")
    key.refresh_from_db()
    assert key.allowed_networks == "192.0.2.0/24 198.51.100.0/24"
    assert ping(token, REMOTE_ADDR="198.51.100.9").status_code == 200


def test_widening_without_four_eyes_takes_effect_at_once(office_key, alice_client):
    key, token = office_key
    alice_client.post(networks_url(key), {"allowed_networks": ""})
    key.refresh_from_db()
    assert not key.allowed_networks
    assert ping(token, REMOTE_ADDR="203.0.113.1").status_code == 200


def test_a_key_cannot_be_widened_beyond_the_policy(office_key, alice, alice_client):
    key, _token = office_key
    set_policy(alice.organization, allowed_networks="192.0.2.0/24")
    response = alice_client.post(networks_url(key), {"allowed_networks": "0.0.0.0/0"})
    assert response.status_code == 400
    with pytest.raises(policy.ValidationError):
        policy.apikey_set_networks(key=key, by=alice, allowed_networks="")


def test_networks_of_another_organizations_key_are_404(office_key, charlie_client, bob_client):
    key, _token = office_key
    assert charlie_client.post(networks_url(key), {"allowed_networks": ""}).status_code == 404
    assert bob_client.post(networks_url(key), {"allowed_networks": ""}).status_code == 403
    key.refresh_from_db()
    assert key.allowed_networks == "192.0.2.0/24"
