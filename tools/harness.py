"""The scaffolding that the tools share: one way to start a tool, make its throwaway databases, run
its child processes, set Django up in them, serve the project under gunicorn, load it with wrk, and
print or write the figures.

A tool is a module of `tools` run from the checkout root (``python -m tools.<name>``) whose `main`
hands its parser and its work to `run_tool`. A measurement that must not share a process with
another (a database per vendor, a configuration of its own, valgrind) runs the same module again as
a child (`run_child`), with an environment made by `child_env`, on databases made by
`each_database`; the child reports its figures on a line of their own (`print_figures`), which the
parent reads back (`read_figures`).

Nothing here is imported by the product: pyproject's package list leaves `tools` out.
"""

import argparse
import base64
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tools import ROOT, ToolError

# -- starting a tool ------------------------------------------------------------------------------


def run_tool(
    prog: str,
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    run: Callable[[dict], int | None],
    child: Callable[[dict], int | None] | None = None,
    django_in_parent: bool = False,
) -> int:
    """Parse `argv`, then `child(options)` when the hidden option ``--child`` is given, else
    `run(options)`, with Django set up (unless a test has already; for `run` only when
    `django_in_parent`): the answer, 0 for None, or 1 with ``<prog>: error: …`` on stderr when it
    raises `ToolError`."""
    options = vars(parser.parse_args(argv))
    as_child = child is not None and bool(options.get("child"))
    if as_child or django_in_parent:
        setup_django()
    try:
        return (child if as_child else run)(options) or 0
    except ToolError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1


def setup_django(settings: str = "efinance.settings") -> None:
    """Django set up with `settings`, unless DJANGO_SETTINGS_MODULE names others or it is set up already."""
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    if not apps.ready:
        django.setup()


def out(line: str = "") -> None:
    """One line on stdout, at once (a parent reads it while the child still runs)."""
    print(line, flush=True)


# -- throwaway databases ---------------------------------------------------------------------------

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "pgsql://")


def postgres_url() -> str:
    """DATABASE_URL when it names a PostgreSQL server, else ''."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(POSTGRES_SCHEMES) else ""


# A throwaway database of a tool (`temporary_postgres_database`) has this in its name.
THROWAWAY_MARK = "_bench_"


@contextmanager
def temporary_postgres_database(database_url: str, purpose: str) -> Iterator[str]:
    """The URL of a database beside the one `database_url` names, created on entry and dropped on exit."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/') or 'postgres'}{THROWAWAY_MARK}{purpose}_{os.getpid()}"

    def execute(statement: str) -> None:
        with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(name)))

    execute("CREATE DATABASE {}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")


@contextmanager
def temporary_sqlite_databases(purpose: str, names: Sequence[str] = ("bench",)) -> Iterator[dict[str, str]]:
    """{name: URL} of SQLite files in a temporary folder (never db.sqlite3), removed on exit."""
    with tempfile.TemporaryDirectory(prefix=f"efinance-{purpose}-") as workdir:
        yield {name: f"sqlite:///{Path(workdir) / f'{name}.sqlite3'}" for name in names}


def each_database(purpose: str, names: Sequence[str] = ("bench",)) -> Iterator[tuple[str, dict[str, str]]]:
    """("SQLite", {name: URL}) with a temporary SQLite file per name, then, when DATABASE_URL names a
    PostgreSQL server, ("PostgreSQL", {name: URL}) with a temporary database per name beside it. Each
    vendor's databases are removed before the next vendor's are made."""
    with temporary_sqlite_databases(purpose, names) as made:
        yield "SQLite", made
    server = postgres_url()
    if server:
        with ExitStack() as stack:
            made = {name: stack.enter_context(temporary_postgres_database(server, name)) for name in names}
            yield "PostgreSQL", made


# -- child processes -------------------------------------------------------------------------------

# What a server on the loopback needs: plain HTTP (TLS is the proxy's job), warnings only.
LOOPBACK = {
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
    "PYTHONUNBUFFERED": "1",
}


