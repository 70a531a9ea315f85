"""No log record ever holds a token, and a token in an API URL is refused and noted.

The attacker's (or the careless integrator's) view: a token sent in a query string, in the path, in
a header, in a body that an error echoes, in a request line that gunicorn cannot parse. Every line
that every handler writes is read — Django's own console handler (the app, `django.request`, the
development server's `django.server`) and gunicorn's error and access logs with
`deploy/gunicorn-logging.json` — and holds no token; access lines have no query strings.
"""

import base64
import contextlib
import http.client
import io
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings

from apikeys import tokens
from apikeys.models import Api
from audit.models import Action, AuditEvent
from efinance.lib.logging import REDACTED, DropQueryStringFilter, RedactFilter
from tests.conftest import flip_last
from tools import ROOT, harness

PING = "/api/billing-int/v1/ping"


def _unknown_token() -> str:
    return tokens.build_token(Api.INTEGRATION, tokens.new_key_id(), tokens.new_secret())


def _every_handler():
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in logging.root.manager.loggerDict)]
    for logger in loggers:
        yield from getattr(logger, "handlers", [])


def test_every_configured_handler_redacts_tokens():
    configured = [
        handler
        for handler in _every_handler()
        if handler.__class__.__module__.startswith("logging") and not isinstance(handler, logging.NullHandler)
    ]
    assert configured
    for handler in configured:
        assert any(isinstance(f, RedactFilter) for f in handler.filters), handler
        assert any(isinstance(f, DropQueryStringFilter) for f in handler.filters), handler
    assert settings.LOGGING["handlers"].keys() == {"console"}  # a new handler must be added here too


@pytest.fixture
def console():
    """What the configured console handler (settings.LOGGING) writes, as text."""
    [handler] = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler) and h.filters]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.parametrize("where", ["query", "path", "header", "body", "exception"])
def test_no_django_log_line_holds_a_token(client, alice_key, console, where):
    _key, token = alice_key
    if where == "query":
        client.get(f"{PING}?api_key={token}")
    elif where == "path":
        client.get(f"/api/billing-int/v1/{token}")
    elif where == "header":
        client.get(PING, HTTP_AUTHORIZATION=f"Bearer {flip_last(token)}", HTTP_X_API_KEY=token)
    elif where == "body":
        client.post("/api/billing-int/v1/documents", f'{{"x": "{token}"', content_type="application/json")
    else:
        logging.getLogger("billing.api").exception("failed with %s", token, exc_info=ValueError(token))
    err = console.getvalue()
    assert err  # something was logged
    assert not tokens.TOKEN_SEARCH_RE.search(err), err


@pytest.mark.parametrize("form", range(3))
def test_the_filter_redacts_a_token_written_percent_encoded(form):
    token = _unknown_token()
    written = _percent_encoded(token)[form]
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, 'GET /api/%s HTTP/1.1" 400', (written,), None
    )
    RedactFilter().filter(record)
    assert record.getMessage() == f'GET /api/{REDACTED} HTTP/1.1" 400'


def test_the_filter_leaves_what_only_looks_alike():
    token = _unknown_token()
    for text in (token[:-1], token.replace("_", "%5G"), token.replace("_", "-")):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "saw %s", (text,), None)
        RedactFilter().filter(record)
        assert record.getMessage() == f"saw {text}"


def test_the_filter_redacts_message_arguments_extras_and_exceptions():
    token = _unknown_token()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "got %s", (token,), None)
    record.path = f"/api/{token}"
    try:
        raise ValueError(token)
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert token not in formatted and token not in record.path
    assert REDACTED in formatted


@pytest.mark.parametrize("where", ["query", "path"])
def test_a_real_token_in_a_url_is_refused_and_recorded_on_the_keys_activity(client, alice_key, where):
    key, token = alice_key
    url = f"{PING}?api_key={token}" if where == "query" else f"/api/billing-int/v1/keys/{token}"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "urn:efinance:problem:token-in-url"
    assert "Never put an API key in a URL" in problem["detail"]
    assert token not in response.content.decode()
    [entry] = AuditEvent.objects.filter(action=Action.KEY_IN_URL)
    assert (entry.key_id, entry.organization_id, entry.details["where"]) == (key.key_id, key.organization_id, where)
    client.get(url)  # once an hour per key, not once per request
    assert AuditEvent.objects.filter(action=Action.KEY_IN_URL).count() == 1


