"""The peer's in-process part of `tools.bench_auth`: migrate its database, make keys, time `is_valid`.

Run with DJANGO_SETTINGS_MODULE=tools.peer.settings and DATABASE_URL naming the peer's own database;
prints one JSON line: the best round's median and the 90th percentile µs of ``APIKey.objects.is_valid`` for valid keys,
and one key for the HTTP rounds.
"""

import argparse
import json
import os
import sys
import time

import django

from tools.rounds import best_round_median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.peer.measure")
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--verifications", type=int, default=5000)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.peer.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from rest_framework_api_key.models import APIKey

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        keys = [APIKey.objects.create_key(name=f"bench-{number}")[1] for number in range(options.keys)]
    sample = keys[:: max(1, len(keys) // 100)]
    for key in sample:  # warm-up: connection, statement cache
        APIKey.objects.is_valid(key)

    def measure(number: int) -> float:
        key = sample[number % len(sample)]
        start = time.perf_counter_ns()
        valid = APIKey.objects.is_valid(key)
        elapsed = (time.perf_counter_ns() - start) / 1000
        if not valid:
            raise SystemExit(f"a valid peer key was refused: {key[:8]}")
        return elapsed

    median, p90 = best_round_median(measure, options.verifications)
    figures = {"verify_us": median, "verify_p90_us": p90, "key": keys[len(keys) // 2]}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