def loopback_env(**extra: str) -> dict:
    """This process's environment for a server on the loopback (`LOOPBACK`), with `extra`."""
    return {**os.environ, **LOOPBACK, **extra}


def child_env(database_url: str, **extra: str) -> dict:
    """A production-like configuration (DEBUG off, no .env) with throwaway secrets on `database_url`,
    for a child and the servers it starts."""
    production_like = {
        "ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "efinance.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_PEPPER": secrets.token_urlsafe(50),
        "OTP_ENCRYPTION_KEY": secrets.token_urlsafe(50),
        "REPORT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    return loopback_env(**{**production_like, **extra})


def option_args(options: dict, names: Sequence[str]) -> list[str]:
    """``--name value`` for each of `names` (``list_keys`` as ``--list-keys``), to hand options to a child."""
    args = []
    for name in names:
        args += [f"--{name.replace('_', '-')}", str(options[name])]
    return args


def run_child(
    module: str,
    label: str,
    args: Sequence[str],
    env: dict,
    timeout: float,
    exit_codes: Collection[int] = (0,),
) -> subprocess.CompletedProcess:
    """``python -m <module> --child <label> <args>`` from the checkout root, its output captured;
    ToolError with the end of its output when it exits with a code not in `exit_codes`."""
    command = [sys.executable, "-m", module, "--child", label, *args]
    result = subprocess.run(  # noqa: S603 (this interpreter, a module of tools)
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
    )
    if result.returncode not in exit_codes:
        raise ToolError(f"{label}: the benchmark failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def print_figures(prefix: str, figures: dict) -> None:
    """The child's figures, one JSON line after `prefix`."""
    out(prefix + json.dumps(figures))


def read_figures(label: str, prefix: str, stdout: str) -> tuple[dict, list[str]]:
    """The one figures line of a child's `stdout`, and its other lines."""
    lines = stdout.rstrip().splitlines()
    figures = [json.loads(line.removeprefix(prefix)) for line in lines if line.startswith(prefix)]
    if len(figures) != 1:
        raise ToolError(f"{label}: the child printed no figures")
    return figures[0], [line for line in lines if not line.startswith(prefix)]


def write_json(path: str | Path, data) -> None:
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


# -- Django in a child -----------------------------------------------------------------------------


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_keys(count: int) -> list[str]:
    """`count` valid integration keys of one user, written in one bulk INSERT; answers their tokens."""
    from django.utils import timezone

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


def make_page_organization(count: int):
    """An organization with `count` keys of 10 users (every tenth key deleted), on a table as
    autovacuum leaves it; answers its Admin user."""
    from django.utils import timezone

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
    analyze(ApiKey)
    return admin


# Row triggers that a COPY into a throwaway database may skip, by table. The key table's insert guard
# refuses a row whose ID, key ID, secret hash or form nonce is taken: the unique indexes refuse the
# same rows of a plain INSERT or COPY; the guard is there for the upserts (``ON CONFLICT DO UPDATE``)
# that would otherwise rewrite a key, and COPY never upserts. Fired per row, its lookup made a load of
# 1,000,000 keys on PostgreSQL take hours (19,500 keys: 43 s, against 2 s on SQLite).
COPY_SKIPS = {"apikeys_apikey": ("apikeys_guard_insert",)}


def bulk_insert(model, columns: Sequence[str], rows: Iterable[Sequence], batch: int = 5000) -> None:
    """`rows` of `model` written in bulk, a million in seconds where `bulk_create` takes minutes: COPY
    on PostgreSQL, `executemany` in one transaction on SQLite. `columns` name the fields given (their
    attnames: ``user_id``), `rows` their Python values, in that order; every other column gets its
    field's default (the database's own where the field has one, the ID its sequence). The rows pass
    the database's constraints and triggers as any INSERT does, but for the triggers of `COPY_SKIPS`
    in a throwaway database of PostgreSQL: switched off (``ALTER TABLE … DISABLE TRIGGER``, which
    the benchmark's role may do as the owner of the tables it migrated) for the COPY alone, in its
    transaction, so that they are on again when it commits or fails. Never in another database."""
    from django.db import connection, transaction
    from django.db.models import NOT_PROVIDED

    fields = {field.attname: field for field in model._meta.concrete_fields}
    given = [fields[name] for name in columns]
    rest = [
        field
        for field in fields.values()
        if field.attname not in columns and not field.primary_key and field.db_default is NOT_PROVIDED
    ]
    defaults = [field.get_db_prep_save(field.get_default(), connection) for field in rest]
    names = ", ".join(connection.ops.quote_name(field.column) for field in given + rest)
    table = connection.ops.quote_name(model._meta.db_table)

    def prepared() -> Iterator[list]:
        for row in rows:
            yield [
                field.get_db_prep_save(value, connection) for field, value in zip(given, row, strict=True)
            ] + defaults

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            skipped = COPY_SKIPS.get(model._meta.db_table, ()) if _throwaway(connection) else ()
            for trigger in skipped:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {connection.ops.quote_name(trigger)}")
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in prepared():
                    copy.write_row(row)
            if skipped:  # the foreign keys' deferred checks now: ALTER TABLE waits for no pending one
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for trigger in skipped:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {connection.ops.quote_name(trigger)}")
        else:
            placeholders = ", ".join(["%s"] * (len(given) + len(rest)))
            statement = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608 (the model's names)
            pending = prepared()
            while chunk := list(itertools.islice(pending, batch)):
                cursor.executemany(statement, chunk)


def _throwaway(connection) -> bool:
    return THROWAWAY_MARK in connection.settings_dict["NAME"]


def analyze(*models) -> None:
    """The tables of `models` as the database leaves them in production once it has seen their rows.
    PostgreSQL's autovacuum analyses them: without the planner's statistics it plans a table that has
    just grown by thousands of rows as if it were empty (a sort of every ended key, 7 ms, instead of
    the index's order, 0.25 ms), and without the visibility map its index-only scans read the table
    too. SQLite keeps statistics only when told (`ANALYZE`), which nothing in production does: left
    as it is. (Its averages would mislead it besides: «not deleted» reads as rare when each deleted
    key has a time of its own, and the key list then sorted every valid key: `tools.bench_scale`.)"""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def plain_static_files():
    """The plain static files storage, as `override_settings` (a context manager, or `.enable()`): the
    hashed names of collectstatic's manifest are not there in a checkout, and the plain storage
    answers the same URLs without it."""
    from django.conf import settings
    from django.test import override_settings

    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    return override_settings(STORAGES=plain)


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    """The SQL of every statement run inside, through `connection.execute_wrapper` (which sees them
    in any mode, DEBUG or not)."""
    from django.db import connection

    statements: list[str] = []

    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield statements


def page_figures(pages: dict, runs: int, rounds: int = 5) -> dict[str, tuple[float, int]]:
    """{name: (median ms, SQL statements)} of each of `pages` ({name: (test Client, path)}), requested in
    process: the statements counted in a request of their own after a warm-up (templates, statement
    cache), the median in `rounds` rounds that take turns (`tools.rounds`: a burst of other work spoils
    a round, not the figure), `runs` requests a round; the best round's median counts."""
    from tools.rounds import alternating_rounds

    queries = {}
    for name, (client, path) in pages.items():
        get_page(client, path)
        with counted_statements() as statements:
            get_page(client, path)
        queries[name] = len(statements)

    def round_of(client, path):
        def timings(number: int) -> list[float]:
            measured = []
            for _run in range(number):
                start = time.perf_counter_ns()
                get_page(client, path)
                measured.append((time.perf_counter_ns() - start) / 1e3)
            return measured

        return timings

    results = alternating_rounds([round_of(*page) for page in pages.values()], runs * rounds, rounds)
    return {name: (round(median / 1e3, 2), queries[name]) for name, (median, _p90) in zip(pages, results, strict=True)}


def get_page(client, path: str) -> None:
    """GET `path` with the test `client`, read to its end; ToolError unless it answers 200."""
    response = client.get(path)
    if response.status_code != 200:
        raise ToolError(f"GET {path} answered {response.status_code}")
    if response.streaming:
        for _chunk in response.streaming_content:
            pass


def verify_round(tokens: Sequence[str]) -> Callable[[int], list[float]]:
    """A function that times `count` verifications of valid integration tokens (µs each), cycling
    through a sample of `tokens` (warmed up first: connection, statement cache)."""
    from apikeys.models import Api, ApiKey

    sample = tokens[:: max(1, len(tokens) // 100)]
    verify = ApiKey.objects.verify_token
    for token in sample:
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


# -- the project under gunicorn ---------------------------------------------------------------------

PROJECT_APP = "efinance.wsgi:application"
# Any other Django project (tools.peer, tools.bare): its settings module from DJANGO_SETTINGS_MODULE.
DJANGO_APP = "django.core.wsgi:get_wsgi_application()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int,
    *,
    workers: int,
    env: dict | None = None,
    log=subprocess.DEVNULL,
    app: str = PROJECT_APP,
    log_config=None,
) -> subprocess.Popen:
    """gunicorn with `workers` workers on 127.0.0.1:`port` serving `app`; `env` defaults to this process's.
    With `log_config` (deploy/gunicorn-logging.json) its logging as in production, access log included."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--no-control-socket",
        "--timeout=30",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    if log_config is not None:
        command[-1] = "--log-level=info"
        command.append(f"--log-config-json={log_config}")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603


def wait_until_up(
    port: int, server: subprocess.Popen, seconds: float = 30, path: str = "/healthz", headers: dict | None = None
) -> None:
    """Until `path` answers 200 (/healthz: the app and its database are up); ToolError after `seconds`."""
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        if server.poll() is not None:
            raise ToolError(f"gunicorn on port {port} exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path, headers=headers or {})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    stop_gunicorn(server)
    raise ToolError(f"gunicorn on port {port} did not answer {path} within {seconds:.0f} s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    """SIGTERM to the server's own process ID, then a kill after 15 s."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def serving(
    *, workers: int, env: dict | None = None, app: str = PROJECT_APP, path: str = "/healthz", headers=None
) -> Iterator[str]:
    """gunicorn on a free port until `path` answers 200; answers its base URL; stopped on exit."""
    port = free_port()
    server = start_gunicorn(port, workers=workers, env=env, app=app)
    try:
        wait_until_up(port, server, path=path, headers=headers)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_gunicorn(server)


# -- load -----------------------------------------------------------------------------------------


def expect_status(base: str, path: str, headers: dict, status: int) -> None:
    """GET `path` answers `status`, or ToolError with the start of the body."""
    connection = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != status:
        raise ToolError(f"GET {path} answered {response.status}, not {status}: {body[:300]!r}")


def load_generator() -> str:
    return "wrk" if shutil.which("wrk") else "Python threads (wrk is not installed)"


def requests_per_second(base: str, path: str, headers: dict, seconds: float, connections: int) -> float:
    """Requests per second of GET `path` by wrk (or, without it, a pool of Python threads, whose own
    cost then dominates); any answer but 2xx/3xx is a ToolError."""
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


# -- tables ---------------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The lines of a Markdown table (what the docs show)."""

    def line(cells: Sequence[str]) -> str:
        return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"

    return [line(header), line(["---"] * len(header)), *(line(row) for row in rows)]


# -- the yardsticks' settings -----------------------------------------------------------------------

# What `django-admin startproject` writes, for the peer and the trivial view (`tools.peer`, `tools.bare`).
STARTPROJECT_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
