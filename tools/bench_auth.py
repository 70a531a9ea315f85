"""Benchmark of API-key verification against its peer, in process and under gunicorn, on throwaway databases.

    .venv/bin/python -m tools.bench_auth             # 1,000 keys, 5 rounds of 5 s per HTTP measurement
    .venv/bin/python -m tools.bench_auth --json figures.json
    .venv/bin/python -m tools.bench_auth --keys 20 --seconds 1 --rounds 1 --verifications 200 --list-keys 50  # smoke

Run from the checkout root; it exits 1 with a message on stderr when a measurement fails.

For each database — a temporary SQLite file (never db.sqlite3) and, when DATABASE_URL names a
PostgreSQL server, temporary databases created beside the one it names and dropped afterwards — it
runs this module again in a child process (``--child``) whose DATABASE_URL points there. The child
migrates, creates `--keys` keys, and measures:

1. in process, the median (the best of 5 rounds, `tools.rounds`) and 90th percentile µs of
   ``ApiKey.objects.verify_token`` for valid tokens (HMAC and comparison included), and of the peer's
   ``APIKey.objects.is_valid`` (djangorestframework-api-key, `tools.peer.measure`, in its own process on
   its own database with the same number of keys), their rounds taking turns; beside them the
   database's round trip (``SELECT 1`` on the driver's cursor), the floor under both;
2. in process, the median ms (the best of 5 rounds, the two pages' rounds taking turns) and the SQL
   statements (``connection.execute_wrapper``, in a request of their own) of the key list
   (``/administration/api-keys/``) and of User management for an organization with 10 keys and one
   with `--list-keys` (10,000);
3. under gunicorn (`--workers` each, ``--no-control-socket``, DEBUG off, CONN_MAX_AGE=60) on the
   loopback interface, the requests per second of four servers in alternating rounds of the same
   run (the best round of each counts): the project's authenticated ``GET /api/billing-int/v1/ping``
   (each request counted for the key's usage), the same ping with counting off
   (``API_USAGE_COUNTING=0``: what counting costs), the same ping on DRF + djangorestframework-api-key
   (`tools.peer`, ``HasAPIKey``), and a trivial view under Django's default middleware (`tools.bare`).
   The load generator is ``wrk`` when it is installed, otherwise a pool of Python threads (whose own
   cost then dominates: not comparable).

The parent prints one table; ``--json FILE`` writes ``{"sqlite": {...}, "postgresql": {...}}``.
Bounded in time: each HTTP measurement lasts `--seconds`, the servers are stopped (by their process
IDs) when the child is done, and the temporary databases are removed.
"""

import argparse
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from tools import ROOT, ToolError, gunicorn
from tools.rounds import alternating_rounds, best_round_median

PING = "/api/billing-int/v1/ping"
PEER_PING = "/api/ping"
BARE = "/bare"
KEY_LIST = "/administration/api-keys/"
USER_MANAGEMENT = "/administration/users/"
JSON_LINE = "bench_auth.figures "
PAGE_ROUNDS = 5
# The speed targets (ratios in one run); reported, never enforced by this command.
TARGETS = {"ping_over_peer": 1.5, "ping_over_bare": 0.7, "verify_over_peer": {"sqlite": 0.2, "postgresql": 0.3}}


