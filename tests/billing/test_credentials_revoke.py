"""`POST /api/credentials/revoke`: public, unauthenticated, and telling the reporter nothing."""

import datetime
import json

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from apikeys import tokens
from apikeys.models import Api, ApiKey, Status
from audit.models import Action, AuditEvent
from billing.models import ReportCounter
from tests.conftest import flip_last, statements_run
from users.mail import send_pending

URL = "/api/credentials/revoke"


def _post(client, body, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **extra)


def test_a_reported_token_stops_working_on_the_next_request(make_key, bob):
    key, token = make_key(user=bob)
    ping = "/api/billing-int/v1/ping"
    assert Client().get(ping, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    response = _post(Client(enforce_csrf_checks=True), {"credentials": [token]}, REMOTE_ADDR="198.51.100.4")
    assert (response.status_code, response.json()) == (202, {"received": 1})
    refused = Client().get(ping, headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()["reason"]) == (401, "deleted")
    entry = AuditEvent.objects.get(action=Action.KEY_EXPOSED, key_id=key.key_id)
    assert entry.ip == "198.51.100.4"
    assert entry.exposure_source_display == "reported to the public revocation endpoint"


def test_the_answer_is_the_same_whatever_was_sent(make_key, bob):
    _valid, valid_token = make_key(user=bob)
    _deleted, deleted_token = make_key(user=bob, deleted=True)
    _expired, expired_token = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=3))
    existing, _token = make_key(user=bob)
    cases = {
        "valid": valid_token,
        "again": valid_token,  # now deleted by the first report
        "deleted": deleted_token,
        "expired": expired_token,
        "wrong secret": tokens.build_token(Api.INTEGRATION, existing.key_id, tokens.new_secret()),
        "unknown": tokens.build_token(Api.PRODUCTION, tokens.new_key_id(), tokens.new_secret()),
        "typo": flip_last(valid_token),
        "junk": "<script>alert(1)</script>",
        "empty": "",
    }
    answers = set()
    for _case, credential in cases.items():
        response = _post(Client(), {"credentials": [credential, "x"]})
        answers.add((response.status_code, response.content, response["Content-Type"]))
    assert answers == {(202, b'{"received": 2}', "application/json; charset=utf-8")}