def test_the_activity_page_shows_the_exposure(client, alice_key, alice_client):
    _key, token = alice_key
    client.get(f"{PING}?api_key={token}")
    assert "query string of a URL" in alice_client.get("/administration/activity/").content.decode()


@pytest.mark.parametrize("kind", ["unknown key", "wrong secret", "wrong checksum", "percent-encoded"])
def test_a_token_shaped_string_only_answers_the_problem(client, alice_key, kind):
    _key, token = alice_key
    parsed = tokens.parse_token(token)
    fakes = {
        "unknown key": _unknown_token(),
        "wrong secret": tokens.build_token(parsed.api, parsed.key_id, tokens.new_secret()),
        "wrong checksum": flip_last(token),
        "percent-encoded": token.replace("_", "%5F"),
    }
    response = client.get(f"{PING}?q={fakes[kind]}")
    assert response.status_code == 400
    assert response.json()["type"] == "urn:efinance:problem:token-in-url"
    recorded = AuditEvent.objects.filter(action=Action.KEY_IN_URL).count()
    assert recorded == (1 if kind == "percent-encoded" else 0)


# --- gunicorn with deploy/gunicorn-logging.json, and the development server: every line read. -------


def _raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.recv(65536)


def _attack(port: int, token: str) -> None:
    def get(path, headers=None, method="GET", body=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(method, path, body=body, headers=headers or {})
        connection.getresponse().read()
        connection.close()

    get(f"{PING}?api_key={token}")
    get(f"/api/billing-int/v1/{token}")
    get(f"/administration/?next={token}")
    get(PING, {"Authorization": f"Bearer {token}x", "X-Api-Key": token, "Referer": f"https://x.example/?k={token}"})
    get(
        "/api/billing-int/v1/documents",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        "POST",
        f'{{"invoice_number": "{token}"',
    )
    for written in _percent_encoded(token):  # as a client may write it into a URL, and the server logs it
        get(f"/api/billing-int/v1/{written}")
        get(f"/healthz/{written}")
    _raw(port, f"GET /{token} HTTP/1.1 junk\r\n\r\n".encode())  # a request line gunicorn refuses
    _raw(port, f"GET /{token}\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())


def _server_env(tmp_path) -> dict:
    return {
        **os.environ,
        "ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_PEPPER": secrets.token_urlsafe(50),
        "OTP_ENCRYPTION_KEY": secrets.token_urlsafe(50),
        "REPORT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "DEBUG",
    }


def _migrate(env) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True, capture_output=True)


def _percent_encoded(token: str) -> list[str]:
    """The token with its underscores encoded (either case of hex), and with every character encoded."""
    return [
        token.replace("_", "%5F"),
        token.replace("_", "%5f"),
        "".join(f"%{ord(character):02X}" for character in token),
    ]


def _assert_clean(log: str, token: str) -> None:
    assert log.count("\n") >= 5, log
    assert token not in log and not tokens.TOKEN_SEARCH_RE.search(log), log
    assert not tokens.TOKEN_LOG_SEARCH_RE.search(log), log
    assert not [written for written in _percent_encoded(token) if written in log], log
    for line in log.splitlines():
        if '"GET /api/' in line or "GET /api/" in line:
            assert "?" not in line.split("GET ", 1)[1].split(" ", 1)[0], line


def test_gunicorn_logs_hold_no_token_and_no_query_string(tmp_path):
    env = _server_env(tmp_path)
    _migrate(env)
    port = harness.free_port()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = harness.start_gunicorn(
            port, workers=1, env=env, log=log, log_config=ROOT / "deploy" / "gunicorn-logging.json"
        )
        try:
            harness.wait_until_up(port, server)
            _attack(port, _unknown_token())
            token = _unknown_token()
            _attack(port, token)
        finally:
            harness.stop_gunicorn(server)
    text = log_path.read_text()
    _assert_clean(text, token)
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "gunicorn.access" for line in lines)  # the access log is on, and clean
    assert any(line["logger"] == "gunicorn.error" for line in lines)


def test_the_development_server_log_holds_no_token(tmp_path):
    env = {**_server_env(tmp_path), "DEBUG": "1", "LOG_FORMAT": "keyvalue"}
    _migrate(env)
    port = harness.free_port()
    log_path = tmp_path / "runserver.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            harness.wait_until_up(port, server)
            token = _unknown_token()
            _attack(port, token)
            time.sleep(0.2)  # the server writes its last lines after answering (not a timing assertion)
        finally:
            harness.stop_gunicorn(server)
    text = log_path.read_text()
    assert "django.server" in text
    _assert_clean(text, token)
