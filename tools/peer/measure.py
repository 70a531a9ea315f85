"""The peer's in-process part of `tools.bench_auth`: migrate its database, make keys, time `is_valid`.

Run with DJANGO_SETTINGS_MODULE=tools.peer.settings and DATABASE_URL naming the peer's own database.
It prints one JSON line when its keys are made (``{"key": ...}``, one key for the HTTP rounds), then
answers the lines it reads on stdin, so that `tools.bench_auth` alternates its own rounds with the
peer's (a burst of other work on the machine then slows both alike):

- ``round N``: N verifications of valid keys with ``APIKey.objects.is_valid``; prints their timings,
  ``{"timings": [µs, ...]}``;
- ``done``: exits.
"""

import argparse
import json
import os
import sys
import time

import django


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.peer.measure")
    parser.add_argument("--keys", type=int, default=1000)
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
    _answer({"key": keys[len(keys) // 2]})
    for line in sys.stdin:
        command, _sep, count = line.strip().partition(" ")
        if command == "done":
            return 0
        timings = []
        for number in range(int(count)):
            key = sample[number % len(sample)]
            start = time.perf_counter_ns()
            valid = APIKey.objects.is_valid(key)
            timings.append((time.perf_counter_ns() - start) / 1000)
            if not valid:
                print(f"a valid peer key was refused: {key[:8]}", file=sys.stderr)
                return 1
        _answer({"timings": timings})
    return 1  # stdin closed before «done»


def _answer(figures: dict) -> None:
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main())
