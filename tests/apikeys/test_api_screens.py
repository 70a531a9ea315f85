"""The API-key screens tell how to use a key: its API's base URL, a curl example, «Last used»."""

import datetime
import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from apikeys.models import Api

CREATE = "/administration/api-keys/new/"


def _value(page: str, testid: str) -> str:
    """The value of the field `testid`: an input's value, a text area's text."""
    area = re.search(rf"<textarea[^>]*data-testid=\"{testid}\"[^>]*>([^<]*)</textarea>", page)
    if area:
        return html.unescape(area[1])
    tag = re.search(rf"<input[^>]*data-testid=\"{testid}\"[^>]*>", page, re.S)[0]
    return html.unescape(re.search(r'value="([^"]*)"', tag)[1])


def _create(client, user, api) -> str:
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(CREATE).content.decode())[1]
    valid_until = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client.post(
        CREATE,
        {
            "user": user.pk,
            "api": api,
            "note": "",
            "valid_until": valid_until,
            "nonce": nonce,
            "scopes": ["documents:read", "documents:write"],
        },
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("api", "base"), [(Api.INTEGRATION, "billing-int"), (Api.PRODUCTION, "billing")])
def test_the_new_key_screen_shows_its_apis_base_url_and_a_curl_example(alice_client, bob, api, base):
    page = _create(alice_client, bob, api)
    token = _value(page, "token")
    assert _value(page, "new-key-base-url") == f"http://testserver/api/{base}/v1/"
    curl = _value(page, "new-key-curl")
    assert curl == f'curl -H "Authorization: Bearer $API_KEY" http://testserver/api/{base}/v1/ping'
    assert page.count(token) == 1  # the token is shown once only, in its own field
    # What the example sends, with the key in $API_KEY, is accepted by that API.
    url = curl.rsplit(" ", 1)[1].removeprefix("http://testserver")
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()["user"] == "bob"


def test_the_key_list_shows_both_base_urls_without_any_token(alice_client, alice_key):
    _key, token = alice_key
    page = alice_client.get("/administration/api-keys/").content.decode()
    assert _value(page, "production-base-url") == "http://testserver/api/billing/v1/"
    assert _value(page, "integration-base-url") == "http://testserver/api/billing-int/v1/"
    assert "$API_KEY" in _value(page, "integration-curl")
    assert token not in page
    assert 'href="/api/billing-int/v1/docs"' in page


def test_the_key_list_shows_when_a_key_was_last_used(client, alice_key, alice_client):
    key, token = alice_key
    page = alice_client.get("/administration/api-keys/").content.decode()
    assert re.search(rf'data-key-id="{key.key_id}".*?never', page, re.S)
    client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}")
    key.refresh_from_db()
    page = alice_client.get("/administration/api-keys/").content.decode()
    used = timezone.localtime(key.last_used_at)
    day = "today" if used.date() == timezone.localdate() else "yesterday"  # the request may cross midnight
    assert re.search(rf'data-key-id="{key.key_id}".*?>({day}|today) {used:%H:%M}<', page, re.S)
