"""What the operators' metrics (`/metrics`, `METRICS_ENABLED`) cost the API's authenticated ping.

    .venv/bin/python -m tools.bench_metrics [--requests 500] [--rounds 8]

In process on a throwaway SQLite file, with `tools.bench_auth`'s production-like settings: the
authenticated ping through Django's WSGI handler, in rounds that take turns with the metrics off and
on (the best round of each counts), and the metrics' own work per request (classifying the answer and
updating the counters and the histogram) timed alone. Target: at most 5 % of the ping.
"""

import argparse
import os
import time
import timeit

from tools import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_metrics", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="pings per round (default 500)")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of each, taking turns (default 8)")
    options = parser.parse_args(argv)
    with harness.temporary_sqlite_databases("metrics", ("metrics",)) as urls:
        os.environ.update(harness.child_env(urls["metrics"], METRICS_ENABLED="0"))
        figures = _measure(options.requests, options.rounds)
    print(f"authenticated ping, in process, SQLite ({options.rounds} rounds of {options.requests:,} each, best):")
    print(f"  metrics off: {figures['off_us']:.1f} µs   metrics on: {figures['on_us']:.1f} µs")
    print(f"  the metrics' own work per request: {figures['own_us']:.2f} µs")
    print(f"  cost: {figures['own_us'] / figures['off_us']:.1%} of the ping (own work), target ≤ 5 %")
    return 0


def _measure(requests: int, rounds: int) -> dict:
    harness.setup_django()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponse

    from billing.api.metrics import outcome_of
    from efinance.lib.metrics import count_api_request
    from tools.bench_auth import PING
    from tools.bench_instructions import _request

    harness.migrate()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {harness.make_keys(5)[2]}"}
    handler = WSGIHandler()
    for _number in range(200):
        _request(handler, PING, headers)
    best = {"off": float("inf"), "on": float("inf")}
    for _round in range(rounds):
        for mode in best:
            settings.METRICS_ENABLED = mode == "on"
            started = time.perf_counter()
            for _number in range(requests):
                _request(handler, PING, headers)
            best[mode] = min(best[mode], (time.perf_counter() - started) / requests * 1e6)
    settings.METRICS_ENABLED = True
    answer = HttpResponse(b"{}")

    def own():
        outcome, reason = outcome_of(answer)
        count_api_request(api="integration", operation="ping", outcome=outcome, reason=reason, seconds=0.0003)

    own_us = min(timeit.repeat(own, number=20_000, repeat=7)) / 20_000 * 1e6
    return {"off_us": best["off"], "on_us": best["on"], "own_us": own_us}


if __name__ == "__main__":
    raise SystemExit(main())
