"""Time and memory of «Download credential report» at 10 and at 10,000 keys, on throwaway databases.

    .venv/bin/python -m tools.bench_report                  # 10 and 10,000 keys, 3 rounds
    .venv/bin/python -m tools.bench_report --keys 10 200 --rounds 1   # a quick smoke run

Run from the checkout root; it exits 1 with a message on stderr when a measurement fails.

For each number of keys and each database — a temporary SQLite file and, when DATABASE_URL names a
PostgreSQL server, a temporary database beside it (dropped afterwards) — a child process migrates,
creates an organization whose Admin user has that many keys (each with an hour of usage), and
downloads the CSV and the JSON report through Django's test Client (the whole middleware stack, DEBUG
off), reading the streamed zip to its end. It prints per format the median milliseconds over
`--rounds` downloads, the size of the zip, and the peak of memory that Python allocated during one
download (`tracemalloc`), which must not grow with the number of keys.
"""

import argparse
import statistics
import sys
import time
import tracemalloc

from tools import ToolError, harness
from tools.harness import out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_report", description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, nargs="+", default=[10, 10_000], help="numbers of keys (10 10000)")
    parser.add_argument("--rounds", type=int, default=3, help="downloads of each format, median time (default 3)")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    return harness.run_tool("bench_report", _parser(), argv, _parent, child=_child)


def _parent(options) -> None:
    out(f"bench_report: {', '.join(f'{n:,}' for n in options['keys'])} keys, {options['rounds']} round(s)")
    for count in options["keys"]:
        for label, urls in harness.each_database("bench-report", ("report",)):
            args = ["--keys", str(count), "--rounds", str(options["rounds"])]
            result = harness.run_child("tools.bench_report", label, args, harness.child_env(urls["report"]), 600)
            out(result.stdout.strip())


def _child(options) -> None:
    from django.test import Client
    from django.utils import timezone

    from apikeys.models import ApiKey, KeyUsage
    from users.models import User

    harness.migrate()
    [count] = options["keys"]
    harness.make_keys(count)
    admin = User.objects.get(username="bench-admin")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    KeyUsage.objects.bulk_create(
        [
            KeyUsage(api_key_id=pk, hour=hour, operation="ping", outcome="ok", count=7)
            for pk in ApiKey.objects.values_list("pk", flat=True)
        ],
        batch_size=500,
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    parts = []
    for fmt in ("csv", "json"):
        _download(client, fmt)  # warm-up: templates, translations, the first connection
        times = []
        for _round in range(options["rounds"]):
            started = time.perf_counter()
            size = _download(client, fmt)
            times.append((time.perf_counter() - started) * 1000)
        tracemalloc.start()
        _download(client, fmt)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        parts.append(
            f"{fmt} {statistics.median(times):.0f} ms, zip {size / 1024:,.0f} KiB, peak {peak / 1024:,.0f} KiB"
        )
    out(f"{options['child']}: {count:,} keys: " + "; ".join(parts))


def _download(client, fmt: str) -> int:
    response = client.post("/administration/credential-report/", {"format": fmt})
    if response.status_code != 200:
        raise ToolError(f"{fmt}: answered {response.status_code}")
    return sum(len(chunk) for chunk in response.streaming_content)


if __name__ == "__main__":
    sys.exit(main())
