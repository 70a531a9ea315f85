"""`GET keys/self` and the key's end in the headers of every authenticated response."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from apikeys.models import Api
from apikeys.services import apikey_replace
from tests.cast import today

SELF = {Api.PRODUCTION: "/api/billing/v1/keys/self", Api.INTEGRATION: "/api/billing-int/v1/keys/self"}


def _midnight_after(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


@pytest.mark.parametrize("api", [Api.PRODUCTION, Api.INTEGRATION])
def test_it_describes_the_presented_key(client, make_key, bob, api):
    key, token = make_key(user=bob, api=api, valid_until=today() + datetime.timedelta(days=12))
    response = client.get(SELF[api], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {
        "key_id": key.key_id,
        "api": api,
        "user": "bob",
        "organization": "Demo AG",
        "valid_until": key.valid_until.isoformat(),
        "replaced_until": None,
        "stops_at": _midnight_after(key.valid_until).isoformat().replace("+00:00", "Z"),
        "days_left": 12,
        "scopes": ["documents:read", "documents:write"],
    }


def test_a_replaced_key_tells_when_its_overlap_ends(client, make_key, alice, bob):
    key, token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=100))
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=300), overlap=datetime.timedelta(days=7), by=alice
    )
    key.refresh_from_db()
    response = client.get(SELF[Api.INTEGRATION], HTTP_AUTHORIZATION=f"Bearer {token}")
    body = response.json()
    assert datetime.datetime.fromisoformat(body["replaced_until"]) == key.ends_at
    assert datetime.datetime.fromisoformat(body["stops_at"]) == key.ends_at
    assert response["Sunset"] == http_date(key.ends_at.timestamp())


def test_every_authenticated_response_carries_the_keys_end_without_an_extra_query(client, alice_key):
    key, token = alice_key
    for url in ("/api/billing-int/v1/ping", SELF[Api.INTEGRATION], "/api/billing-int/v1/documents/999999"):
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response["Api-Key-Expires"] == key.valid_until.isoformat(), url
        assert response["Sunset"] == http_date(_midnight_after(key.valid_until).timestamp())
    with CaptureQueriesContext(connection) as plain:
        client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(plain) == 2  # the verification row and the usage count (its use was recorded by the first call)


def test_a_refused_or_anonymous_request_gets_no_key_headers(client, alice_key):
    _key, token = alice_key
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {token}x"}):
        response = client.get(SELF[Api.INTEGRATION], **headers)
        assert response.status_code == 401
        assert "Api-Key-Expires" not in response and "Sunset" not in response


def test_the_openapi_description_documents_the_operation_and_the_headers(client):
    schema = client.get("/api/billing/v1/openapi.json").json()
    assert "/api/billing/v1/keys/self" in schema["paths"]
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            assert "Api-Key-Expires" in operation["description"], path
            ok = next(status for status in operation["responses"] if status.startswith("2"))
            assert set(operation["responses"][ok]["headers"]) == {"Api-Key-Expires", "Sunset"}
