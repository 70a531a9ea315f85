"""Structured events of the apps, and no token, secret or stored hash in any log record of any logger."""

import logging
import re

import pytest
from django.db import connection

from apikeys import services, tokens
from apikeys.models import ApiKey
from efinance.lib.logging import JsonFormatter, KeyValueFormatter
from tests.conftest import flip_last

TOKEN_RE = re.compile(r"bs(?:prod|int)_[a-z2-7]{12}_[a-z2-7]{52}_[a-z2-7]{7}")
PING = "/api/billing-int/v1/ping"


@pytest.fixture
def every_record(monkeypatch):
    """Every record of every logger at DEBUG, SQL included, as the handlers receive it."""
    records = []
    call_handlers = logging.Logger.callHandlers

    def capture(logger, record):
        records.append(record)
        call_handlers(logger, record)

    monkeypatch.setattr(logging.Logger, "callHandlers", capture)
    loggers = [logging.getLogger(), *(x for x in logging.Logger.manager.loggerDict.values() if hasattr(x, "level"))]
    levels = [(logger, logger.level) for logger in loggers]
    for logger, _level in levels:
        logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    yield records
    connection.force_debug_cursor = False
    for logger, level in levels:
        logger.setLevel(level)


def _everything_said(record) -> str:
    return "\n".join(
        [
            record.getMessage(),
            repr(vars(record)),
            JsonFormatter().format(record),
            KeyValueFormatter().format(record),
        ]
    )


def test_no_token_secret_or_hash_reaches_a_log_record(every_record, alice_client, bob, sam):
    form = alice_client.get("/administration/api-keys/new/").content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', form)[1]
    valid_until = re.search(r'name="valid_until" value="([^"]+)"', form)[1]
    created = alice_client.post(
        "/administration/api-keys/new/",
        {
            "user": bob.pk,
            "api": "integration",
            "note": "ERP",
            "valid_until": valid_until,
            "nonce": nonce,
            "scopes": ["documents:read", "documents:write"],
        },
    )
    token = TOKEN_RE.search(created.content.decode())[0]
    parsed = tokens.parse_token(token)
    key = ApiKey.objects.get(key_id=parsed.key_id)
    body = f"{tokens.PREFIXES['integration']}_{parsed.key_id}_{'a' * tokens.SECRET_LENGTH}"
    wrong_secret = f"{body}_{tokens.checksum(body)}"

    assert alice_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert alice_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {wrong_secret}").status_code == 401
    assert alice_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {flip_last(token)}").status_code == 401
    assert alice_client.get("/api/billing/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert ApiKey.objects.verify_token(token).ok
    alice_client.post(f"/administration/api-keys/{key.key_id}/delete/")
    assert alice_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    said = [_everything_said(record) for record in every_record]
    for needle in (token, parsed.secret, key.secret_hash, wrong_secret):
        assert [text for text in said if needle in text] == []
    events = {getattr(record, "event", None) for record in every_record}
    assert {"apikey.created", "apikey.deleted", "api.auth_failed"} <= events
    sql = [r for r in every_record if r.name == "django.db.backends" and "INSERT INTO" in r.getMessage()]
    assert sql  # the statements were logged, without their values


def test_the_events_carry_their_fields(every_record, make_key, sam, alice):
    key, _token = make_key(ip="198.51.100.4")
    services.apikey_revoke(key=key, by=sam, reason="customer called: laptop stolen", ip="192.0.2.8")
    other, _token = make_key()
    services.apikey_revoke(key=other, by=alice)
    by_event = {record.event: record for record in every_record if hasattr(record, "event")}
    created = by_event["apikey.created"]
    assert (created.key_id, created.user, created.by, created.api) == (other.key_id, "alice", "alice", other.api)
    revoked = by_event["apikey.revoked_by_support"]
    assert (revoked.key_id, revoked.by, revoked.ip) == (key.key_id, "sam", "192.0.2.8")
    assert revoked.reason == "customer called: laptop stolen"
    assert by_event["apikey.deleted"].key_id == other.key_id


def test_a_failed_api_authentication_is_logged_with_its_reason(every_record, make_key, client):
    key, token = make_key()
    services.apikey_revoke(key=key, by=key.created_by)
    client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="203.0.113.50")
    client.get(PING)
    failures = [record for record in every_record if getattr(record, "event", None) == "api.auth_failed"]
    assert [(r.reason, getattr(r, "key_id", None), r.ip) for r in failures] == [
        ("deleted", key.key_id, "203.0.113.50"),
        ("missing", None, "127.0.0.1"),
    ]
    assert failures[0].levelno == logging.WARNING
