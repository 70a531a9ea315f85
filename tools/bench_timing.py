"""Does the API's answer time tell whether a key ID exists? A wrong secret on an existing key ID
against an unknown key ID, over HTTP, on throwaway databases.

    .venv/bin/python -m tools.bench_timing                 # 1,000 requests of each kind, 1,000 keys
    .venv/bin/python -m tools.bench_timing --requests 20 --keys 10   # a quick smoke run
    .venv/bin/python -m tools.bench_timing --path url      # the token in the query string instead
    .venv/bin/python -m tools.bench_timing --path revoke   # the token reported to the revocation endpoint

Run from the checkout root. For each database — a temporary SQLite file and, when DATABASE_URL names a
PostgreSQL server, a temporary database beside it (created and dropped again, as `tools.bench_auth`
does) — a child process migrates, makes `--keys` keys, starts gunicorn (1 worker, DEBUG off,
CONN_MAX_AGE=60, the failure limit out of the way) on the loopback and sends, over one keep-alive
connection, `--requests` requests of each kind in alternating order (pairs, the first of each pair
alternating: A B, B A, A B, …) to ``GET /api/billing-int/v1/ping``:

- A: a well-formed token (checksum right) whose key ID exists, with a wrong secret;
- B: a well-formed token whose key ID does not exist.

Both must answer the same 401 problem (with ``--path url`` the token goes in the query string, and
both must answer the same 400 `token-in-url` problem: the path that checks a token sent where it must
never be; with ``--path revoke`` the token is reported to ``POST /api/credentials/revoke``, and both
must answer 202: the public path that checks tokens). It prints the median time of each kind (client side: send to
last byte), their difference in per cent of the smaller, and whether it is below the target of 5 %.
Exit 1 on a failed measurement; with ``--strict`` also when the difference is at or above the target.
"""

import argparse
import http.client
import json
import statistics
import sys
import time
from urllib.parse import urlsplit

from tools import ToolError, harness
from tools.harness import out

PING = "/api/billing-int/v1/ping"
REVOKE = "/api/credentials/revoke"
WHERE = {"bearer": "Authorization header", "url": "query string", "revoke": "body of POST " + REVOKE}
TARGET_PERCENT = 5.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_timing",
        description="Median answer time of a wrong secret on an existing key ID vs an unknown key ID.",
    )
    parser.add_argument("--requests", type=int, default=1000, help="requests of each kind (default 1000)")
    parser.add_argument("--keys", type=int, default=1000, help="keys in the database (default 1000)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the difference reaches the target")
    parser.add_argument(
        "--path", choices=["bearer", "url", "revoke"], default="bearer", help="where the token goes (default: bearer)"
    )
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    return harness.run_tool("bench_timing", _parser(), argv, _parent, child=_child)


def _parent(options) -> int:
    out(
        f"bench_timing: {options['requests']:,} requests of each kind in alternating order, {options['keys']:,} "
        f"keys, gunicorn 1 worker, one keep-alive connection on 127.0.0.1, token in the {WHERE[options['path']]}"
    )
    below = []
    for label, urls in harness.each_database("timing", ("timing",)):
        env = harness.child_env(
            urls["timing"], API_AUTH_FAILURES_PER_MINUTE=str(10**9), CREDENTIALS_REVOKE_PER_MINUTE=str(10**9)
        )
        args = harness.option_args(options, ("requests", "keys", "path"))
        result = harness.run_child("tools.bench_timing", label, args, env, 180 + options["requests"] / 20, (0, 3))
        out(result.stdout.rstrip())
        below.append(result.returncode == 0)
    return 1 if options["strict"] and not all(below) else 0


def _child(options) -> int:
    """Answers 0 when the difference is below the target, 3 when not (the parent tells them apart)."""
    from apikeys import tokens
    from apikeys.models import Api

    label = options["child"]
    harness.migrate()
    made = harness.make_keys(options["keys"])
    key_ids = [tokens.parse_token(token).key_id for token in made]
    requests = options["requests"]
    # A fresh secret (and, for B, a fresh key ID) every time, as an attacker who guesses would send.
    wrong_secret = [
        tokens.build_token(Api.INTEGRATION, key_ids[n % len(key_ids)], tokens.new_secret()) for n in range(requests)
    ]
    unknown = [tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret()) for _ in range(requests)]
    path = options["path"]
    with harness.serving(workers=1) as base:
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(base).port, timeout=10)
        for token in wrong_secret[:20] + unknown[:20]:  # warm-up: connections, statements, caches
            _timed(connection, token, path)
        times = {"existing": [], "unknown": []}
        for n in range(requests):
            pair = [("existing", wrong_secret[n]), ("unknown", unknown[n])]
            for kind, token in pair if n % 2 == 0 else reversed(pair):
                times[kind].append(_timed(connection, token, path))
        connection.close()
    existing, missing = statistics.median(times["existing"]), statistics.median(times["unknown"])
    difference = 100 * abs(existing - missing) / min(existing, missing)
    verdict = "below" if difference < TARGET_PERCENT else "AT OR ABOVE"
    out(
        f"{label}: wrong secret on an existing key ID median {existing:.1f} µs, unknown key ID median "
        f"{missing:.1f} µs: difference {difference:.2f} % ({verdict} the target of {TARGET_PERCENT:g} %)"
    )
    return 0 if difference < TARGET_PERCENT else 3


def _timed(connection: http.client.HTTPConnection, token: str, path: str = "bearer") -> float:
    """µs from sending the request to the last byte of the answer, which must be the 401 `unknown` problem
    (`url`: the token in the query string, and the 400 `token-in-url` problem; `revoke`: the token
    reported, and the 202 that tells nothing)."""
    start = time.perf_counter_ns()
    if path == "url":
        connection.request("GET", f"{PING}?api_key={token}")
    elif path == "revoke":
        body = json.dumps({"credentials": [token]})
        connection.request("POST", REVOKE, body=body, headers={"Content-Type": "application/json"})
    else:
        connection.request("GET", PING, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter_ns() - start) / 1000
    expected = {"url": (400, b"token-in-url"), "revoke": (202, b'"received": 1')}.get(
        path, (401, b'"reason": "unknown"')
    )
    if response.status != expected[0] or expected[1] not in body:
        raise ToolError(f"expected the {expected[0]} problem, got {response.status}: {body[:200]!r}")
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
