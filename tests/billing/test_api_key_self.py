"""`GET keys/self` and the key's end in the headers of every authenticated response."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from apikeys.models import Api, days_left_until
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


ZURICH = zoneinfo.ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize(
    ("now", "stops_at", "days"),
    [
        # midnight after the last valid day: 0 on that day, up to its last minute in Zurich
        ("2026-12-08 23:59", "2026-12-09 00:00", 0),
        ("2026-12-08 00:00", "2026-12-09 00:00", 0),
        ("2026-12-07 23:59", "2026-12-09 00:00", 1),
        # a replacement that ends at 00:30: it still works on that day
        ("2026-12-08 12:00", "2026-12-09 00:30", 1),
        ("2026-12-09 00:10", "2026-12-09 00:30", 0),
        # 23:30 UTC is already the next day in Zurich (winter)
        ("2026-12-08 00:30", "2026-12-10 00:00", 1),
        # the clock change (29.03.2026) changes no count of days
        ("2026-03-28 12:00", "2026-03-30 00:00", 1),
    ],
)
def test_days_left_is_counted_to_when_the_key_stops_in_zurich(now, stops_at, days):
    def zurich(text):
        return datetime.datetime.fromisoformat(text).replace(tzinfo=ZURICH)

    assert days_left_until(zurich(stops_at), zurich(now).astimezone(datetime.UTC)) == days


def test_a_replaced_key_counts_its_days_to_the_end_of_its_replacement(client, make_key, alice, bob):
    key, token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=100))
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=300), overlap=datetime.timedelta(days=7), by=alice
    )
    key.refresh_from_db()
    body = client.get(SELF[Api.INTEGRATION], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    stops_at = datetime.datetime.fromisoformat(body["stops_at"])
    last_day = timezone.localtime(stops_at - datetime.timedelta(microseconds=1), ZURICH).date()
    assert body["days_left"] == (last_day - timezone.localdate()).days
    assert body["days_left"] in (6, 7)  # seven days of overlap from now: 7, or 6 once it ends at midnight
    assert body["valid_until"] == key.valid_until.isoformat()  # still its own last valid day, 100 days away
