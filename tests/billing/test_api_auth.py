"""The Billing Solutions API's authentication, from the integrator's side: every way a token is refused."""

import datetime
import json

import pytest
from django.utils import timezone

from apikeys import tokens
from apikeys.models import Api, ApiKey
from audit.models import Action, AuditEvent

PING = {Api.PRODUCTION: "/api/billing/v1/ping", Api.INTEGRATION: "/api/billing-int/v1/ping"}
INT_PING = PING[Api.INTEGRATION]


def ping(client, token, url=INT_PING, **extra):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def assert_refused(response, reason):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="Billing Solutions", error="invalid_token"'
    problem = response.json()
    assert problem["type"] == "urn:efinance:problem:invalid-token"
    assert problem["status"] == 401
    assert problem["reason"] == reason
    assert problem["title"] and problem["detail"]
    return problem


def change_one(text: str, index: int) -> str:
    replacement = "a" if text[index] != "a" else "b"
    return text[:index] + replacement + text[index + 1 :]


def test_it_answers_ping_with_the_key_its_user_and_organization(client, alice_key):
    key, token = alice_key
    response = ping(client, token)
    assert response.status_code == 200
    assert response.json() == {
        "key_id": key.key_id,
        "api": "integration",
        "user": "bob",
        "organization": "Demo AG",
        "valid_until": key.valid_until.isoformat(),
    }


def test_the_ping_answers_what_ninja_renders_from_its_schema(client, alice_key):
    """The ping writes its JSON into the response ninja has made for it, without ninja's validation and
    renderer (docs/development/performance.md): the same media type and the same document as ninja
    answers from the `Ping` schema, a name beyond ASCII included."""
    from billing.api.apis import integration
    from billing.api.schemas import Ping

    key, token = alice_key
    key.organization.name = "Zürich «Test» AG"
    key.organization.save()
    response = ping(client, token)
    assert response.status_code == 200
    schema = Ping.model_validate(response.json()).model_dump()
    rendered = integration.create_response(response.wsgi_request, schema, status=200)
    assert response["Content-Type"] == rendered["Content-Type"]
    assert response.json() == json.loads(rendered.content)
    assert response.json()["organization"] == "Zürich «Test» AG"


@pytest.mark.parametrize("url", [*PING.values(), "/api/billing-int/v1/documents"])
def test_an_anonymous_call_gets_the_401_problem_not_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="Billing Solutions"'
    assert response.json()["reason"] == "missing"


@pytest.mark.parametrize("header", ["Basic Ym9iOnNlY3JldA==", "Token {token}", "{token}"])
def test_only_the_bearer_scheme_is_accepted(client, alice_key, header):
    _key, token = alice_key
    response = client.get(INT_PING, HTTP_AUTHORIZATION=header.format(token=token))
    assert response.status_code == 401
    assert response.json()["reason"] == "missing"


def test_a_token_in_the_query_string_is_not_accepted(client, alice_key):
    _key, token = alice_key
    response = client.get(f"{INT_PING}?token={token}")
    assert response.status_code == 400  # never authenticated: tests/sweeps/test_token_in_logs.py
    assert response.json()["type"] == "urn:efinance:problem:token-in-url"


@pytest.mark.parametrize("garbage", ["", "x", "bsint_" + "a" * 200, "bsint_abc_def_ghi"])
def test_garbage_is_malformed(client, db, garbage):
    assert_refused(ping(client, garbage or " "), "malformed")


def test_one_character_changed_in_the_checksum_is_malformed(client, alice_key):
    _key, token = alice_key
    assert_refused(ping(client, change_one(token, len(token) - 1)), "malformed")


