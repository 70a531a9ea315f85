"""Delivering billing documents through the API as an integrator does: a valid document to vary, and
the requests that post, list and read documents with a token."""

import json

DOCS = "/api/billing-int/v1/documents"
QR_REFERENCE = "210000000003139471430009017"  # the example of the Swiss QR-bill guidelines


def document(**changes) -> dict:
    """A valid document of the API, with `changes`."""
    body = {
        "invoice_number": "2026-0042",
        "issue_date": "2026-11-01",
        "due_date": "2026-11-30",
        "currency": "CHF",
        "amount": "1250.50",
        "recipient": {"name": "Muster AG", "ebill_recipient_id": "41010560425610173"},
        "qr_reference": QR_REFERENCE,
        "free_text": "November services",
    }
    body.update(changes)
    return body


def post(client, token, body, url=DOCS, **extra):
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}", **extra
    )


def get(client, token, url, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def errors(response) -> set[tuple[str, str]]:
    """The (field, location) of each error of a 422 problem (it must be one)."""
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    return {(error["field"], error["location"]) for error in response.json()["errors"]}
