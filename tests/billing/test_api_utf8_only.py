"""The API reads JSON in UTF-8 only (RFC 8259), without a byte-order mark.

Attacker's view: `json.loads` guesses UTF-16 and UTF-32 from a body's first bytes and skips a UTF-8
byte-order mark, so that a proxy or an audit copy reading UTF-8 would see another text than the API.
Such a body is a precise 400 problem on every operation that takes one, and nothing is stored.
"""

import json

import pytest
from django.test import Client

from apikeys.models import Status
from billing.models import Document
from tests.billing.documents import DOCS, document

REVOKE = "/api/credentials/revoke"

ENCODINGS = {
    "utf-16": ("utf-16", "utf-16"),  # with its byte-order mark
    "utf-16-le": ("utf-16-le", "utf-16-or-utf-32"),
    "utf-16-be": ("utf-16-be", "utf-16-or-utf-32"),
    "utf-32": ("utf-32", "utf-32"),
    "utf-32-be": ("utf-32-be", "utf-16-or-utf-32"),
    "utf-8-sig": ("utf-8-sig", "utf-8-bom"),
    "latin-1": ("latin-1", "not-utf-8"),
}


def _assert_not_utf8(response, reason):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:efinance:problem:not-utf-8"
    assert problem["reason"] == reason
    assert "UTF-8" in problem["detail"]


@pytest.mark.parametrize("name", ENCODINGS)
def test_a_document_in_another_encoding_is_a_400_problem_and_not_stored(client, alice_key, name):
    encoding, reason = ENCODINGS[name]
    _key, token = alice_key
    body = json.dumps(document(free_text="Rechnung für Müller"), ensure_ascii=False).encode(encoding)
    response = client.post(DOCS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    _assert_not_utf8(response, reason)
    assert Document.objects.count() == 0


def test_the_same_document_in_utf8_is_taken(client, alice_key):
    _key, token = alice_key
    body = json.dumps(document(free_text="Rechnung für Müller"), ensure_ascii=False).encode()
    response = client.post(DOCS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 201


@pytest.mark.parametrize("name", ENCODINGS)
def test_a_revocation_report_in_another_encoding_revokes_nothing(make_key, bob, name):
    encoding, reason = ENCODINGS[name]
    key, token = make_key(user=bob)
    body = json.dumps({"credentials": [f"Schlüssel: {token}"]}, ensure_ascii=False).encode(encoding)
    response = Client().post(REVOKE, body, content_type="application/json")
    _assert_not_utf8(response, reason)
    key.refresh_from_db()
    assert key.status == Status.VALID
