"""The issue's «Done when», end to end with the test Client: a token of the demo, pasted into the
revocation endpoint or sent in a signed GitHub alert, stops working on the next request, and the
organization's «Activity» and the e-mails say when, why and where."""

import datetime
import re
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apikeys import tokens
from tests.billing.github_alerts import alert, keys_document, sign
from users.mail import send_pending
from users.models import User

PING = "/api/billing-int/v1/ping"
LEAK = "https://github.com/demo-ag/erp/blob/main/.env"


@pytest.fixture
def demo_admin(db):
    call_command("seed_demo", stdout=StringIO())
    send_pending()  # the demo's own exposed key told its people already
    mail.outbox.clear()
    client = Client()
    client.force_login(User.objects.get(username="demo-admin"))
    return client


def _create_token(client) -> str:
    """«Create a new API key» on the API-key screen, as the Admin user does it; the token shown once."""
    url = "/administration/api-keys/new/"
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(url).content.decode())[1]
    user = User.objects.get(username="demo-user")
    valid_until = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    response = client.post(
        url,
        {
            "user": user.pk,
            "api": "integration",
            "note": "ERP",
            "valid_until": valid_until,
            "nonce": nonce,
            "scopes": ["documents:read", "documents:write"],
        },
    )
    [token] = tokens.TOKEN_SEARCH_RE.findall(response.content.decode())
    return token


def _ping(token):
    return Client().get(PING, headers={"Authorization": f"Bearer {token}"})


def _activity_row(client, key_id) -> str:
    html = client.get("/administration/activity/", {"action": "key_exposed"}).content.decode()
    rows = [row for row in re.findall(r"<tr data-action=\"key_exposed\".*?</tr>", html, re.S) if key_id in row]
    assert len(rows) == 1, html
    return re.sub(r"\s+", " ", rows[0])


def test_a_demo_token_pasted_into_the_revocation_endpoint_stops_working_and_is_explained(demo_admin):
    token = _create_token(demo_admin)
    key_id = tokens.parse_token(token).key_id
    assert _ping(token).status_code == 200
    send_pending()  # the creation notices, before what the report sends
    mail.outbox.clear()
    before = timezone.now()
    answer = Client().post(
        "/api/credentials/revoke",
        {"credentials": [token]},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.23",
    )
    assert (answer.status_code, answer.json()) == (202, {"received": 1})
    refused = _ping(token)
    assert (refused.status_code, refused.json()["reason"]) == (401, "deleted")
    row = _activity_row(demo_admin, key_id)
    assert "Key deleted: reported as exposed" in row
    assert "198.51.100.23" in row
    assert "reported as exposed: reported to the public revocation endpoint" in row
    assert timezone.localtime(before).strftime("%d.%m.%Y") in row
    # The key list: under «Expired and deleted keys», deleted by nobody: reported as exposed.
    key_list = demo_admin.get("/administration/api-keys/").content.decode()
    ended = key_list[key_list.index('data-testid="ended-keys"') :]
    assert re.search(rf'data-key-id="{key_id}".*?reported as exposed', ended, re.S)
    send_pending()  # the outbox's runner
    recipients = {message.to[0] for message in mail.outbox}
    assert recipients == {"demo-admin@example.ch", "demo-admin2@example.ch", "demo-user@example.ch"}
    for message in mail.outbox:
        assert key_id in message.body
        assert "reported to the public revocation endpoint" in message.body
        assert "Why: reported as exposed" in message.body
        assert timezone.localtime(before).strftime("When: %d.%m.%Y") in message.body
        assert token not in message.body + message.alternatives[0][0]


def test_a_demo_token_in_a_signed_github_alert_stops_working_and_is_explained(demo_admin, tmp_path, settings):
    github = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "keys.json").write_bytes(keys_document(("test-key", github, True)))
    settings.SECRET_SCANNING_GITHUB_KEYS_FILE = str(tmp_path / "keys.json")
    token = _create_token(demo_admin)
    key_id = tokens.parse_token(token).key_id
    send_pending()  # the creation notices, before what the alert sends
    mail.outbox.clear()
    body = alert([(token, LEAK)])
    answer = Client().post(
        "/api/secret-scanning/github",
        body,
        content_type="application/json",
        headers={"Github-Public-Key-Identifier": "test-key", "Github-Public-Key-Signature": sign(github, body)},
        REMOTE_ADDR="140.82.112.9",
    )
    assert answer.status_code == 200
    assert answer.json()[0]["label"] == "true_positive"
    assert _ping(token).json()["reason"] == "deleted"
    row = _activity_row(demo_admin, key_id)
    assert "found by GitHub secret scanning" in row and LEAK in row and "140.82.112.9" in row
    send_pending()  # the outbox's runner
    assert {message.to[0] for message in mail.outbox} == {
        "demo-admin@example.ch",
        "demo-admin2@example.ch",
        "demo-user@example.ch",
    }
    assert all(LEAK in message.body and "GitHub secret scanning" in message.body for message in mail.outbox)
