"""Failed API authentications are limited per client address.

The attacker's view: 300 wrong secrets for one key ID from one address used to get 300 × 401 and 300
writes. Now, beyond `API_AUTH_FAILURES_PER_MINUTE` failures in a minute from one address, every
further request of that minute is a 429 problem with `Retry-After`, and it writes nothing more to the
key's «Activity». The count is in the database (shared by every app server), only failures are
counted (a success costs no query more), and rows older than the minute before are dropped.
"""

import datetime

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from apikeys.tokens import build_token, new_key_id, parse_token
from audit.models import Action, AuditEvent
from billing.models import AuthFailureCounter
from tests.conftest import flip_last

# Counted per minute of the app's clock: held still, so that no test's requests cross a minute by chance.
pytestmark = pytest.mark.usefixtures("clock")

PING = "/api/billing-int/v1/ping"


def _ping(client, token, ip="203.0.113.9", **extra):
    return client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip, **extra)


def _activity_count(key) -> int:
    rows = AuditEvent.objects.filter(action=Action.AUTH_FAILED, key_id=key.key_id)
    return sum(rows.values_list("count", flat=True))


def test_the_default_is_30_a_minute():
    assert django_settings.API_AUTH_FAILURES_PER_MINUTE == 30


def test_beyond_the_limit_an_address_gets_a_429_problem_with_retry_after(client, alice_key):
    key, token = alice_key
    parsed = parse_token(token)
    wrong = build_token(parsed.api, parsed.key_id, flip_last(parsed.secret))
    statuses = [_ping(client, wrong).status_code for _ in range(30)]
    assert statuses == [401] * 30
    response = _ping(client, wrong)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60
    problem = response.json()
    assert problem["status"] == 429 and problem["type"].endswith("too-many-failed-authentications")
    assert problem["detail"]
    assert _activity_count(key) == 30  # nothing more written to the key's Activity


@pytest.mark.parametrize(
    "bad",
    [
        "unknown",  # a key ID that does not exist
        "malformed",
        "missing",
    ],
)
def test_every_kind_of_failure_counts(client, alice_key, settings, bad):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    _key, token = alice_key
    parsed = parse_token(token)
    tokens = {"unknown": build_token(parsed.api, new_key_id(), parsed.secret), "malformed": flip_last(token)}
    for _ in range(3):
        if bad == "missing":
            assert client.get(PING, REMOTE_ADDR="203.0.113.9").status_code == 401
        else:
            assert _ping(client, tokens[bad]).status_code == 401
    assert _ping(client, flip_last(token)).status_code == 429


def test_the_limit_is_per_address(client, alice_key, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE = 2
    _key, token = alice_key
    for _ in range(2):
        assert _ping(client, flip_last(token), ip="198.51.100.1").status_code == 401
    assert _ping(client, flip_last(token), ip="198.51.100.1").status_code == 429
    assert _ping(client, flip_last(token), ip="198.51.100.2").status_code == 401


def test_a_forged_x_forwarded_for_does_not_escape_it(client, alice_key, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE = 2
    settings.TRUSTED_PROXY_COUNT = 0
    _key, token = alice_key
    statuses = [_ping(client, flip_last(token), HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(1, 5)]
    assert statuses == [401, 401, 429, 429]


def test_successes_are_not_counted_and_cost_no_query_more(client, alice_key, settings, django_assert_num_queries):
    settings.API_AUTH_FAILURES_PER_MINUTE = 2
    _key, token = alice_key
    assert _ping(client, token).status_code == 200  # the first use writes last_used once
    for _ in range(5):
        with django_assert_num_queries(2):  # the verification and the key's usage count
            assert _ping(client, token).status_code == 200
    assert AuthFailureCounter.objects.count() == 0
    assert _ping(client, flip_last(token)).status_code == 401


def test_the_count_starts_again_the_next_minute(client, alice_key, settings, monkeypatch):
    settings.API_AUTH_FAILURES_PER_MINUTE = 1
    _key, token = alice_key
    start = timezone.now().replace(second=10, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: start)
    assert [_ping(client, flip_last(token)).status_code for _ in range(2)] == [401, 429]
    monkeypatch.setattr(timezone, "now", lambda: start + datetime.timedelta(minutes=1))
    assert _ping(client, flip_last(token)).status_code == 401


def test_the_counter_is_one_row_per_address_and_minute_in_the_database(db):
    now = timezone.now().replace(second=30, microsecond=0)
    assert [AuthFailureCounter.objects.hit("192.0.2.1", now) for _ in range(4)] == [1, 2, 3, 4]
    assert AuthFailureCounter.objects.hit("192.0.2.2", now) == 1
    assert AuthFailureCounter.objects.hit(None, now) == 1  # no address known: one shared bucket
    assert AuthFailureCounter.objects.get(ip="192.0.2.1").count == 4
    assert AuthFailureCounter.objects.count() == 3


def test_old_rows_are_pruned_so_the_table_never_grows_without_bound(db):
    start = timezone.now().replace(second=0, microsecond=0)
    for minute in range(30):
        now = start + datetime.timedelta(minutes=minute)
        for host in range(20):
            AuthFailureCounter.objects.hit(f"10.0.{minute}.{host}", now)
        # never more than this minute's and the last minute's addresses
        assert AuthFailureCounter.objects.count() <= 2 * 20
        assert not AuthFailureCounter.objects.filter(minute__lt=now - datetime.timedelta(minutes=1)).exists()
