"""`POST /api/secret-scanning/github`: GitHub's signed alerts revoke keys; nothing unsigned changes anything.

Alerts are signed with a P-256 key pair made by tests/billing/github_alerts.py, never with a real GitHub
key."""

import base64
import json

import pytest
from django.core import mail
from django.test import Client

from apikeys import tokens
from apikeys.models import Api, Status
from audit.models import Action, AuditEvent
from tests.billing.github_alerts import alert, keys_document, private_key, sign
from tests.conftest import flip_last
from users.mail import send_pending
from users.models import OutboxMessage

URL = "/api/secret-scanning/github"
KEY_ID = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"


@pytest.fixture
def github_key(tmp_path, settings):
    """A key pair standing in for GitHub's, published in the keys file the setting names."""
    key = private_key()
    path = tmp_path / "github-keys.json"
    path.write_bytes(keys_document(("old-key", private_key(), False), (KEY_ID, key, True)))
    settings.SECRET_SCANNING_GITHUB_KEYS_FILE = str(path)
    return key


def _send(body: bytes, signature: str | None, key_id: str | None = KEY_ID, **extra):
    headers = {}
    if key_id is not None:
        headers["Github-Public-Key-Identifier"] = key_id
    if signature is not None:
        headers["Github-Public-Key-Signature"] = signature
    return Client(enforce_csrf_checks=True).post(URL, body, content_type="application/json", headers=headers, **extra)


LEAK = "https://github.com/acme/erp/blob/4f1c2e/config/settings.py"


def test_a_signed_alert_revokes_the_key_and_answers_the_feedback(github_key, make_key, bob, alice):
    key, token = make_key(user=bob)
    _deleted, deleted_token = make_key(user=bob, deleted=True)
    lookalike = tokens.build_token(Api.PRODUCTION, tokens.new_key_id(), tokens.new_secret())
    OutboxMessage.objects.all().delete()  # the creation notices: the test reads what the alert sends
    body = alert([(token, LEAK), (flip_last(token), LEAK), (lookalike, LEAK), (deleted_token, LEAK)])
    response = _send(body, sign(github_key, body), REMOTE_ADDR="140.82.112.5")
    assert response.status_code == 200
    kind = "efinance_billing_solutions_api_token"
    assert response.json() == [
        {"token_raw": token, "token_type": kind, "label": "true_positive"},
        {"token_raw": flip_last(token), "token_type": kind, "label": "false_positive"},
        {"token_raw": lookalike, "token_type": kind, "label": "false_positive"},
        {"token_raw": deleted_token, "token_type": kind, "label": "true_positive"},
    ]
    key.refresh_from_db()
    assert key.status == Status.DELETED
    entry = AuditEvent.objects.get(action=Action.KEY_EXPOSED)
    assert (entry.key_id, entry.ip, entry.exposure_url) == (key.key_id, "140.82.112.5", LEAK)
    assert entry.exposure_source_display == "found by GitHub secret scanning"
    refused = Client().get("/api/billing-int/v1/ping", headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json()["reason"]) == (401, "deleted")
    assert mail.outbox == []  # the request stored the notices; the outbox's runner sends them
    send_pending()
    assert {message.to[0] for message in mail.outbox} == {alice.email, bob.email}
    assert all(LEAK in message.body and token not in message.body for message in mail.outbox)


def test_a_key_that_is_no_longer_current_still_verifies(github_key, make_key, bob, tmp_path, settings):
    old = private_key()
    path = tmp_path / "rotated.json"
    path.write_bytes(keys_document(("old-key", old, False), (KEY_ID, github_key, True)))
    settings.SECRET_SCANNING_GITHUB_KEYS_FILE = str(path)
    key, token = make_key(user=bob)
    body = alert([(token, LEAK)])
    assert _send(body, sign(old, body), key_id="old-key").status_code == 200
    key.refresh_from_db()
    assert key.status == Status.DELETED


