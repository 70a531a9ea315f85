"""The public revocation endpoint checks tokens, so it counts in the limit of failed authentications
that the Bearer header and a token in a URL share (`API_AUTH_FAILURES_PER_MINUTE` per address): each
reported token of the right shape that matches no key is one failure, an unknown key ID and a wrong
secret alike (the same statements), and beyond the limit nothing is read or checked. The attacker's
view: the endpoint must not be a way around the limit, nor tell by its time which key IDs exist."""

import re

import pytest
from django.test import Client

from apikeys.models import ApiKey, Status
from billing.models import AuthFailureCounter
from tests.billing.guesses import bearer, wrong_and_unknown
from tests.conftest import statements_run

# Counted per minute of the app's clock: held still, so that no test's requests cross a minute by chance.
pytestmark = pytest.mark.usefixtures("clock")

REVOKE = "/api/credentials/revoke"


def report(*credentials, ip="203.0.113.9"):
    return Client().post(REVOKE, {"credentials": list(credentials)}, content_type="application/json", REMOTE_ADDR=ip)


@pytest.fixture
def guesses(alice_key):
    """A wrong secret on alice's key and a key ID that does not exist, both with a right checksum."""
    key, token = alice_key
    return key, token, *wrong_and_unknown(token)


def test_each_unmatched_token_of_a_report_is_a_failed_authentication(guesses, minute):
    _key, _token, wrong, unknown = guesses
    assert report(wrong, unknown, "junk", f"Bearer {wrong}").status_code == 202
    # the wrong secret twice (pasted twice) is one token checked once; junk is never checked
    assert AuthFailureCounter.objects.so_far("203.0.113.9") == 2


def test_beyond_the_limit_the_endpoint_refuses_before_checking_anything(settings, guesses, minute, monkeypatch):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    key, token, wrong, unknown = guesses
    assert report(wrong, unknown).status_code == 202
    assert bearer(wrong).status_code == 401  # the third failure of the address, on the Bearer path
    assert bearer(unknown).status_code == 429  # one count for every path

    def must_not_run(*args, **kwargs):
        raise AssertionError("a token was checked beyond the limit")

    monkeypatch.setattr("billing.api.credentials.apikeys_revoke_exposed", must_not_run)
    limited = report(token)
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["type"] == "urn:efinance:problem:too-many-failed-authentications"
    assert 1 <= int(limited["Retry-After"]) <= 60
    key.refresh_from_db()
    assert key.status == Status.VALID


def test_bearer_failures_close_the_endpoint_and_another_address_is_not_affected(settings, guesses, minute):
    settings.API_AUTH_FAILURES_PER_MINUTE = 2
    key, token, wrong, unknown = guesses
    assert [bearer(t).status_code for t in (wrong, unknown)] == [401, 401]
    assert report(token).status_code == 429
    key.refresh_from_db()
    assert key.status == Status.VALID
    assert report(token, ip="198.51.100.7").status_code == 202  # the leak is still reported from elsewhere
    key.refresh_from_db()
    assert key.status == Status.DELETED


def test_an_ipv6_client_is_counted_by_its_64(settings, guesses, minute):
    settings.API_AUTH_FAILURES_PER_MINUTE = 2
    _key, token, wrong, unknown = guesses
    assert report(wrong, unknown, ip="2001:db8:1:2::1").status_code == 202
    assert report(token, ip="2001:db8:1:2:ffff::9").status_code == 429
    assert report(token, ip="2001:db8:1:3::1").status_code == 202


def test_a_matched_token_counts_nothing(guesses, minute):
    key, token, _wrong, _unknown = guesses
    assert report(token).status_code == 202
    assert report(token).status_code == 202  # already deleted: still a match, still no failure
    assert AuthFailureCounter.objects.so_far("203.0.113.9") == 0
    assert not ApiKey.objects.filter(pk=key.pk, revoked_at=None).exists()


def test_an_unknown_key_id_costs_the_statements_of_a_wrong_secret(guesses, minute):
    _key, _token, wrong, unknown = guesses
    # Each from an address of its own: both are its first failure of the minute.
    with statements_run() as for_wrong:
        assert report(wrong, ip="192.0.2.1").status_code == 202
    with statements_run() as for_unknown:
        assert report(unknown, ip="192.0.2.2").status_code == 202
    savepoint = re.compile(r'"s\d+_x\d+"')  # a savepoint's name counts up per transaction
    assert [savepoint.sub("sp", sql) for sql in for_wrong] == [savepoint.sub("sp", sql) for sql in for_unknown]
