"""Instructions per request, counted by valgrind, of the three requests of `tools.bench_auth`'s HTTP
rounds: the project's authenticated ping, the peer's ping (DRF + djangorestframework-api-key), and the
trivial view under Django's default middleware. SQLite only; the request goes through Django's WSGI
handler in process, without gunicorn or a socket (what the three servers share).

    python -m tools.bench_instructions [--requests 1000]

A count of instructions does not depend on what else the machine is doing, so a change of a few
percent shows in it where the req/s of a short HTTP run cannot tell it from noise. Each request is
counted twice under ``valgrind --tool=callgrind``, with 200 requests and with 200 + `--requests`
(after 200 of warm-up each): the difference is the requests' own, without Python's start and
Django's set-up. The hash seed is fixed (PYTHONHASHSEED=0); what is left varies by about 1 % between
runs. Needs Debian's `valgrind`; takes about a minute per request kind.

Each process is its own configuration: this project's production-like settings of `tools.bench_auth`
on a fresh SQLite file, `tools.peer.settings` on another, `tools.bare`.
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tools import ROOT, ToolError, harness

BASE_REQUESTS = 200
KINDS = {
    "ping": "the project's authenticated ping",
    "peer": "the peer's ping (DRF + djangorestframework-api-key, HasAPIKey)",
    "bare": "a trivial view with Django's default middleware",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests counted (default 1,000)")
    parser.add_argument("--child", choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        _child(options.child, options.count)
        return 0
    try:
        counts = _parent(options.requests)
    except ToolError as error:
        print(f"bench_instructions: {error}", file=sys.stderr)
        return 1
    print(f"instructions per request, in process, SQLite (valgrind --tool=callgrind, {options.requests:,} requests):")
    for kind, count in counts.items():
        print(f"  {KINDS[kind]}: {count:,}")
    print(
        f"  ping / peer's ping: {counts['ping'] / counts['peer']:.2f}× the instructions; "
        f"ping / trivial view: {counts['ping'] / counts['bare']:.2f}×"
    )
    return 0


def _parent(requests: int) -> dict[str, int]:
    if shutil.which("valgrind") is None:
        raise ToolError("valgrind is not installed (Debian: apt-get install valgrind)")
    counts = {}
    with tempfile.TemporaryDirectory(prefix="efinance-instructions-") as scratch:
        for kind in KINDS:
            few, many = (
                _instructions(kind, count, Path(scratch)) for count in (BASE_REQUESTS, BASE_REQUESTS + requests)
            )
            counts[kind] = round((many - few) / requests)
    return counts


def _instructions(kind: str, count: int, scratch: Path) -> int:
    """Instructions of a whole child process that answers `count` requests (after its warm-up)."""
    database = scratch / f"{kind}-{count}.sqlite3"
    env = harness.child_env(f"sqlite:///{database}", PYTHONHASHSEED="0")
    if kind == "peer":
        env["DJANGO_SETTINGS_MODULE"] = "tools.peer.settings"
    elif kind == "bare":
        env["DJANGO_SETTINGS_MODULE"] = "tools.bare"
    output = scratch / f"callgrind-{kind}-{count}.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={output}",
        sys.executable,
        "-m",
        "tools.bench_instructions",
        "--child",
        kind,
        "--count",
        str(count),
    ]
    run = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if run.returncode != 0:
        raise ToolError(f"the {kind} child failed ({run.returncode}): {run.stderr[-2000:]}")
    summary = re.search(r"^summary: (\d+)", output.read_text(), re.MULTILINE)
    if summary is None:
        raise ToolError(f"no summary in {output}")
    return int(summary.group(1))


def _child(kind: str, count: int) -> None:
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    if kind != "bare":  # the trivial view reads no database (its settings name none that exists)
        harness.migrate()
    if kind == "ping":
        from tools.bench_auth import PING

        path, headers = PING, {"HTTP_AUTHORIZATION": f"Bearer {harness.make_keys(5)[2]}"}
    elif kind == "peer":
        from rest_framework_api_key.models import APIKey

        from tools.bench_auth import PEER_PING

        path, headers = PEER_PING, {"HTTP_AUTHORIZATION": f"Api-Key {APIKey.objects.create_key(name='bench')[1]}"}
    else:
        from tools.bench_auth import BARE

        path, headers = BARE, {}
    handler = WSGIHandler()
    for _number in range(200):
        _request(handler, path, headers)
    for _number in range(count):
        _request(handler, path, headers)


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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "efinance.settings")
    sys.exit(main())
