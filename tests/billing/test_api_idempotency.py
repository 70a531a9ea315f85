"""`Idempotency-Key`: a retried delivery answers the stored document, even when the retries race."""

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from billing.models import Document
from tests.conftest import run_concurrently

DOCS = "/api/billing-int/v1/documents"
BODY = {
    "invoice_number": "R-1",
    "issue_date": "2026-11-01",
    "due_date": "2026-11-30",
    "currency": "EUR",
    "amount": "10.00",
    "recipient": {"name": "Muster GmbH", "email": "ap@muster.example"},
}


def deliver(client, token, body=BODY, key="order-4711"):
    return client.post(
        DOCS,
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retry_answers_the_same_document_with_the_same_status_and_body(client, alice_key):
    _key, token = alice_key
    first, retry = deliver(client, token), deliver(client, token)
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Document.objects.count() == 1


def test_the_same_amount_written_differently_is_the_same_request(client, alice_key):
    _key, token = alice_key
    deliver(client, token)
    assert deliver(client, token, {**BODY, "amount": 10}).status_code == 201
    assert Document.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_problem(client, alice_key):
    _key, token = alice_key
    deliver(client, token)
    response = deliver(client, token, {**BODY, "amount": "11.00"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:efinance:problem:idempotency-key-reused"
    assert Document.objects.get().amount == 10


def test_another_idempotency_key_or_none_makes_another_document(client, alice_key):
    _key, token = alice_key
    deliver(client, token)
    deliver(client, token, key="order-4712")
    client.post(DOCS, json.dumps(BODY), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert Document.objects.count() == 3


def test_another_organization_may_use_the_same_idempotency_key(client, alice_key, make_key, charlie):
    _key, token = alice_key
    _other, outsider = make_key(user=charlie)
    mine, theirs = deliver(client, token), deliver(client, outsider)
    assert theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_an_invalid_idempotency_key_is_a_validation_problem(client, alice_key):
    _key, token = alice_key
    response = deliver(client, token, key="x" * 256)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "header"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_make_one_document(alice_key):
    _key, token = alice_key
    barrier = threading.Barrier(2)
    answers = []

    def retry():
        try:
            barrier.wait(timeout=10)
            response = deliver(Client(), token)
            answers.append((response.status_code, response.json()["id"], response.get("Idempotent-Replayed")))
        finally:
            connection.close()

    run_concurrently(retry, 2)
    assert len(answers) == 2
    [(first_status, first_id, _), (second_status, second_id, _)] = answers
    assert first_status == second_status == 201
    assert first_id == second_id
    # There is no look-up before the INSERT: the one answer that is a replay met the unique constraint.
    assert sorted(replayed or "" for *_answer, replayed in answers) == ["", "true"]
    assert Document.objects.count() == 1
