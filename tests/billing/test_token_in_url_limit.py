"""A token sent in an API URL is refused (400) and checked like a Bearer token: counted by the same
per-address limit of failed authentications (beyond it, 429 and no check at all), and an unknown key
ID costs the same statements as a wrong secret. The attacker's view: 4,000 tokens in URLs used to be
checked in 1.6 s without any limit, and the time of that path told whether a key ID existed."""

import pytest
from django.test import Client

from apikeys.models import ApiKey
from audit.models import Action, AuditEvent
from tests.billing.guesses import PING, bearer, wrong_and_unknown
from tests.conftest import statements_run

# Counted per minute of the app's clock: held still, so that no test's requests cross a minute by chance.
pytestmark = pytest.mark.usefixtures("clock")


def in_url(token, ip="203.0.113.9"):
    return Client().get(f"{PING}?api_key={token}", REMOTE_ADDR=ip)


@pytest.fixture
def guesses(alice_key):
    """A wrong secret on alice's key and a key ID that does not exist, both with a right checksum."""
    key, token = alice_key
    return key, *wrong_and_unknown(token)


def test_tokens_in_urls_count_towards_the_addresss_limit(settings, guesses, minute):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    _key, wrong, unknown = guesses
    assert [in_url(token).status_code for token in (wrong, unknown, wrong)] == [400, 400, 400]
    limited = in_url(unknown)
    assert limited.status_code == 429
    assert limited.json()["type"] == "urn:efinance:problem:too-many-failed-authentications"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert bearer(wrong).status_code == 429  # one count for both paths
    assert in_url(wrong, ip="198.51.100.7").status_code == 400  # another address


def test_bearer_failures_count_for_the_url_path_too(settings, guesses, minute):
    settings.API_AUTH_FAILURES_PER_MINUTE = 2
    _key, wrong, unknown = guesses
    assert [bearer(token).status_code for token in (wrong, unknown)] == [401, 401]
    assert in_url(wrong).status_code == 429


def test_beyond_the_limit_no_token_in_a_url_is_checked(settings, guesses, minute, monkeypatch):
    settings.API_AUTH_FAILURES_PER_MINUTE = 1
    _key, wrong, unknown = guesses
    assert in_url(wrong).status_code == 400

    def must_not_run(*args, **kwargs):
        raise AssertionError("a token was checked beyond the limit")

    monkeypatch.setattr(ApiKey.objects, "verify_token", must_not_run)
    assert [in_url(token).status_code for token in (wrong, unknown)] == [429, 429]


def test_an_unknown_key_id_costs_the_statements_of_a_wrong_secret(guesses, minute):
    key, wrong, unknown = guesses
    # Each from an address of its own: both are its first failure of the minute.
    with statements_run() as for_wrong:
        assert in_url(wrong, ip="192.0.2.1").status_code == 400
    with statements_run() as for_unknown:
        assert in_url(unknown, ip="192.0.2.2").status_code == 400
    assert for_wrong == for_unknown
    rows = AuditEvent.objects.filter(action=Action.AUTH_FAILED, key_id=key.key_id)
    assert sum(rows.values_list("count", flat=True)) == 1  # the wrong secret, on the key's «Activity»
