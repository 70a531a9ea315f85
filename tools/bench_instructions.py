"""Instructions per request, counted by valgrind, of the requests of `tools.bench_auth`: the project's
authenticated ping, the peer's ping (DRF + djangorestframework-api-key), the trivial view under Django's
default middleware, and the key list of an Admin user. SQLite only; the request goes through Django's
WSGI handler in process, without gunicorn or a socket (what the servers share).

    python -m tools.bench_instructions [--requests 1000] [--kinds ping,peer,bare,list]

A count of instructions does not depend on what else the machine is doing, so a change of a few
percent shows in it where the req/s of a short HTTP run cannot tell it from noise: it is how each
piece of the speed work is measured alone (docs/development/performance.md). Each kind is counted
twice under ``valgrind --tool=callgrind``, with a base number of requests and with the base plus
`--requests` (after as many of warm-up): the difference is the requests' own, without Python's start
and Django's set-up. The database is migrated and filled beforehand, outside valgrind. The hash
seed is fixed (PYTHONHASHSEED=0); what is left varies by well under 1 % between runs. A page costs
about 70 pings: the key list is counted with a tenth of the requests (20 of warm-up and base, a tenth
of `--requests` counted). Needs Debian's `valgrind`.

Each process is its own configuration: this project's production-like settings of `tools.bench_auth`
on a fresh SQLite file, `tools.peer.settings` on another, `tools.bare`.
"""

import argparse
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tools import ROOT, ToolError, harness