def _child_env(database_url: str, **extra: str) -> dict:
    """A production-like configuration with throwaway secrets, for the child and its servers."""
    return {
        **os.environ,
        "ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "efinance.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_PEPPER": secrets.token_urlsafe(50),
        "OTP_ENCRYPTION_KEY": secrets.token_urlsafe(50),
        "REPORT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback; TLS is the proxy's job
        "SECURE_COOKIES": "0",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_auth",
        description="verify_token against djangorestframework-api-key, the authenticated ping against the same "
        "ping on DRF and a trivial Django view, and the key list at 10 and 10,000 keys.",
    )
    parser.add_argument("--keys", type=int, default=1000, help="keys in each database (default 1000)")
    parser.add_argument("--verifications", type=int, default=5000, help="in-process verifications (default 5000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each HTTP measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating HTTP rounds, best of each (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each server (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--list-keys", type=int, default=10_000, help="keys of the large key list (default 10000)")
    parser.add_argument(
        "--page-runs", type=int, default=20, help="requests per page in each of 5 rounds, best of each (default 20)"
    )
    parser.add_argument("--no-http", action="store_true", help="only the in-process measurements")
    parser.add_argument("--json", default="", metavar="FILE", help="also write the figures to FILE")
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
        f"bench_auth: {options['keys']:,} keys; in process: {options['verifications']:,} verifications, "
        f"pages at 10 and {options['list_keys']:,} keys ({PAGE_ROUNDS} rounds of {options['page_runs']} requests); "
        f"HTTP: gunicorn {options['workers']} workers per server, {load}, {options['connections']} connections, "
        f"{options['rounds']} alternating rounds of {options['seconds']:g} s each, best of each, 127.0.0.1"
    )
    figures = {}
    with tempfile.TemporaryDirectory(prefix="efinance-bench-") as workdir:
        project, peer = (f"sqlite:///{Path(workdir) / name}" for name in ("bench.sqlite3", "peer.sqlite3"))
        figures["sqlite"] = _run_child("SQLite", project, peer, options)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        with (
            _temporary_postgres_database(database_url, "bench") as project,
            _temporary_postgres_database(database_url, "peer") as peer,
        ):
            figures["postgresql"] = _run_child("PostgreSQL", project, peer, options)
    _out("")
    for line in _table(figures, options):
        _out(line)
    if options["json"]:
        Path(options["json"]).write_text(json.dumps(figures, indent=2) + "\n")
        _out(f"figures written to {options['json']}")


