"""Deliveries per key and minute are limited, in the database: one more answers a 429 problem."""

import datetime

import pytest
from django.utils import timezone

from apikeys.models import Api
from billing.models import DeliveryCounter, Document
from tests.billing.documents import document, post

# Counted per minute of the app's clock: held still, so that no test's requests cross a minute by chance.
pytestmark = pytest.mark.usefixtures("clock")


def test_the_delivery_after_the_limit_is_a_429_problem_with_retry_after(client, alice_key, settings):
    settings.API_DELIVERIES_PER_MINUTE = 3
    _key, token = alice_key
    statuses = [post(client, token, document(invoice_number=f"R-{n}")).status_code for n in range(4)]
    assert statuses[:3] == [201, 201, 201]
    response = post(client, token, document(invoice_number="R-3"))
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/problem+json")
    assert 1 <= int(response["Retry-After"]) <= 60
    problem = response.json()
    assert problem["status"] == 429 and problem["type"].endswith("rate-limited") and problem["detail"]
    assert Document.objects.count() == 3


def test_the_limit_is_per_key(client, alice_key, make_key, bob, settings):
    settings.API_DELIVERIES_PER_MINUTE = 1
    _key, token = alice_key
    _other, other_token = make_key(user=bob, api=Api.INTEGRATION)
    assert post(client, token, document(invoice_number="A-1")).status_code == 201
    assert post(client, token, document(invoice_number="A-2")).status_code == 429
    assert post(client, other_token, document(invoice_number="B-1")).status_code == 201


def test_the_count_starts_again_each_minute_and_old_minutes_are_dropped(alice_key):
    key, _token = alice_key
    start = timezone.now().replace(second=5, microsecond=0)
    assert [DeliveryCounter.objects.hit(key.pk, start) for _ in range(3)] == [1, 2, 3]
    assert DeliveryCounter.objects.hit(key.pk, start + datetime.timedelta(minutes=1)) == 1
    assert DeliveryCounter.objects.filter(api_key=key).count() == 1


def test_reading_is_not_limited(client, alice_key, settings):
    settings.API_DELIVERIES_PER_MINUTE = 1
    _key, token = alice_key
    for _ in range(3):
        assert client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_retry_of_a_stored_document_is_answered_at_the_limit_and_does_not_count(client, alice_key, settings):
    settings.API_DELIVERIES_PER_MINUTE = 2
    key, token = alice_key
    first = post(client, token, document(invoice_number="I-1"), HTTP_IDEMPOTENCY_KEY="inv-1")
    assert post(client, token, document(invoice_number="I-2"), HTTP_IDEMPOTENCY_KEY="inv-2").status_code == 201
    assert post(client, token, document(invoice_number="I-3"), HTTP_IDEMPOTENCY_KEY="inv-3").status_code == 429
    counted = sum(DeliveryCounter.objects.filter(api_key=key).values_list("count", flat=True))
    for _ in range(3):  # the client lost the first answer and retries: the stored document, every time
        retry = post(client, token, document(invoice_number="I-1"), HTTP_IDEMPOTENCY_KEY="inv-1")
        assert retry.status_code == 201 and retry["Idempotent-Replayed"] == "true"
        assert retry.json()["id"] == first.json()["id"]
    assert sum(DeliveryCounter.objects.filter(api_key=key).values_list("count", flat=True)) == counted
    assert Document.objects.count() == 2


def test_a_retry_does_not_use_up_the_limit(client, alice_key, settings):
    settings.API_DELIVERIES_PER_MINUTE = 2
    _key, token = alice_key
    assert post(client, token, document(invoice_number="J-1"), HTTP_IDEMPOTENCY_KEY="j-1").status_code == 201
    for _ in range(5):
        assert post(client, token, document(invoice_number="J-1"), HTTP_IDEMPOTENCY_KEY="j-1").status_code == 201
    assert post(client, token, document(invoice_number="J-2"), HTTP_IDEMPOTENCY_KEY="j-2").status_code == 201
    assert Document.objects.count() == 2


def test_another_body_under_a_used_key_is_still_refused_at_the_limit(client, alice_key, settings):
    settings.API_DELIVERIES_PER_MINUTE = 1
    _key, token = alice_key
    assert post(client, token, document(invoice_number="K-1"), HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    reused = post(client, token, document(invoice_number="K-other"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 422 and reused.json()["type"].endswith("idempotency-key-reused")
