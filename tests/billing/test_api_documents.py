"""Delivering, listing and reading billing documents through the API, as an integrator."""

import datetime

import pytest
from django.utils import timezone

from apikeys.models import Api
from billing import qr
from billing.models import Document
from tests.billing.documents import DOCS, QR_REFERENCE, document, errors, get, post


def test_the_qr_reference_check_digit_is_modulo_10_recursive():
    assert qr.is_valid(QR_REFERENCE)
    assert qr.is_valid("21 00000 00003 13947 14300 09017")
    assert not qr.is_valid(QR_REFERENCE[:-1] + "8")
    assert not qr.is_valid(QR_REFERENCE[:-1])
    assert qr.with_check_digit("0" * 26) == "0" * 27
    assert all(qr.is_valid(qr.with_check_digit(f"{n:026d}")) for n in range(0, 10**6, 9973))


def test_it_stores_a_document_for_the_keys_organization_environment_key_and_user(client, alice_key):
    key, token = alice_key
    response = post(client, token, document(qr_reference="21 00000 00003 13947 14300 09017"))
    assert response.status_code == 201
    answer = response.json()
    stored = Document.objects.get(pk=answer["id"])
    assert (stored.organization_id, stored.api, stored.api_key_id, stored.delivered_by.username) == (
        key.organization_id,
        Api.INTEGRATION,
        key.pk,
        "bob",
    )
    assert answer["amount"] == "1250.50"
    assert answer["qr_reference"] == QR_REFERENCE
    assert answer["key_id"] == key.key_id
    assert answer["status"] == "received"


def test_a_delivery_costs_the_verification_the_rate_count_one_insert_and_the_usage_count(
    client, alice_key, django_assert_max_num_queries
):
    _key, token = alice_key
    post(client, token, document())  # the first use writes last-used and starts the minute's count
    with django_assert_max_num_queries(6):  # verification, rate-limit upsert, savepoint, INSERT, release, usage
        assert post(client, token, document(invoice_number="2")).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": "1000000000.00"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "USD"}, "currency"),
        ({"due_date": "2026-10-01"}, "due_date"),
        ({"issue_date": "1 Nov"}, "issue_date"),
        ({"invoice_number": ""}, "invoice_number"),
        ({"invoice_number": "x" * 36}, "invoice_number"),
        ({"invoice_number": "A\x00B"}, "invoice_number"),
        ({"qr_reference": QR_REFERENCE[:-1] + "8"}, "qr_reference"),
        ({"recipient": {"name": "Muster AG"}}, "recipient"),
        ({"recipient": {"name": "Muster AG", "email": "not-an-address"}}, "recipient.email"),
        ({"recipient": {"name": "Muster AG", "ebill_recipient_id": "4101"}}, "recipient.ebill_recipient_id"),
    ],
)
def test_it_names_each_invalid_field(client, alice_key, changes, field):
    _key, token = alice_key
    assert (field, "body") in errors(post(client, token, document(**changes)))
    assert not Document.objects.exists()


def test_it_lists_every_missing_field(client, alice_key):
    _key, token = alice_key
    found = errors(post(client, token, {}))
    expected = {"invoice_number", "issue_date", "due_date", "currency", "amount", "recipient"}
    assert {field for field, _location in found} == expected


def test_it_accepts_an_email_recipient_and_no_qr_reference(client, alice_key):
    _key, token = alice_key
    body = document(recipient={"name": "Muster AG", "email": "billing@muster.example"}, amount="99.9")
    del body["qr_reference"]
    answer = post(client, token, body).json()
    assert (answer["recipient"]["email"], answer["qr_reference"], answer["amount"]) == (
        "billing@muster.example",
        None,
        "99.90",
    )


def _deliver_many(client, token, count):
    ids = []
    for number in range(count):
        ids.append(post(client, token, document(invoice_number=f"INV-{number}")).json()["id"])
    return ids


def test_it_lists_newest_first_in_pages(client, alice_key):
    _key, token = alice_key
    ids = _deliver_many(client, token, 5)
    first = get(client, token, DOCS, page_size=2).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    last = get(client, token, DOCS, page_size=2, page=3).json()
    assert [item["id"] for item in last["items"]] == [ids[0]]


def test_it_filters_by_delivery_date_and_status(client, alice_key):
    _key, token = alice_key
    old, new = _deliver_many(client, token, 2)
    Document.objects.filter(pk=old).update(created_at=timezone.now() - datetime.timedelta(days=10))
    Document.objects.filter(pk=new).update(status="rejected")
    today = timezone.localdate()
    recent = get(client, token, DOCS, delivered_from=today.isoformat()).json()
    assert [item["id"] for item in recent["items"]] == [new]
    older = get(client, token, DOCS, delivered_to=(today - datetime.timedelta(days=1)).isoformat()).json()
    assert [item["id"] for item in older["items"]] == [old]
    assert [item["id"] for item in get(client, token, DOCS, status="received").json()["items"]] == [old]
    assert ("status", "query") in errors(get(client, token, DOCS, status="lost"))


def test_it_reads_one_document(client, alice_key):
    _key, token = alice_key
    [document_id] = _deliver_many(client, token, 1)
    response = get(client, token, f"{DOCS}/{document_id}")
    assert response.status_code == 200
    assert response.json()["invoice_number"] == "INV-0"


def test_another_organizations_document_is_404_and_never_listed(client, alice_key, make_key, charlie):
    _key, token = alice_key
    [document_id] = _deliver_many(client, token, 1)
    _other, outsider = make_key(user=charlie)
    response = get(client, outsider, f"{DOCS}/{document_id}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert get(client, outsider, DOCS).json() == {"items": [], "count": 0, "page": 1, "page_size": 20}


def test_the_other_environments_document_is_404_and_never_listed(client, alice_key, make_key, bob):
    _key, token = alice_key
    [document_id] = _deliver_many(client, token, 1)
    _production, production = make_key(user=bob, api=Api.PRODUCTION)
    assert get(client, production, f"/api/billing/v1/documents/{document_id}").status_code == 404
    assert get(client, production, "/api/billing/v1/documents").json()["count"] == 0
