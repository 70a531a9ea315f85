"""Benchmark of `POST /api/credentials/revoke` with 1,000 tokens, on throwaway databases.

    .venv/bin/python -m tools.bench_revoke                 # 1,000 tokens, 3 rounds
    .venv/bin/python -m tools.bench_revoke --tokens 20 --rounds 1   # a quick smoke run

Run from the checkout root; it exits 1 with a message on stderr when a measurement fails.

For each database — a temporary SQLite file and, when DATABASE_URL names a PostgreSQL server, a
temporary database beside it (dropped afterwards) — a child process migrates, creates an organization
with an Admin user, 10 users and `--tokens` valid keys, and sends through Django's test Client (the
whole middleware stack, DEBUG off) one request of `--tokens` strings of each kind:

- ``valid``: the tokens of the valid keys (all are revoked: one UPDATE, one audit statement, one
  e-mail per person concerned, stored in the outbox for its runner, never sent by the request);
- ``wrong secret``: the key IDs of `--tokens` other valid keys with another secret (well-formed, right
  checksum): nothing is revoked;
- ``unknown``: well-formed tokens of key IDs that do not exist;
- ``junk``: strings that are not tokens.

It prints, per kind, the median milliseconds of the whole request over `--rounds` rounds and the
number of SQL statements the request sent (counted with `connection.execute_wrapper`).
"""

import argparse
import json
import statistics
import sys
import time

from tools import ToolError, harness
from tools.harness import out

KINDS = ["valid", "wrong secret", "unknown", "junk"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_revoke", description="Time and queries of revoking 1,000 reported tokens."
    )
    parser.add_argument("--tokens", type=int, default=1000, help="tokens per request (default 1000, the maximum)")
    parser.add_argument("--rounds", type=int, default=3, help="requests of each kind, median counts (default 3)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    return harness.run_tool("bench_revoke", _parser(), argv, _parent, child=_child)


def _parent(options) -> None:
    out(f"bench_revoke: {options['tokens']:,} tokens per request, {options['rounds']} round(s), median")
    for label, urls in harness.each_database("bench-revoke", ("revoke",)):
        env = harness.child_env(urls["revoke"], EMAIL_URL="memorymail://", CREDENTIALS_REVOKE_PER_MINUTE="100000")
        limit = 120 + options["tokens"] * options["rounds"] / 50
        result = harness.run_child(
            "tools.bench_revoke", label, harness.option_args(options, ("tokens", "rounds")), env, limit
        )
        out(result.stdout.strip())


def _child(options) -> None:
    from django.test import Client
    from django.utils import timezone

    from apikeys import tokens
    from apikeys.models import Api, ApiKey
    from apikeys.services import apikey_create
    from users.models import Organization, User

    harness.migrate()
    count, label = options["tokens"], options["child"]
    organization = Organization.objects.create(name="Revocation benchmark")
    admin = User.objects.create_user(
        "bench-admin", email="admin@bench.example", organization=organization, is_org_admin=True
    )
    users = [
        User.objects.create_user(f"bench-user-{n}", email=f"user{n}@bench.example", organization=organization)
        for n in range(10)
    ]
    valid_until = timezone.localdate() + timezone.timedelta(days=300)

    def make_tokens() -> list[str]:
        return [
            apikey_create(user=users[n % 10], api=Api.INTEGRATION, valid_until=valid_until, created_by=admin)[1]
            for n in range(count)
        ]

    # Keys that stay valid: the targets of the wrong secrets.
    existing = [tokens.parse_token(token).key_id for token in make_tokens()]
    client = Client(HTTP_HOST="127.0.0.1")
    # One request first, so that no kind pays for loading templates and translations.
    warm_up = make_tokens()[:1]
    client.post("/api/credentials/revoke", json.dumps({"credentials": warm_up}), content_type="application/json")
    results = {kind: ([], []) for kind in KINDS}
    for _round in range(options["rounds"]):
        batches = {
            "valid": make_tokens(),
            "wrong secret": [
                tokens.build_token(Api.INTEGRATION, existing[n], tokens.new_secret()) for n in range(count)
            ],
            "unknown": [
                tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret()) for _ in range(count)
            ],
            "junk": [f"not-a-token-{n}-" + "x" * 60 for n in range(count)],
        }
        for kind in KINDS:
            body = json.dumps({"credentials": batches[kind]})
            with harness.counted_statements() as statements:
                started = time.perf_counter()
                response = client.post("/api/credentials/revoke", body, content_type="application/json")
                elapsed = time.perf_counter() - started
            if response.status_code != 202 or response.json() != {"received": count}:
                raise ToolError(f"{kind}: answered {response.status_code} {response.content[:200]!r}")
            results[kind][0].append(elapsed * 1000)
            results[kind][1].append(len(statements))
            if kind == "valid" and ApiKey.objects.valid().count() != len(existing) + count - 1:
                raise ToolError("valid tokens were reported, but some keys are still valid")
    parts = [
        f"{kind} {statistics.median(times):.1f} ms / {max(queries)} queries"
        for kind, (times, queries) in results.items()
    ]
    out(f"{label}: {count:,} tokens per request: " + "; ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
