"""The token of a set-password link never reaches a log line: the development server's and gunicorn's
access lines (with the shipped deploy/gunicorn-logging.json) show the link's path with the token redacted."""

import http.client
import os
import subprocess
import sys
import time

import pytest

from efinance.lib.logging import redact_links
from tools import ROOT
from tools.harness import free_port

# A link of the shape the e-mail carries (Django's token: a base36 time stamp, a dash, 32 hex digits). The
# user ID does not decode, so that the servers answer «no longer valid» without needing a database.
TOKEN = "cjz4kq-8f14e45fceea167a5a36dedd4bea2543"
LINK = f"/accounts/set-password/zz/{TOKEN}/"


def _environment(tmp_path) -> dict:
    return {
        **os.environ,
        "ENV_FILE": "",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }


def _serve_and_get(command, tmp_path, port) -> tuple[int, str]:
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=_environment(tmp_path), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603
        try:
            deadline, status = time.monotonic() + 60, None
            while time.monotonic() < deadline and status is None:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", LINK)
                    status = connection.getresponse().status
                except OSError:
                    assert server.poll() is None, log.read_text()[-3000:]
                    time.sleep(0.2)
            time.sleep(0.5)  # the access line is written after the answer
        finally:
            server.terminate()
            server.wait(timeout=20)
    return status, log.read_text()


@pytest.mark.parametrize("server", ["runserver", "gunicorn"])
def test_the_access_line_of_a_set_password_link_holds_no_token(tmp_path, server):
    port = free_port()
    if server == "runserver":
        command = [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"]
    else:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "efinance.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
            "--no-control-socket",
            "--log-config-json=deploy/gunicorn-logging.json",
        ]
    status, output = _serve_and_get(command, tmp_path, port)
    assert status == 200, output[-3000:]
    assert "/accounts/set-password/zz/[redacted]/" in output  # the access line is there, without the token
    assert TOKEN not in output
    assert TOKEN[7:] not in output


def test_redaction_keeps_the_path_after_the_redirect_and_everything_else():
    assert redact_links(f'"GET {LINK} HTTP/1.1" 302 0') == '"GET /accounts/set-password/zz/[redacted]/ HTTP/1.1" 302 0'
    after = "/accounts/set-password/MQ/set-password/"
    assert redact_links(after) == after
    assert redact_links("/administration/keys/") == "/administration/keys/"