def _run_child(label: str, database_url: str, peer_url: str, options) -> dict:
    command = [sys.executable, "-m", "tools.bench_auth", "--child", label]
    for name in ("keys", "verifications", "seconds", "rounds", "workers", "connections", "list_keys", "page_runs"):
        command += [f"--{name.replace('_', '-')}", str(options[name])]
    if options["no_http"]:
        command.append("--no-http")
    limit = 300 + 3 * 4 * options["rounds"] * options["seconds"] + options["verifications"] / 500
    result = subprocess.run(  # noqa: S603 (this interpreter, this module)
        command,
        env=_child_env(database_url, PEER_DATABASE_URL=peer_url),
        capture_output=True,
        text=True,
        timeout=limit,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise ToolError(f"{label}: the benchmark failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    lines = result.stdout.rstrip().splitlines()
    figures = [json.loads(line.removeprefix(JSON_LINE)) for line in lines if line.startswith(JSON_LINE)]
    for line in lines:
        if not line.startswith(JSON_LINE):
            _out(line)
    if len(figures) != 1:
        raise ToolError(f"{label}: the child printed no figures")
    return figures[0]


def _ratio(numerator, denominator) -> str:
    return f"{numerator / denominator:.2f}×" if numerator and denominator else "—"


def _table(figures: dict, options) -> list[str]:
    """The figures of every database as a Markdown table (what docs/development/performance.md shows)."""
    labels = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    vendors = list(figures)
    big = f"{options['list_keys']:,}"

    def row(name, cell):
        return f"| {name} | " + " | ".join(cell(figures[v], v) for v in vendors) + " |"

    def pages(page, keys):
        return lambda f, _v: f"{f[f'{page}_{keys}_ms']:.1f} ms, {f[f'{page}_{keys}_queries']} queries"

    lines = [
        "| | " + " | ".join(labels[v] for v in vendors) + " |",
        "| --- |" + " --- |" * len(vendors),
        row("`verify_token`, in process, median", lambda f, _v: f"{f['verify_us']:.1f} µs"),
        row("djangorestframework-api-key `is_valid`, same run", lambda f, _v: f"{f['peer_verify_us']:.1f} µs"),
        row(
            "verify_token / is_valid (target ≤ 0.2× SQLite, ≤ 0.3× PostgreSQL)",
            lambda f, _v: _ratio(f["verify_us"], f["peer_verify_us"]),
        ),
        row(
            "the database's round trip, `SELECT 1` on the driver's cursor", lambda f, _v: f"{f['round_trip_us']:.1f} µs"
        ),
    ]
    if not options["no_http"]:
        lines += [
            row("authenticated `ping`, usage counted, req/s", lambda f, _v: f"{f['ping_rps']:,.0f}"),
            row(
                "the same ping, counting off (`API_USAGE_COUNTING=0`)", lambda f, _v: f"{f['ping_uncounted_rps']:,.0f}"
            ),
            row(
                "ping counted / not counted",
                lambda f, _v: _ratio(f["ping_rps"], f["ping_uncounted_rps"]),
            ),
            row(
                "the same ping on DRF + djangorestframework-api-key (`HasAPIKey`)",
                lambda f, _v: f"{f['peer_ping_rps']:,.0f}",
            ),
            row(
                "ping (counted) / peer's ping (target ≥ 1.5×)", lambda f, _v: _ratio(f["ping_rps"], f["peer_ping_rps"])
            ),
            row(
                "ping (not counted) / peer's ping",
                lambda f, _v: _ratio(f["ping_uncounted_rps"], f["peer_ping_rps"]),
            ),
            row("a trivial view with Django's default middleware, req/s", lambda f, _v: f"{f['bare_rps']:,.0f}"),
            row("ping / trivial view (target ≥ 0.70× on SQLite)", lambda f, _v: _ratio(f["ping_rps"], f["bare_rps"])),
        ]
    lines += [
        row("key list, 10 keys", pages("list", 10)),
        row(f"key list, {big} keys (target ≤ 20 ms, queries as at 10)", pages("list", options["list_keys"])),
        row("User management, 10 keys", pages("users", 10)),
        row(f"User management, {big} keys", pages("users", options["list_keys"])),
    ]
    return lines


# The child: its DATABASE_URL is the throwaway database, PEER_DATABASE_URL the peer's.


def _child(options) -> None:
    label = options["child"]
    vendor = "postgresql" if label == "PostgreSQL" else "sqlite"
    call_command("migrate", verbosity=0)
    tokens = _make_keys(options["keys"])
    with _PeerMeasure(options) as peer:
        (median, p90), (peer_median, peer_p90) = alternating_rounds(
            [_verify_round(tokens), peer.round], options["verifications"]
        )
    round_trip = _round_trip_us(options["verifications"])
    peer = {"verify_us": peer_median, "verify_p90_us": peer_p90, "key": peer.key}
    figures = {
        "keys": options["keys"],
        "verify_us": round(median, 1),
        "verify_p90_us": round(p90, 1),
        "round_trip_us": round(round_trip, 1),
        "peer_verify_us": round(peer["verify_us"], 1),
        "peer_verify_p90_us": round(peer["verify_p90_us"], 1),
    }
    _out(
        f"{label}: verify_token median {median:.1f} µs, p90 {p90:.1f} µs; peer is_valid median "
        f"{peer['verify_us']:.1f} µs, p90 {peer['verify_p90_us']:.1f} µs; over {options['verifications']:,} "
        f"verifications of valid keys: {median / peer['verify_us']:.2f}× "
        f"(target ≤ {TARGETS['verify_over_peer'][vendor]}×); the database's round trip (SELECT 1) "
        f"{round_trip:.1f} µs"
    )
    figures["list_keys"] = options["list_keys"]
    for count in (10, options["list_keys"]):
        measured = _page_timings(count, options["page_runs"])
        figures.update(measured)
        _out(
            f"{label}: pages at {count:,} keys: key list {measured[f'list_{count}_ms']:.1f} ms median, "
            f"{measured[f'list_{count}_queries']} queries; User management {measured[f'users_{count}_ms']:.1f} ms, "
            f"{measured[f'users_{count}_queries']} queries"
        )
    big = options["list_keys"]
    figures["list_10000_ms"], figures["list_10000_queries"] = figures[f"list_{big}_ms"], figures[f"list_{big}_queries"]
    if not options["no_http"]:
        figures.update(_http(label, tokens[len(tokens) // 2], peer["key"], options))
    _out(JSON_LINE + json.dumps(figures))


class _PeerMeasure:
    """The peer's `is_valid`, timed in its own process on its own database (`tools.peer.measure`),
    a round at a time when asked, so that its rounds alternate with this process's."""

    def __init__(self, options):
        command = [sys.executable, "-m", "tools.peer.measure", "--keys", str(options["keys"])]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tools.peer.settings", "DATABASE_URL": _peer_url()}
        # Its stderr goes to a file, not a pipe: a pipe nobody reads while waiting for stdout could fill.
        self.errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, the peer's module)
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, text=True, cwd=ROOT
        )
        self.key = self._answer()["key"]

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            self.errors.seek(0)
            raise ToolError(f"the peer's measurement failed:\n{self.errors.read()[-3000:]}")
        return json.loads(line)

    def round(self, count: int) -> list[float]:
        self.process.stdin.write(f"round {count}\n")
        self.process.stdin.flush()
        return self._answer()["timings"]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("done\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.errors.close()


def _peer_url() -> str:
    url = os.environ.get("PEER_DATABASE_URL", "")
    if not url:
        raise ToolError("PEER_DATABASE_URL is not set (the parent sets it for its child)")
    return url


def _http(label: str, token: str, peer_key: str, options) -> dict:
    """Requests/s of the three servers in alternating rounds; the best round of each."""
    servers = {
        "ping": (gunicorn.PROJECT_APP, {}, PING, {"Authorization": f"Bearer {token}"}),
        "ping_uncounted": (
            gunicorn.PROJECT_APP,
            {"API_USAGE_COUNTING": "0"},
            PING,
            {"Authorization": f"Bearer {token}"},
        ),
        "peer_ping": (
            gunicorn.DJANGO_APP,
            {"DJANGO_SETTINGS_MODULE": "tools.peer.settings", "DATABASE_URL": _peer_url()},
            PEER_PING,
            {"Authorization": f"Api-Key {peer_key}"},
        ),
        "bare": (gunicorn.DJANGO_APP, {"DJANGO_SETTINGS_MODULE": "tools.bare"}, BARE, {}),
    }
    bases, best = {}, dict.fromkeys(servers, 0.0)
    with ExitStack() as stack:
        for name, (app, env, path, headers) in servers.items():
            port = gunicorn.free_port()
            server = gunicorn.start(port, workers=options["workers"], env={**os.environ, **env}, app=app)
            stack.callback(gunicorn.stop, server)
            gunicorn.wait_until_up(port, server, path=path, headers=headers)
            bases[name] = f"http://127.0.0.1:{port}"
        for name, (_app, _env, path, headers) in servers.items():  # each answers 200, then a warm-up
            _expect(bases[name], path, headers, 200)
            _load(bases[name], path, headers, min(1.0, options["seconds"]), options["connections"])
        # Alternating rounds, the best of each: a burst of other work on the machine then disturbs
        # every measurement alike instead of deciding the ratios.
        for _round in range(options["rounds"]):
            for name, (_app, _env, path, headers) in servers.items():
                rate = _load(bases[name], path, headers, options["seconds"], options["connections"])
                best[name] = max(best[name], rate)
    ping, peer, bare, uncounted = best["ping"], best["peer_ping"], best["bare"], best["ping_uncounted"]
    _out(
        f"{label}: HTTP authenticated ping {ping:,.0f} req/s (counting off: {uncounted:,.0f}), "
        f"peer's ping {peer:,.0f} req/s, "
        f"trivial view {bare:,.0f} req/s: ping / peer {_ratio(ping, peer)} (target ≥ {TARGETS['ping_over_peer']}×), "
        f"ping / trivial {_ratio(ping, bare)} (target ≥ {TARGETS['ping_over_bare']}× on SQLite)"
    )
    return {
        "ping_rps": round(ping, 1),
        "ping_uncounted_rps": round(uncounted, 1),
        "peer_ping_rps": round(peer, 1),
        "bare_rps": round(bare, 1),
    }


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


def _page_timings(count: int, runs: int) -> dict:
    """Median ms and SQL statements of the key list and User management of an organization with
    `count` keys (of 10 users; every tenth key deleted), requested in process by its Admin user."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings

    from apikeys import tokens
    from apikeys.models import Api, ApiKey, latest_valid_until
    from users.models import Organization, User

    organization = Organization.objects.create(name=f"Pages {count} {timezone.now():%H:%M:%S.%f}")
    admin = User.objects.create_user(username=f"pages-{count}-admin", organization=organization, is_org_admin=True)
    users = [admin] + [
        User.objects.create_user(username=f"pages-{count}-user-{number}", organization=organization)
        for number in range(9)
    ]
    # Created over the last `count` minutes (at most a week), valid well within two years of that;
    # each its own hash (the database refuses two keys with one), none that any token matches.
    now, valid_until = timezone.now(), latest_valid_until() - timezone.timedelta(days=30)
    keys = []
    for number in range(count):
        deleted = number % 10 == 9
        key_id = tokens.new_key_id()
        keys.append(
            ApiKey(
                key_id=key_id,
                secret_hash=tokens.hash_secret(key_id),
                api=Api.INTEGRATION if number % 2 else Api.PRODUCTION,
                organization=organization,
                user=users[number % len(users)],
                created_by=admin,
                created_at=now - timezone.timedelta(minutes=count - number),
                valid_until=valid_until,
                revoked_at=now if deleted else None,
                revoked_by=admin if deleted else None,
            )
        )
    ApiKey.objects.bulk_create(keys, batch_size=500)
    # The table as autovacuum leaves it once it has seen the rows: without the planner's statistics
    # PostgreSQL plans a table that has just grown by 10,000 rows as if it were empty (a sort of every
    # ended key, 7 ms, instead of the index's order, 0.25 ms), and without the visibility map its
    # index-only count reads the table too. SQLite only keeps statistics.
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(ApiKey._meta.db_table)
        cursor.execute(f"VACUUM (ANALYZE) {table}" if connection.vendor == "postgresql" else "ANALYZE")
    client = Client()
    client.force_login(admin)
    figures = {}
    # The hashed names of collectstatic's manifest are not there in a checkout; the plain storage
    # answers the same URLs without it.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain):
        _pages(client, runs, count, figures)
    return figures


def _pages(client, runs: int, count: int, figures: dict) -> None:
    """The key list's and User management's statements, counted in a request of their own, and their
    median ms in rounds that take turns (`tools.rounds`: a burst of other work spoils a round, not the
    figure), `runs` requests a round."""
    from django.db import connection

    paths = {"list": KEY_LIST, "users": USER_MANAGEMENT}
    for page, path in paths.items():
        statements = []

        def count_statement(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        client.get(path)  # warm-up: templates, statement cache
        with connection.execute_wrapper(count_statement):
            _get(client, path)
        figures[f"{page}_{count}_queries"] = len(statements)

    def round_of(path):
        def timings(number: int) -> list[float]:
            measured = []
            for _run in range(number):
                start = time.perf_counter_ns()
                _get(client, path)
                measured.append((time.perf_counter_ns() - start) / 1e3)
            return measured

        return timings

    results = alternating_rounds([round_of(path) for path in paths.values()], runs * PAGE_ROUNDS, PAGE_ROUNDS)
    for page, (median_us, _p90) in zip(paths, results, strict=True):
        figures[f"{page}_{count}_ms"] = round(median_us / 1e3, 2)


def _get(client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise ToolError(f"GET {path} answered {response.status_code}")


def _verify_round(tokens: list[str]):
    """A function that times `count` verifications of valid tokens (µs each), cycling through a sample."""
    from apikeys.models import Api, ApiKey

    sample = tokens[:: max(1, len(tokens) // 100)]
    verify = ApiKey.objects.verify_token
    for token in sample:  # warm-up: connection, statement cache
        verify(token, api=Api.INTEGRATION)

    def round_of(count: int) -> list[float]:
        timings = []
        for number in range(count):
            token = sample[number % len(sample)]
            start = time.perf_counter_ns()
            verification = verify(token, api=Api.INTEGRATION)
            timings.append((time.perf_counter_ns() - start) / 1000)
            if not verification.ok:
                raise ToolError(f"a valid token was refused: {verification.failure}")
        return timings

    return round_of


def _round_trip_us(runs: int) -> float:
    """The floor under any verification: `SELECT 1` on the driver's own cursor (best round's median, µs)."""
    from django.db import connection

    connection.ensure_connection()
    cursor = connection.connection.cursor()

    def measure(_number: int) -> float:
        start = time.perf_counter_ns()
        cursor.execute("SELECT 1")
        cursor.fetchone()
        return (time.perf_counter_ns() - start) / 1000

    for _warm in range(50):
        measure(0)
    try:
        return best_round_median(measure, runs)[0]
    finally:
        cursor.close()


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

    def __init__(self, database_url: str, purpose: str):
        self.parts = urlsplit(database_url)
        self.name = f"{self.parts.path.lstrip('/') or 'postgres'}_bench_{purpose}_{os.getpid()}"

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
