"""`/metrics` (efinance.lib.metrics): off and invisible by default; when on, only for the operators'
token or networks; it counts what it was told, and holds no key ID, user or address."""

import os
import subprocess
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from efinance.lib import metrics
from users.mail import notify

TOKEN = "m" * 40
URL = "/metrics"


@pytest.fixture
def enabled(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def _scrape(**headers) -> str:
    response = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response.content.decode()


def _value(body: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    line_start = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in body.splitlines():
        if line.startswith(line_start):
            return float(line.split()[-1])
    return 0.0


def test_it_does_not_exist_while_off(db):
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@pytest.mark.parametrize(
    "header", [None, "Bearer", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", f"bearer {TOKEN}"]
)
def test_it_refuses_without_the_token(db, enabled, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get(URL, **extra)
    assert response.status_code == 403
    assert b"efinance_" not in response.content


def test_an_allowed_network_may_read_it_without_the_token(db, settings):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN = True, ""
    settings.METRICS_ALLOWED_NETWORKS = ["192.0.2.0/24"]
    assert Client(REMOTE_ADDR="192.0.2.7").get(URL).status_code == 200
    assert Client(REMOTE_ADDR="198.51.100.7").get(URL).status_code == 403


def test_with_neither_token_nor_networks_nobody_reads_it(db, settings):
    settings.METRICS_ENABLED, settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = True, "", []
    assert Client(REMOTE_ADDR="127.0.0.1").get(URL).status_code == 403


def test_it_counts_logins_and_failed_logins(db, enabled, alice):
    before = _scrape()
    alice.set_password("right-password-2026")
    alice.save()
    assert Client().post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    Client().post("/accounts/login/", {"username": "alice", "password": "right-password-2026"})
    after = _scrape()
    for result in ("failed", "success"):
        name = "efinance_logins_total"
        assert _value(after, name, result=result) == _value(before, name, result=result) + 1


def test_it_shows_the_outbox_backlog_and_its_oldest_message(db, enabled, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify([alice], "set_password_link", {"link": "https://example.invalid/x", "days": 3})
    body = _scrape()
    assert _value(body, "efinance_outbox_backlog") >= 1
    assert _value(body, "efinance_outbox_oldest_age_seconds") >= 0
    assert "set_password_link" not in body and alice.email not in body and not mail.outbox


def test_it_shows_the_last_reminder_run(db, enabled):
    call_command("send_expiry_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    body = _scrape()
    assert _value(body, "efinance_reminder_last_run_timestamp_seconds") > 1.7e9
    assert "efinance_reminder_last_run_messages" in body


def test_it_holds_no_key_id_user_or_address(db, enabled, alice, alice_key):
    key, token = alice_key
    client = Client(REMOTE_ADDR="203.0.113.77")
    client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token[:-3]}xyz")
    Client(REMOTE_ADDR="203.0.113.78").post("/accounts/login/", {"username": "alice", "password": "wrong"})
    body = _scrape()
    for private in (key.key_id, token, "alice", "bob", "203.0.113.77", "203.0.113.78", "Demo AG"):
        assert private not in body


def test_counting_is_a_no_op_while_off(db, settings):
    settings.METRICS_ENABLED = False
    assert metrics.metrics() is None
    metrics.count_login("success")  # nothing to count in, nothing raised


def test_it_counts_api_requests_by_api_operation_and_outcome(db, enabled, alice_key):
    _key, token = alice_key
    before = _scrape()
    client = Client()
    for _ in range(3):
        assert client.get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get("/api/billing-int/v1/documents", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    client.get("/api/billing/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}")  # a test key in production: refused
    client.get("/api/billing-int/v1/ping")  # no key at all
    after = _scrape()
    name = "efinance_api_requests_total"

    def grew(**labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew(api="integration", operation="ping", outcome="answered") == 3
    assert grew(api="integration", operation="documents_list", outcome="answered") == 1
    assert grew(api="production", operation="ping", outcome="auth_refused") == 1
    assert grew(api="integration", operation="ping", outcome="auth_refused") == 1
    refusals = [line for line in after.splitlines() if line.startswith("efinance_api_auth_refusals_total{")]
    assert any('api="production"' in line and 'reason="wrong_api"' in line for line in refusals), refusals
    assert any('api="integration"' in line and 'reason="missing"' in line for line in refusals), refusals
    count = "efinance_api_request_duration_seconds_count"
    assert (
        _value(after, count, api="integration", operation="ping")
        - _value(before, count, api="integration", operation="ping")
        == 4
    )


COUNT_ONE_LOGIN = "from efinance.lib.metrics import count_login; count_login('success')"
# Without the outbox's collector, which reads a database this process has none of.
SCRAPE = "from efinance.lib import metrics; metrics.SCRAPE_COLLECTORS.clear(); print(metrics.exposition()[0].decode())"


def _in_a_process(code: str, directory) -> str:
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "METRICS_ENABLED": "1"}
    command = [sys.executable, "manage.py", "shell", "-c", code]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True, timeout=120)  # noqa: S603
    return done.stdout


def test_every_worker_counts_in_multiprocess_mode(tmp_path):
    """Two processes (two gunicorn workers) count; a third reads the sum of both."""
    for _ in range(2):
        _in_a_process(COUNT_ONE_LOGIN, tmp_path)
    assert _value(_in_a_process(SCRAPE, tmp_path), "efinance_logins_total", result="success") == 2