def _refusals(github_key, body):
    other = private_key()
    good = sign(github_key, body)
    return {
        "no signature": _send(body, None),
        "no key identifier": _send(body, good, key_id=None),
        "unknown key": _send(body, good, key_id="no-such-key"),
        "signed by someone else": _send(body, sign(other, body)),
        "signature of another body": _send(body, sign(github_key, body + b" ")),
        "tampered body": _send(body.replace(b"content", b"commit!"), good),
        "not base64": _send(body, "%%%not-base64%%%"),
        "empty signature": _send(body, ""),
        "garbage DER": _send(body, base64.b64encode(b"\x30\x02\x01\x01").decode()),
        "other key's name": _send(body, good, key_id="old-key"),
    }


def test_anything_not_signed_by_a_github_key_is_a_401_and_changes_nothing(github_key, make_key, bob):
    key, token = make_key(user=bob)
    body = alert([(token, LEAK)])
    for case, response in _refusals(github_key, body).items():
        assert response.status_code == 401, case
        assert response["Content-Type"] == "application/problem+json", case
        assert response.json()["type"] == "urn:efinance:problem:invalid-signature", case
        assert token not in response.content.decode(), case
    key.refresh_from_db()
    assert key.status == Status.VALID
    assert not AuditEvent.objects.filter(action=Action.KEY_EXPOSED).exists()
    assert mail.outbox == []


def test_an_unsigned_body_of_the_wrong_shape_is_a_401_not_a_422(github_key):
    assert _send(b'{"not": "a list"}', None).status_code == 401


@pytest.mark.parametrize("content", [None, b"not json", b'{"public_keys": []}', b'{"public_keys": [{"key": "x"}]}'])
def test_without_a_usable_keys_file_every_alert_is_refused(github_key, make_key, bob, settings, tmp_path, content):
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_bytes(content)
    settings.SECRET_SCANNING_GITHUB_KEYS_FILE = str(path)
    key, token = make_key(user=bob)
    body = alert([(token, LEAK)])
    assert _send(body, sign(github_key, body)).status_code == 401
    key.refresh_from_db()
    assert key.status == Status.VALID


@pytest.mark.parametrize("body", [b"{}", b'[{"type": "x"}]', b'[{"token": 1, "type": "x"}]', b"null"])
def test_a_signed_alert_of_the_wrong_shape_is_a_422(github_key, body):
    response = _send(body, sign(github_key, body))
    assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")


def test_a_signed_but_broken_body_is_a_400(github_key):
    body = b'[{"token": '
    assert _send(body, sign(github_key, body)).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [("url", "https://github.com/x\u0000y"), ("source", "\ud800"), ("type", "a\u0000"), ("token", "\udfff\u0000")],
)
def test_a_nul_or_lone_surrogate_in_a_field_revokes_the_batch_and_answers_a_problem(
    github_key, make_key, bob, field, value
):
    key, token = make_key(user=bob)
    other, other_token = make_key(user=bob)
    bad = {"token": other_token, "type": "efinance_billing_solutions_api_token", "url": LEAK, "source": "content"}
    bad[field] = value
    good = {"token": token, "type": "efinance_billing_solutions_api_token", "url": LEAK, "source": "content"}
    body = json.dumps([bad, good]).encode()  # ASCII escapes, as GitHub sends them: "\u0000", "\ud800"
    response = _send(body, sign(github_key, body))
    assert (response.status_code, response["Content-Type"]) == (422, "application/problem+json")
    assert response.json()["errors"] == [
        {"location": "body", "field": f"0.{field}", "reason": "contains a NUL or a lone surrogate"}
    ]
    key.refresh_from_db()
    assert key.status == Status.DELETED  # the rest of the batch
    assert AuditEvent.objects.get(action=Action.KEY_EXPOSED, key_id=key.key_id).exposure_url == LEAK
    other.refresh_from_db()
    if field == "token":  # no token of ours: nothing of it revoked
        assert other.status == Status.VALID
    else:  # the token of a match with an unreadable field is leaked all the same
        assert other.status == Status.DELETED
        entry = AuditEvent.objects.get(action=Action.KEY_EXPOSED, key_id=other.key_id)
        assert entry.exposure_url == ("" if field == "url" else LEAK)
