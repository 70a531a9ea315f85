"""The API reads one spelling of an amount, a JSON object with each key once, and JSON only.

Attacker's view: two readers of the same request (a proxy, a log, this API) must never see two
different documents, and an amount must never be read differently from how a person reads it.
"""

import json

import pytest

from billing.models import Document
from tests.billing.documents import DOCS, document, post


@pytest.mark.parametrize("amount", ["1250.50", "12", "0.05", "12.5", "999999999.99", "0.10"])
def test_canonical_amounts_are_taken(client, alice_key, amount):
    _key, token = alice_key
    response = post(client, token, document(amount=amount))
    assert response.status_code == 201, response.content
    assert Document.objects.get().amount == Document._meta.get_field("amount").to_python(amount)


@pytest.mark.parametrize(
    "amount",
    [
        1250.5,  # a JSON number
        12,
        "1e3",
        "1E3",
        "1_000.00",
        "+12.00",
        "-12.00",
        " 12.00",
        "12.00 ",
        "12.00\n",
        "\u0661\u0662.\u0660\u0660",  # Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
        "1,000.00",
        "1'000.00",
        "12,50",
        ".50",
        "12.",
        "012.00",
        "0x10",
        "12.005",
        "0",
        "0.00",
        "1000000000",
        "",
        None,
        True,
        ["12"],
    ],
)
def test_any_other_spelling_of_an_amount_is_a_422_naming_the_field(client, alice_key, amount):
    _key, token = alice_key
    response = post(client, token, document(amount=amount))
    assert response.status_code == 422, (amount, response.content)
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["amount"]
    assert Document.objects.count() == 0


def _raw(client, token, text: str, content_type="application/json"):
    return client.post(DOCS, text, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize(
    "text",
    [
        # the second invoice number would win with json.loads
        json.dumps(document(invoice_number="A-1"))[:-1] + ', "invoice_number": "B-2"}',
        # in a nested object
        json.dumps(document()).replace('"name": "Muster AG"', '"name": "Muster AG", "name": "Evil AG"'),
        # the same value twice is still two keys
        json.dumps(document())[:-1] + ', "currency": "CHF"}',
    ],
)
def test_a_key_twice_in_any_object_is_a_400_problem(client, alice_key, text):
    _key, token = alice_key
    response = _raw(client, token, text)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:efinance:problem:duplicate-key"
    assert problem["detail"]
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-evil+json",
        "application/problem+json",
        "application/vnd.api+json",
        "text/json",
        "application/json5",
        "application/jsonx",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "application/json; boundary=x",
        "application/json, text/plain",
    ],
)
def test_only_application_json_is_a_body(client, alice_key, content_type):
    _key, token = alice_key
    response = _raw(client, token, json.dumps(document()), content_type=content_type)
    assert response.status_code == 415, content_type
    assert response["Content-Type"] == "application/problem+json"
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON; Charset=UTF-8"]
)
def test_application_json_with_an_optional_utf8_charset_is_taken(client, alice_key, content_type):
    _key, token = alice_key
    assert _raw(client, token, json.dumps(document()), content_type=content_type).status_code == 201


def test_the_openapi_description_says_amount_is_a_string_with_its_pattern(client):
    schema = client.get("/api/billing-int/v1/openapi.json").json()
    amount = schema["components"]["schemas"]["DocumentIn"]["properties"]["amount"]
    assert amount["type"] == "string"
    assert amount["pattern"] == r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