@pytest.mark.parametrize("part", ["key_id", "secret"])
def test_one_character_changed_in_the_key_id_or_the_secret_gets_one_message(client, alice_key, part):
    """With a valid checksum (an attacker can compute it), the key ID and the secret are tried for real."""
    _key, token = alice_key
    parsed = tokens.parse_token(token)
    key_id, secret = parsed.key_id, parsed.secret
    if part == "key_id":
        key_id = change_one(key_id, 3)
    else:
        secret = change_one(secret, 20)
    problem = assert_refused(ping(client, tokens.build_token(parsed.api, key_id, secret)), "unknown")
    unknown_key = tokens.build_token(parsed.api, tokens.new_key_id(), tokens.new_secret())
    assert problem == ping(client, unknown_key).json()


def test_a_wrong_secret_on_an_existing_key_is_counted_in_the_audit_log(client, alice_key):
    key, token = alice_key
    parsed = tokens.parse_token(token)
    ping(client, tokens.build_token(parsed.api, parsed.key_id, tokens.new_secret()), REMOTE_ADDR="192.0.2.7")
    event = AuditEvent.objects.get(action=Action.AUTH_FAILED)
    assert (event.key_id, event.organization_id, event.ip) == (key.key_id, key.organization_id, "192.0.2.7")


@pytest.mark.parametrize(("key_api", "url_api"), [(Api.PRODUCTION, Api.INTEGRATION), (Api.INTEGRATION, Api.PRODUCTION)])
def test_a_key_is_refused_by_the_other_environment(client, make_key, key_api, url_api):
    _key, token = make_key(api=key_api)
    assert_refused(ping(client, token, PING[url_api]), "wrong_api")
    assert ping(client, token, PING[key_api]).status_code == 200


def test_a_key_of_another_organization_works_only_for_that_organization(client, make_key, charlie):
    _key, token = make_key(user=charlie)
    assert ping(client, token).json()["organization"] == "Other AG"


def test_an_expired_key_is_refused(client, alice_key):
    key, token = alice_key
    ApiKey.objects.filter(pk=key.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert_refused(ping(client, token), "expired")


def test_a_key_of_a_deactivated_user_is_refused(client, alice_key, bob):
    _key, token = alice_key
    bob.is_active = False
    bob.save()
    assert_refused(ping(client, token), "user_inactive")


def test_a_key_deleted_between_two_requests_is_refused_on_the_next_one(client, alice_key, alice_client):
    key, token = alice_key
    assert ping(client, token).status_code == 200
    response = alice_client.post(f"/administration/api-keys/{key.key_id}/delete/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert_refused(ping(client, token), "deleted")


def test_the_success_path_costs_one_query_one_count_and_one_update_a_minute(
    client, alice_key, django_assert_num_queries
):
    key, token = alice_key
    # The key's first use from a network is reported (tests/billing/test_api_new_network.py); a minute on:
    ping(client, token, REMOTE_ADDR="198.51.100.4")
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - datetime.timedelta(seconds=61))
    with django_assert_num_queries(3):  # verification, the last use's UPDATE, the usage count's upsert
        assert ping(client, token, REMOTE_ADDR="198.51.100.4").status_code == 200
    for _ in range(3):
        with django_assert_num_queries(2):  # verification and usage count: used less than a minute ago
            assert ping(client, token, REMOTE_ADDR="198.51.100.5").status_code == 200
    key.refresh_from_db()
    assert key.last_used_ip == "198.51.100.4"
    assert timezone.now() - key.last_used_at < datetime.timedelta(seconds=5)


def test_last_used_is_written_again_after_a_minute(client, alice_key):
    key, token = alice_key
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - datetime.timedelta(seconds=61))
    ping(client, token, REMOTE_ADDR="2001:db8::1")
    key.refresh_from_db()
    assert key.last_used_ip == "2001:db8::1"
    assert timezone.now() - key.last_used_at < datetime.timedelta(seconds=5)


def test_x_forwarded_for_is_trusted_only_when_a_setting_says_so(client, alice_key, settings):
    key, token = alice_key
    settings.TRUSTED_PROXY_COUNT = 0
    ping(client, token, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    key.refresh_from_db()
    assert key.last_used_ip == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=None)
    ping(client, token, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    key.refresh_from_db()
    assert key.last_used_ip == "203.0.113.9"