def test_the_count_is_of_what_was_received_duplicates_and_junk_included(make_key, bob):
    _key, token = make_key(user=bob)
    response = _post(Client(), {"credentials": [token, token, "junk", ""]})
    assert response.json() == {"received": 4}


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        None,
        b'"bsint_x"',
        {"credentials": []},
        {"credentials": "bsint_x"},
        {"credentials": [1]},
        {"credentials": [None]},
        {"credentials": [["nested"]]},
        {"credentials": [{"token": "x"}]},
        {"credentials": ["x"], "url": "https://example.com"},
        {"Credentials": ["x"]},
        {"credentials": ["x"] * 1001},
    ],
    ids=repr,
)
def test_anything_not_of_the_documented_shape_is_a_422_problem(make_key, bob, body, settings):
    settings.CREDENTIALS_REVOKE_PER_MINUTE = 1000
    key, token = make_key(user=bob)
    if isinstance(body, dict) and isinstance(body.get("credentials"), list) and body["credentials"]:
        body["credentials"][-1:] = [token] if body["credentials"][-1] == "x" else body["credentials"][-1:]
    response = _post(Client(), body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:efinance:problem:validation"
    key.refresh_from_db()
    assert key.status == Status.VALID  # nothing of a refused request is acted upon


def test_broken_json_is_a_400_problem_and_not_json_a_415(make_key, bob):
    assert _post(Client(), b'{"credentials": ["x"').status_code == 400
    assert _post(Client(), b"\xff\xfe").status_code == 400
    response = Client().post(URL, "credentials=x", content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response["Content-Type"]) == (415, "application/problem+json")


def test_a_body_over_the_limit_is_a_413_problem_before_it_is_read(make_key, bob, settings):
    settings.CREDENTIALS_MAX_BODY_BYTES = 1000
    key, token = make_key(user=bob)
    response = _post(Client(), {"credentials": [token, "x" * 1000]})
    assert (response.status_code, response["Content-Type"]) == (413, "application/problem+json")
    key.refresh_from_db()
    assert key.status == Status.VALID


def test_a_thousand_tokens_fit_in_the_default_limit(make_key, bob):
    tokens_ = [tokens.build_token(Api.PRODUCTION, tokens.new_key_id(), tokens.new_secret()) for _ in range(1000)]
    response = _post(Client(), {"credentials": tokens_})
    assert (response.status_code, response.json()) == (202, {"received": 1000})


def test_an_address_is_limited_per_minute_with_a_429_and_retry_after(settings, monkeypatch, make_key, bob):
    settings.CREDENTIALS_REVOKE_PER_MINUTE = 3
    now = timezone.now().replace(second=20, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    key, token = make_key(user=bob)
    client = Client()
    for _ in range(2):
        assert _post(client, {"credentials": ["x"]}, REMOTE_ADDR="192.0.2.1").status_code == 202
    assert _post(client, b"not json", REMOTE_ADDR="192.0.2.1").status_code == 400  # a refused body counts too
    limited = _post(client, {"credentials": [token]}, REMOTE_ADDR="192.0.2.1")
    assert (limited.status_code, limited["Retry-After"]) == (429, "40")
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["type"] == "urn:efinance:problem:rate-limited"
    key.refresh_from_db()
    assert key.status == Status.VALID  # a limited request does nothing
    assert _post(client, {"credentials": ["x"]}, REMOTE_ADDR="192.0.2.2").status_code == 202  # another address
    # The count is in the database, shared by every app server (here: a fresh client, a new "server").
    assert ReportCounter.objects.get(address="192.0.2.1").count == 4
    assert _post(Client(), {"credentials": ["x"]}, REMOTE_ADDR="192.0.2.1").status_code == 429
    later = now + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert _post(client, {"credentials": [token]}, REMOTE_ADDR="192.0.2.1").status_code == 202
    key.refresh_from_db()
    assert key.status == Status.DELETED
    assert not ReportCounter.objects.filter(minute__lt=later.replace(second=0)).exists()  # old minutes pruned


def test_behind_a_proxy_the_limit_and_the_log_use_the_client_address(settings, make_key, bob):
    settings.TRUSTED_PROXY_COUNT = 1
    _key, token = make_key(user=bob)
    _post(Client(), {"credentials": [token]}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert AuditEvent.objects.get(action=Action.KEY_EXPOSED).ip == "203.0.113.50"
    assert ReportCounter.objects.get().address == "203.0.113.50"


def test_no_session_no_csrf_no_login_needed(alice_client, make_key, bob):
    _key, token = make_key(user=bob)
    response = _post(Client(enforce_csrf_checks=True), {"credentials": [token]})
    assert response.status_code == 202
    assert "sessionid" not in response.cookies
    assert _post(alice_client, {"credentials": ["x"]}).status_code == 202  # a session changes nothing


def test_get_is_405_problem():
    response = Client().get(URL)
    assert (response.status_code, response["Content-Type"]) == (405, "application/problem+json")


def test_the_e_mails_go_out_through_the_outbox_never_a_token(make_key, bob, alice):
    key, token = make_key(user=bob)
    send_pending()  # the creation notices
    mail.outbox.clear()
    _post(Client(), {"credentials": [token]})
    assert mail.outbox == []  # the request only stored them
    assert send_pending() == (2, 0)
    assert {message.to[0] for message in mail.outbox} == {alice.email, bob.email}
    for message in mail.outbox:
        assert key.key_id in message.body
        assert token not in message.body + message.alternatives[0][0] + message.subject


def test_the_queries_of_a_request_do_not_grow_with_its_tokens(make_key, bob, settings, monkeypatch):
    settings.CREDENTIALS_REVOKE_PER_MINUTE = 1000
    now = timezone.now().replace(second=10)
    monkeypatch.setattr(timezone, "now", lambda: now)  # all requests in one minute of the counter
    unknown = [tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret()) for _ in range(962)]
    few = [make_key(user=bob)[1] for _ in range(2)] + unknown[:1]
    many = [make_key(user=bob)[1] for _ in range(40)]
    # The first request of a minute also prunes the request counter, its first failure the failure counter.
    _post(Client(), {"credentials": unknown[-1:]})
    with statements_run() as for_few:
        _post(Client(), {"credentials": few})
    with statements_run() as for_many:
        _post(Client(), {"credentials": [*many, *unknown[1:-1]]})
    assert ApiKey.objects.valid().count() == 0
    assert len(for_many) == len(for_few)


def test_its_openapi_page_and_docs_are_public():
    schema = Client().get("/api/credentials/openapi.json").json()
    assert set(schema["paths"]) == {"/api/credentials/revoke", "/api/secret-scanning/github"}
    operation = schema["paths"]["/api/credentials/revoke"]["post"]
    assert {"202", "413", "422", "429"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["429"]["content"]
    assert not operation.get("security")
    docs = Client().get("/api/credentials/docs")
    assert docs.status_code == 200
    assert "data:" in docs["Content-Security-Policy"]


@pytest.mark.parametrize(
    "pasted",
    [
        "{token}\n",
        "  {token}  ",
        "\t{token}\r\n",
        "Bearer {token}",
        "Authorization: Bearer {token}",
        '"{token}"',
        "'{token}',",
        "API_KEY={token}",
        'export EFINANCE_KEY="{token}"\n',
        "curl -H 'Authorization: Bearer {token}' https://example.org",
    ],
)
def test_a_token_inside_what_a_reporter_pastes_is_found_and_revoked(make_key, bob, pasted):
    key, token = make_key(user=bob)
    response = _post(Client(), {"credentials": [pasted.format(token=token)]})
    assert (response.status_code, response.json()) == (202, {"received": 1})
    key.refresh_from_db()
    assert key.status == Status.DELETED


def test_a_pasted_text_with_a_wrong_checksum_or_secret_revokes_nothing(make_key, bob):
    key, token = make_key(user=bob)
    other = tokens.build_token(Api.INTEGRATION, key.key_id, tokens.new_secret())
    response = _post(Client(), {"credentials": [f"Bearer {flip_last(token)}\n", f"KEY={other}"]})
    assert response.status_code == 202
    key.refresh_from_db()
    assert key.status == Status.VALID


def test_a_body_with_a_duplicate_key_is_a_problem_and_revokes_nothing(make_key, bob):
    key, token = make_key(user=bob)
    body = '{"credentials": ["x"], "credentials": ["%s"]}' % token  # noqa: UP031 (the raw JSON text)
    response = _post(Client(), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:efinance:problem:duplicate-key"
    key.refresh_from_db()
    assert key.status == Status.VALID