KINDS = {
    "ping": "the project's authenticated ping",
    "peer": "the peer's ping (DRF + djangorestframework-api-key, HasAPIKey)",
    "bare": "a trivial view with Django's default middleware",
    "list": "the key list of an Admin user of 1,000 keys (50 valid and 50 ended rows)",
}
SETTINGS = {"peer": "tools.peer.settings", "bare": "tools.bare"}  # the others: efinance.settings
DEFAULT_KINDS = "ping,peer,bare"
BASE_REQUESTS = 200
BASE_REQUESTS_OF = {"list": 20}
PAGE_KEYS = 1000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests counted (default 1,000)")
    parser.add_argument(
        "--kinds", default=DEFAULT_KINDS, help=f"comma-separated, of {', '.join(KINDS)} (default {DEFAULT_KINDS})"
    )
    parser.add_argument("--child", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", default="", help=argparse.SUPPRESS)  # with --child: fill the database
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--request", default="", help=argparse.SUPPRESS)  # the request's file
    return parser


def main(argv: list[str] | None = None) -> int:
    return harness.run_tool("bench_instructions", _parser(), argv, _run, child=_child)


def _run(options) -> None:
    kinds = [kind for kind in options["kinds"].split(",") if kind]
    if unknown := [kind for kind in kinds if kind not in KINDS]:
        raise ToolError(f"unknown kinds: {', '.join(unknown)} (known: {', '.join(KINDS)})")
    counts = _parent(options["requests"], kinds)
    requests = options["requests"]
    print(f"instructions per request, in process, SQLite (valgrind --tool=callgrind, {requests:,} requests):")
    for kind, count in counts.items():
        print(f"  {KINDS[kind]}: {count:,}")
    if {"ping", "peer", "bare"} <= set(counts):
        print(
            f"  ping / peer's ping: {counts['ping'] / counts['peer']:.2f}× the instructions; "
            f"ping / trivial view: {counts['ping'] / counts['bare']:.2f}×"
        )


def _child(options) -> None:
    """In the kind's own configuration (DJANGO_SETTINGS_MODULE is the kind's): prepare or count."""
    (_prepare if options["prepare"] else _count)(options)


def _parent(requests: int, kinds: list[str]) -> dict[str, int]:
    if shutil.which("valgrind") is None:
        raise ToolError("valgrind is not installed (Debian: apt-get install valgrind)")
    counts = {}
    with tempfile.TemporaryDirectory(prefix="efinance-instructions-") as scratch:
        for kind in kinds:
            base = BASE_REQUESTS_OF.get(kind, BASE_REQUESTS)
            counted = max(1, requests * base // BASE_REQUESTS)
            prepared = _prepared(kind, Path(scratch))
            few, many = (_instructions(kind, count, prepared, Path(scratch)) for count in (base, base + counted))
            counts[kind] = round((many - few) / counted)
    return counts


def _env(kind: str, database: Path) -> dict:
    return harness.child_env(
        f"sqlite:///{database}", PYTHONHASHSEED="0", DJANGO_SETTINGS_MODULE=SETTINGS.get(kind, "efinance.settings")
    )


def _prepared(kind: str, scratch: Path) -> tuple[dict, Path]:
    """The kind's database, migrated and filled outside valgrind, and its child's environment."""
    database, request = scratch / f"{kind}.sqlite3", scratch / f"{kind}.json"
    env = _env(kind, database)  # one set of secrets: the prepared keys' hashes are the counted children's
    harness.run_child("tools.bench_instructions", kind, ["--prepare", str(request)], env, timeout=300)
    return env, database


def _instructions(kind: str, count: int, prepared: tuple[dict, Path], scratch: Path) -> int:
    """Instructions of a whole child process that answers `count` requests (after its warm-up), on a
    copy of the prepared database."""
    env, database = prepared
    copy = scratch / f"{kind}-{count}.sqlite3"
    if database.exists():  # the trivial view's has none
        shutil.copyfile(database, copy)
    output = scratch / f"callgrind-{kind}-{count}.out"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}", sys.executable, "-m"]
    command += ["tools.bench_instructions", "--child", kind, "--count", str(count)]
    command += ["--request", str(scratch / f"{kind}.json")]
    run = subprocess.run(  # noqa: S603
        command, env={**env, "DATABASE_URL": f"sqlite:///{copy}"}, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        raise ToolError(f"the {kind} child failed ({run.returncode}): {run.stderr[-2000:]}")
    summary = re.search(r"^summary: (\d+)", output.read_text(), re.MULTILINE)
    if summary is None:
        raise ToolError(f"no summary in {output}")
    return int(summary.group(1))


def _prepare(options) -> None:
    """Migrate the kind's database, make what its request needs, and write the request to a file."""
    kind = options["child"]
    plain_static = False
    if kind != "bare":  # the trivial view reads no database (its settings name none that exists)
        harness.migrate()
    if kind == "ping":
        from tools.bench_auth import PING

        path, headers = PING, {"HTTP_AUTHORIZATION": f"Bearer {harness.make_keys(5)[2]}"}
    elif kind == "peer":
        from rest_framework_api_key.models import APIKey

        from tools.bench_auth import PEER_PING

        path, headers = PEER_PING, {"HTTP_AUTHORIZATION": f"Api-Key {APIKey.objects.create_key(name='bench')[1]}"}
    elif kind == "list":
        from django.conf import settings
        from django.contrib.sessions.models import Session
        from django.test import Client
        from django.utils import timezone

        from tools.bench_auth import KEY_LIST

        client = Client()
        client.force_login(harness.make_page_organization(PAGE_KEYS))
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        # Under valgrind the counted requests may start long after this: the session must not have
        # ended by then (each request extends it again).
        Session.objects.filter(pk=session).update(expire_date=timezone.now() + timezone.timedelta(days=1))
        path, headers = KEY_LIST, {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={session}"}
        plain_static = True
    else:
        from tools.bench_auth import BARE

        path, headers = BARE, {}
    Path(options["prepare"]).write_text(json.dumps({"path": path, "headers": headers, "plain_static": plain_static}))


def _count(options) -> None:
    """The kind's request, as many times as its warm-up and then `--count` times."""
    from django.core.handlers.wsgi import WSGIHandler

    request = json.loads(Path(options["request"]).read_text())
    if request["plain_static"]:
        harness.plain_static_files().enable()  # for the whole process, which ends after the requests
    handler = WSGIHandler()
    for _number in range(BASE_REQUESTS_OF.get(options["child"], BASE_REQUESTS) + options["count"]):
        _request(handler, request["path"], request["headers"])


def _request(handler, path: str, headers: dict) -> None:
    statuses = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "HTTP_ACCEPT": "*/*",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }
    response = handler(environ, lambda status, _headers, _exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()
    if statuses != ["200 OK"]:
        raise SystemExit(f"{path} answered {statuses}")


if __name__ == "__main__":
    sys.exit(main())
