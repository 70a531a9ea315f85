"""Every limit counts an IPv6 client by its /64: one subscriber or server gets 2^64 addresses, and an
attacker who walks through them used to start every limit afresh. The login's lockout (django-axes),
the API's failed authentications and the public revocation endpoint, from the attacker's side."""

import json

import pytest
from django.test import Client

from apikeys.tokens import build_token, parse_token
from efinance.lib.net import limit_address
from tests.cast import PASSWORD
from tests.conftest import flip_last

# Counted per minute of the app's clock: held still, so that no test's requests cross a minute by chance.
pytestmark = pytest.mark.usefixtures("clock")

# Addresses of one /64, each a different client address as the server sees it.
ONE_PREFIX = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2:abcd::9"]
OTHER_PREFIX = "2001:db8:1:3::1"


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("2001:db8:1:2:abcd::9", "2001:db8:1:2::"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4 written as IPv6 is the IPv4 client
        ("203.0.113.9", "203.0.113.9"),
        (None, ""),
    ],
)
def test_an_ipv6_address_is_counted_as_its_64(address, counted_as):
    assert limit_address(address) == counted_as


def test_failed_api_authentications_from_one_64_share_one_limit(settings, alice_key, minute):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    _key, token = alice_key
    parsed = parse_token(token)
    wrong = build_token(parsed.api, parsed.key_id, flip_last(parsed.secret))

    def ping(ip):
        return Client().get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {wrong}", REMOTE_ADDR=ip)

    assert [ping(ip).status_code for ip in ONE_PREFIX[:3]] == [401, 401, 401]
    assert ping(ONE_PREFIX[3]).status_code == 429  # a fourth address of the same /64
    assert ping(OTHER_PREFIX).status_code == 401  # another /64 is another client


def test_the_revocation_endpoint_limits_one_64_as_one_address(db, settings, minute):
    settings.CREDENTIALS_REVOKE_PER_MINUTE = 2

    def report(ip):
        body = json.dumps({"credentials": ["x"]})
        return Client().post("/api/credentials/revoke", body, content_type="application/json", REMOTE_ADDR=ip)

    assert [report(ip).status_code for ip in ONE_PREFIX[:2]] == [202, 202]
    assert report(ONE_PREFIX[2]).status_code == 429
    assert report(OTHER_PREFIX).status_code == 202


@pytest.mark.usefixtures("address_limit_only")  # axes' limit; the account's own counts every address anyway
def test_failed_logins_from_one_64_lock_the_login_for_the_whole_64(alice, settings):
    settings.AXES_FAILURE_LIMIT = 3

    def login(password, ip):
        return Client().post("/accounts/login/", {"username": "alice", "password": password}, REMOTE_ADDR=ip)

    assert [login(f"wrong-{n}", ip).status_code for n, ip in enumerate(ONE_PREFIX[:3])] == [200, 200, 429]
    assert login(PASSWORD, ONE_PREFIX[3]).status_code == 429  # the right password, a fresh address: locked
    assert login(PASSWORD, OTHER_PREFIX).status_code == 302  # alice herself, from her own network
