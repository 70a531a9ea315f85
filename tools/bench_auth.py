"""Benchmark of API-key verification, in process and under gunicorn, on throwaway databases.

    .venv/bin/python -m tools.bench_auth             # 1,000 keys, 3 rounds of 5 s per HTTP measurement
    .venv/bin/python -m tools.bench_auth --keys 20 --seconds 1 --rounds 1 --verifications 200   # a quick smoke run

Run from the checkout root; it exits 1 with a message on stderr when a measurement fails.

For each database — a temporary SQLite file (never db.sqlite3) and, when DATABASE_URL names a
PostgreSQL server, a temporary database created beside the one it names and dropped afterwards — it
runs this module again in a child process (``--child``) whose DATABASE_URL points there. The child
migrates, creates `--keys` keys and prints:

1. the median (and 90th percentile) microseconds of ``ApiKey.objects.verify_token`` for valid
   tokens, in process, HMAC and comparison included;
2. under gunicorn (`--workers`, ``--no-control-socket``, DEBUG off, CONN_MAX_AGE=60) on the loopback
   interface, the requests per second of an authenticated ``GET /api/billing-int/v1/ping`` and of an
   unauthenticated trivial Django view (``GET /i18n/setlang/``: a redirect that reads nothing from the
   database) through the same middleware, measured in alternating rounds in the same run (the best
   round of each counts), and their ratio. The load generator is ``wrk`` when it is installed,
   otherwise a pool of Python threads (whose own cost then dominates: not comparable with wrk's).

Bounded in time: each HTTP measurement lasts `--seconds`, gunicorn is stopped (by its process ID)
when the child is done, and the temporary databases are removed.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from tools import ROOT, ToolError, gunicorn

PING = "/api/billing-int/v1/ping"
TRIVIAL = "/i18n/setlang/"
TARGET_US = 100
TARGET_SHARE = 80


def _child_env(database_url: str) -> dict:
    """A production-like configuration with throwaway secrets, for the child and its gunicorn."""
    return {
        **os.environ,
        "ENV_FILE": "",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_PEPPER": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback; TLS is the proxy's job
        "SECURE_COOKIES": "0",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_auth",
        description="Median µs of verifying a token in process, and req/s of authenticated ping vs a trivial view.",
    )
    parser.add_argument("--keys", type=int, default=1000, help="keys in the database (default 1000)")
    parser.add_argument("--verifications", type=int, default=5000, help="in-process verifications (default 5000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each HTTP measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating HTTP rounds, best of each (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--no-http", action="store_true", help="only the in-process measurement")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one database's part of it); 0 when done, 1 on a failure."""
    options = vars(_parser().parse_args(argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efinance.settings")
    if not apps.ready:  # a test calling main() has set Django up already
        django.setup()
    try:
        if options["child"]:
            _child(options)
        else:
            _parent(options)
    except ToolError as error:
        print(f"bench_auth: error: {error}", file=sys.stderr)
        return 1
    return 0


def _out(line: str) -> None:
    print(line, flush=True)


def _parent(options) -> None:
    load = "wrk" if shutil.which("wrk") else "Python threads (wrk is not installed)"
    _out(
        f"bench_auth: {options['keys']:,} keys; in process: {options['verifications']:,} verifications; "
        f"HTTP: gunicorn {options['workers']} workers, {load}, {options['connections']} connections, "
        f"{options['rounds']} alternating rounds of {options['seconds']:g} s each, best of each, 127.0.0.1"
    )
    with tempfile.TemporaryDirectory(prefix="efinance-bench-") as workdir:
        _run_child("SQLite", f"sqlite:///{Path(workdir) / 'bench.sqlite3'}", options)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        with _temporary_postgres_database(database_url) as bench_url:
            _run_child("PostgreSQL", bench_url, options)


def _run_child(label: str, database_url: str, options) -> None:
    command = [sys.executable, "-m", "tools.bench_auth", "--child", label]
    for name in ("keys", "verifications", "seconds", "rounds", "workers", "connections"):
        command += [f"--{name}", str(options[name])]
    if options["no_http"]:
        command.append("--no-http")
    limit = 120 + 4 * options["seconds"] + options["verifications"] / 1000
    result = subprocess.run(  # noqa: S603 (this interpreter, this module)
        command, env=_child_env(database_url), capture_output=True, text=True, timeout=limit, check=False, cwd=ROOT
    )
    if result.returncode != 0:
        raise ToolError(f"{label}: the benchmark failed:\n{result.stderr[-3000:]}")
    _out(result.stdout.rstrip())


# The child: its DATABASE_URL is the throwaway database.


def _child(options) -> None:
    label = options["child"]
    call_command("migrate", verbosity=0)
    tokens = _make_keys(options["keys"])
    median, p90 = _verify_timings(tokens, options["verifications"])
    verdict = "at or below" if median <= TARGET_US else "ABOVE"
    _out(
        f"{label}: verify_token median {median:.1f} µs, p90 {p90:.1f} µs over {options['verifications']:,} "
        f"verifications of {len(tokens):,} valid tokens ({verdict} the target of {TARGET_US} µs)"
    )
    if options["no_http"]:
        return
    port = gunicorn.free_port()
    server = gunicorn.start(port, workers=options["workers"])
    gunicorn.wait_until_up(port, server)
    try:
        base = f"http://127.0.0.1:{port}"
        token = tokens[len(tokens) // 2]
        auth = {"Authorization": f"Bearer {token}"}
        _expect(base, PING, auth, 200)
        _expect(base, TRIVIAL, {}, 302)
        for path, headers in ((TRIVIAL, {}), (PING, auth)):  # warm-up
            _load(base, path, headers, min(1.0, options["seconds"]), options["connections"])
        # Alternating rounds, the best of each: a burst of other work on the machine then
        # disturbs both measurements alike instead of deciding the ratio.
        trivial = ping = 0.0
        for _round in range(options["rounds"]):
            trivial = max(trivial, _load(base, TRIVIAL, {}, options["seconds"], options["connections"]))
            ping = max(ping, _load(base, PING, auth, options["seconds"], options["connections"]))
    finally:
        gunicorn.stop(server)
    share = 100 * ping / trivial if trivial else 0.0
    verdict = "at or above" if share >= TARGET_SHARE else "BELOW"
    _out(
        f"{label}: HTTP authenticated ping {ping:,.0f} req/s, trivial view {trivial:,.0f} req/s: "
        f"{share:.0f} % ({verdict} the target of {TARGET_SHARE} %)"
    )


def _make_keys(count: int) -> list[str]:
    """`count` valid integration keys of one user, written in one bulk INSERT; answers their tokens."""
    from apikeys import tokens
    from apikeys.models import Api, ApiKey, latest_valid_until
    from users.models import Organization, User

    organization = Organization.objects.create(name=f"Benchmark {timezone.now():%Y-%m-%d %H:%M:%S}")
    user = User.objects.create_user(username="bench-admin", organization=organization, is_org_admin=True)
    valid_until = latest_valid_until()
    keys, made = [], []
    for _number in range(count):
        key_id, secret = tokens.new_key_id(), tokens.new_secret()
        keys.append(
            ApiKey(
                key_id=key_id,
                secret_hash=tokens.hash_secret(secret),
                api=Api.INTEGRATION,
                organization=organization,
                user=user,
                created_by=user,
                valid_until=valid_until,
            )
        )
        made.append(tokens.build_token(Api.INTEGRATION, key_id, secret))
    ApiKey.objects.bulk_create(keys, batch_size=500)
    return made


def _verify_timings(tokens: list[str], runs: int) -> tuple[float, float]:
    """Median and 90th percentile in µs of verifying valid tokens, cycling through a sample of them."""
    from apikeys.models import Api, ApiKey

    sample = tokens[:: max(1, len(tokens) // 100)]
    verify = ApiKey.objects.verify_token
    for token in sample:  # warm-up: connection, statement cache
        verify(token, api=Api.INTEGRATION)
    timings = []
    for number in range(runs):
        token = sample[number % len(sample)]
        start = time.perf_counter_ns()
        verification = verify(token, api=Api.INTEGRATION)
        timings.append((time.perf_counter_ns() - start) / 1000)
        if not verification.ok:
            raise ToolError(f"a valid token was refused: {verification.failure}")
    timings.sort()
    return statistics.median(timings), timings[int(0.9 * (len(timings) - 1))]


def _expect(base: str, path: str, headers: dict, status: int) -> None:
    connection = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != status:
        raise ToolError(f"GET {path} answered {response.status}, not {status}: {body[:300]!r}")


def _load(base: str, path: str, headers: dict, seconds: float, connections: int) -> float:
    """Requests per second of GET `path`; any answer but 2xx/3xx fails the benchmark."""
    if shutil.which("wrk"):
        return _wrk(base + path, headers, seconds, connections)
    return _threads(base, path, headers, seconds, connections)


def _wrk(url: str, headers: dict, seconds: float, connections: int) -> float:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise ToolError(f"{errors[1]} answers were not 2xx/3xx for {urlsplit(url).path}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def _threads(base: str, path: str, headers: dict, seconds: float, connections: int) -> float:
    host, port = urlsplit(base).hostname, urlsplit(base).port
    deadline = time.monotonic() + seconds
    counts, failures = [0] * connections, []

    def client(number: int) -> None:
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection(host, port, timeout=10)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status >= 400:
                failures.append(response.status)
                return
            counts[number] += 1

    threads = [threading.Thread(target=client, args=(number,)) for number in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    if failures:
        raise ToolError(f"{len(failures)} answers were not 2xx/3xx for {path}: {failures[:5]}")
    return sum(counts) / seconds


class _temporary_postgres_database:
    """A database beside the one DATABASE_URL names, created for the benchmark and dropped afterwards."""

    def __init__(self, database_url: str):
        self.parts = urlsplit(database_url)
        self.name = f"{self.parts.path.lstrip('/') or 'postgres'}_bench_{os.getpid()}"

    def _execute(self, statement: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(urlunsplit(self.parts._replace(scheme="postgresql")), autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def __enter__(self) -> str:
        self._execute("CREATE DATABASE {}")
        return urlunsplit(self.parts._replace(path=f"/{self.name}"))

    def __exit__(self, *exc_info) -> None:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
