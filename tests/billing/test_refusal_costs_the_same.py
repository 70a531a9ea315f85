"""A wrong secret on an existing key ID and an unknown key ID cost the same whole request: the same SQL
statements, in the same order, on the Bearer path (the URL path: `test_token_in_url_limit.py`). The
attacker's view: a refusal that did more work for an existing key ID (its usage counted, its list of
refusals written) told by its time which key IDs exist. `tools.bench_timing` measures the times."""

import re

from django.test import Client

from apikeys.models import KeyRefusal, KeyUsage
from apikeys.tokens import build_token, new_key_id, parse_token
from tests.conftest import flip_last, statements_run

PING = "/api/billing-int/v1/ping"


def _refused(token: str, ip: str) -> list[str]:
    with statements_run() as statements:
        response = Client().get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip)
    assert response.status_code == 401 and response.json()["reason"] == "unknown"
    return [re.sub(r'"s\d+_x\d+"', '"savepoint"', statement) for statement in statements]  # numbered per use


def test_a_wrong_secret_runs_the_statements_of_an_unknown_key_id(alice_key, minute):
    key, token = alice_key
    parsed = parse_token(token)
    wrong = build_token(parsed.api, parsed.key_id, flip_last(parsed.secret))
    unknown = build_token(parsed.api, new_key_id(), parsed.secret)
    # Each from an address of its own (both the first failure of the minute there), twice (the first
    # failure of a key in an hour inserts its audit row, later ones update it, as for unknown key IDs).
    for ip_wrong, ip_unknown in [("192.0.2.1", "192.0.2.2"), ("192.0.2.3", "192.0.2.4")]:
        assert _refused(wrong, ip_wrong) == _refused(unknown, ip_unknown)
    assert not KeyUsage.objects.filter(api_key=key).exists()
    assert not KeyRefusal.objects.exists()
