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
   loopback interface, the requests per second of five servers in alternating rounds of the same
   run (the best round of each counts): the project's authenticated ``GET /api/billing-int/v1/ping``
   (each request counted for the key's usage), the same ping with counting off
   (``API_USAGE_COUNTING=0``: what counting costs), the same ping with the operators' metrics on
   (``METRICS_ENABLED``, every worker counting in the files of ``PROMETHEUS_MULTIPROC_DIR``; what
   `/metrics` then counted is read back), the same ping on DRF + djangorestframework-api-key
   (`tools.peer`, ``HasAPIKey``), and a trivial view under Django's default middleware (`tools.bare`).
   The load generator is ``wrk`` when it is installed, otherwise a pool of Python threads (whose own
   cost then dominates: not comparable).

The parent prints one table; ``--json FILE`` writes ``{"sqlite": {...}, "postgresql": {...}}``.
Bounded in time: each HTTP measurement lasts `--seconds`, the servers are stopped (by their process
IDs) when the child is done, and the temporary databases are removed.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from urllib.parse import urlsplit

from tools import ROOT, ToolError, harness
from tools.harness import out
from tools.rounds import alternating_rounds, best_round_median

PING = "/api/billing-int/v1/ping"
PEER_PING = "/api/ping"
BARE = "/bare"
KEY_LIST = "/administration/api-keys/"
USER_MANAGEMENT = "/administration/users/"
JSON_LINE = "bench_auth.figures "
METRICS_TOKEN = secrets.token_urlsafe(40)  # the scraper's, for the server with the metrics on
PAGE_ROUNDS = 5
# The speed targets (ratios in one run); reported, never enforced by this command.
TARGETS = {"ping_over_peer": 1.5, "ping_over_bare": 0.7, "verify_over_peer": {"sqlite": 0.2, "postgresql": 0.3}}


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
    return harness.run_tool("bench_auth", _parser(), argv, _parent, child=_child)


def _parent(options) -> None:
    out(
        f"bench_auth: {options['keys']:,} keys; in process: {options['verifications']:,} verifications, "
        f"pages at 10 and {options['list_keys']:,} keys ({PAGE_ROUNDS} rounds of {options['page_runs']} requests); "
        f"HTTP: gunicorn {options['workers']} workers per server, {harness.load_generator()}, "
        f"{options['connections']} connections, {options['rounds']} alternating rounds of {options['seconds']:g} s "
        "each, best of each, 127.0.0.1"
    )
    figures = {}
    for label, urls in harness.each_database("bench", ("bench", "peer")):
        figures[label.lower()] = _run_child(label, urls["bench"], urls["peer"], options)
    out()
    for line in _table(figures, options):
        out(line)
    if options["json"]:
        harness.write_json(options["json"], figures)
        out(f"figures written to {options['json']}")


def _run_child(label: str, database_url: str, peer_url: str, options) -> dict:
    names = ("keys", "verifications", "seconds", "rounds", "workers", "connections", "list_keys", "page_runs")
    args = harness.option_args(options, names) + (["--no-http"] if options["no_http"] else [])
    limit = 300 + 3 * 4 * options["rounds"] * options["seconds"] + options["verifications"] / 500
    env = harness.child_env(database_url, PEER_DATABASE_URL=peer_url)
    result = harness.run_child("tools.bench_auth", label, args, env, timeout=limit)
    figures, lines = harness.read_figures(label, JSON_LINE, result.stdout)
    for line in lines:
        out(line)
    return figures


def _ratio(numerator, denominator) -> str:
    return f"{numerator / denominator:.2f}×" if numerator and denominator else "—"


def _table(figures: dict, options) -> list[str]:
    """The figures of every database as a Markdown table (what docs/development/performance.md shows)."""
    labels = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    vendors = list(figures)
    big = f"{options['list_keys']:,}"

    def row(name, cell):
        return [name, *(cell(figures[v], v) for v in vendors)]

    def pages(page, keys):
        return lambda f, _v: f"{f[f'{page}_{keys}_ms']:.1f} ms, {f[f'{page}_{keys}_queries']} queries"

    rows = [
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
        rows += [
            row("authenticated `ping`, usage counted, req/s", lambda f, _v: f"{f['ping_rps']:,.0f}"),
            row(
                "the same ping, counting off (`API_USAGE_COUNTING=0`)", lambda f, _v: f"{f['ping_uncounted_rps']:,.0f}"
            ),
            row(
                "ping counted / not counted",
                lambda f, _v: _ratio(f["ping_rps"], f["ping_uncounted_rps"]),
            ),
            row("the same ping, `/metrics` on (multiprocess counting)", lambda f, _v: f"{f['ping_metrics_rps']:,.0f}"),
            row(
                "ping with metrics / without (target ≥ 0.95×)",
                lambda f, _v: _ratio(f["ping_metrics_rps"], f["ping_rps"]),
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
    rows += [
        row("key list, 10 keys", pages("list", 10)),
        row(f"key list, {big} keys (target ≤ 20 ms, queries as at 10)", pages("list", options["list_keys"])),
        row("User management, 10 keys", pages("users", 10)),
        row(f"User management, {big} keys", pages("users", options["list_keys"])),
    ]
    return harness.markdown_table(["", *(labels[v] for v in vendors)], rows)


# The child: its DATABASE_URL is the throwaway database, PEER_DATABASE_URL the peer's.


def _child(options) -> None:
    label = options["child"]
    vendor = "postgresql" if label == "PostgreSQL" else "sqlite"
    harness.migrate()
    tokens = harness.make_keys(options["keys"])
    with _PeerMeasure(options) as peer:
        (median, p90), (peer_median, peer_p90) = alternating_rounds(
            [harness.verify_round(tokens), peer.round], options["verifications"]
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
    out(
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
        out(
            f"{label}: pages at {count:,} keys: key list {measured[f'list_{count}_ms']:.1f} ms median, "
            f"{measured[f'list_{count}_queries']} queries; User management {measured[f'users_{count}_ms']:.1f} ms, "
            f"{measured[f'users_{count}_queries']} queries"
        )
    big = options["list_keys"]
    figures["list_10000_ms"], figures["list_10000_queries"] = figures[f"list_{big}_ms"], figures[f"list_{big}_queries"]
    if not options["no_http"]:
        figures.update(_http(label, tokens[len(tokens) // 2], peer["key"], options))
    harness.print_figures(JSON_LINE, figures)


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


def _metrics_pings(base: str) -> float:
    """The pings that `/metrics` of the server at `base` counted (every worker's, multiprocess)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    response = connection.getresponse()
    text = response.read().decode()
    if response.status != 200:
        raise ToolError(f"/metrics answered {response.status}")
    counted = re.findall(r'^efinance_api_requests_total\{[^}]*operation="ping"[^}]*\} ([\d.e+]+)$', text, re.M)
    return sum(float(value) for value in counted)


def _peer_url() -> str:
    url = os.environ.get("PEER_DATABASE_URL", "")
    if not url:
        raise ToolError("PEER_DATABASE_URL is not set (the parent sets it for its child)")
    return url


def _http(label: str, token: str, peer_key: str, options) -> dict:
    """Requests/s of the servers in alternating rounds; the best round of each."""
    metrics_files = tempfile.TemporaryDirectory(prefix="efinance-metrics-")
    metrics_dir = metrics_files.name
    servers = {
        "ping": (harness.PROJECT_APP, {}, PING, {"Authorization": f"Bearer {token}"}),
        "ping_uncounted": (
            harness.PROJECT_APP,
            {"API_USAGE_COUNTING": "0"},
            PING,
            {"Authorization": f"Bearer {token}"},
        ),
        # The operators' metrics on, every worker counting in the files of a directory of its own.
        "ping_metrics": (
            harness.PROJECT_APP,
            {"METRICS_ENABLED": "1", "METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": metrics_dir},
            PING,
            {"Authorization": f"Bearer {token}"},
        ),
        "peer_ping": (
            harness.DJANGO_APP,
            {"DJANGO_SETTINGS_MODULE": "tools.peer.settings", "DATABASE_URL": _peer_url()},
            PEER_PING,
            {"Authorization": f"Api-Key {peer_key}"},
        ),
        "bare": (harness.DJANGO_APP, {"DJANGO_SETTINGS_MODULE": "tools.bare"}, BARE, {}),
    }
    bases, best = {}, dict.fromkeys(servers, 0.0)
    with ExitStack() as stack:
        for name, (app, env, path, headers) in servers.items():
            serving = harness.serving(
                workers=options["workers"], env={**os.environ, **env}, app=app, path=path, headers=headers
            )
            bases[name] = stack.enter_context(serving)
        for name, (_app, _env, path, headers) in servers.items():  # each answers 200, then a warm-up
            harness.expect_status(bases[name], path, headers, 200)
            harness.requests_per_second(
                bases[name], path, headers, min(1.0, options["seconds"]), options["connections"]
            )
        # Alternating rounds, the best of each: a burst of other work on the machine then disturbs
        # every measurement alike instead of deciding the ratios.
        for _round in range(options["rounds"]):
            for name, (_app, _env, path, headers) in servers.items():
                rate = harness.requests_per_second(
                    bases[name], path, headers, options["seconds"], options["connections"]
                )
                best[name] = max(best[name], rate)
        counted = _metrics_pings(bases["ping_metrics"])
    metrics_files.cleanup()
    if not counted:
        raise ToolError("/metrics counted no ping of the server that had them on")
    ping, peer, bare, uncounted = best["ping"], best["peer_ping"], best["bare"], best["ping_uncounted"]
    with_metrics = best["ping_metrics"]
    out(
        f"{label}: HTTP authenticated ping {ping:,.0f} req/s (counting off: {uncounted:,.0f}; "
        f"metrics on: {with_metrics:,.0f}, {counted:,.0f} pings counted), "
        f"peer's ping {peer:,.0f} req/s, "
        f"trivial view {bare:,.0f} req/s: ping / peer {_ratio(ping, peer)} (target ≥ {TARGETS['ping_over_peer']}×), "
        f"ping / trivial {_ratio(ping, bare)} (target ≥ {TARGETS['ping_over_bare']}× on SQLite)"
    )
    return {
        "ping_rps": round(ping, 1),
        "ping_uncounted_rps": round(uncounted, 1),
        "ping_metrics_rps": round(with_metrics, 1),
        "peer_ping_rps": round(peer, 1),
        "bare_rps": round(bare, 1),
    }


def _page_timings(count: int, runs: int) -> dict:
    """Median ms and SQL statements of the key list and User management of an organization with
    `count` keys (of 10 users; every tenth key deleted), requested in process by its Admin user."""
    from django.test import Client

    client = Client()
    client.force_login(harness.make_page_organization(count))
    figures = {}
    with harness.plain_static_files():
        _pages(client, runs, count, figures)
    return figures


def _pages(client, runs: int, count: int, figures: dict) -> None:
    """The key list's and User management's median ms and statements (`harness.page_figures`)."""
    measured = harness.page_figures({"list": (client, KEY_LIST), "users": (client, USER_MANAGEMENT)}, runs, PAGE_ROUNDS)
    for page, (median_ms, queries) in measured.items():
        figures[f"{page}_{count}_ms"], figures[f"{page}_{count}_queries"] = median_ms, queries


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


if __name__ == "__main__":
    sys.exit(main())
