"""The database settings the benchmark called for: prepared statements on PostgreSQL (off for a pooler in
transaction mode), no health check before each request, and a broken connection replaced after one 503."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from apikeys import sql
from apikeys.models import Api, ApiKey

BASE_DIR = Path(__file__).resolve().parents[2]
ON_POSTGRES = connection.vendor == "postgresql"


def _database_settings(**env) -> dict:
    """settings.DATABASES["default"] as a fresh process reads it from this environment (no connection)."""
    clean = {name: value for name, value in os.environ.items() if name != "DATABASE_PREPARED_STATEMENTS"}
    clean.update(ENV_FILE="", DEBUG="1", DJANGO_SETTINGS_MODULE="efinance.settings", **env)
    code = "import json, django; django.setup(); from django.conf import settings; "
    code += "print(json.dumps(settings.DATABASES['default'], default=str))"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_uses_server_side_binding_and_prepared_statements_by_default():
    database = _database_settings(DATABASE_URL="postgres://efinance:secret@db.internal:5432/efinance")
    assert database["OPTIONS"]["server_side_binding"] is True
    assert database["OPTIONS"]["prepare_threshold"] == 2
    assert database["CONN_HEALTH_CHECKS"] is False


def test_behind_a_transaction_pooler_prepared_statements_can_be_switched_off():
    database = _database_settings(
        DATABASE_URL="postgres://efinance:secret@pgbouncer.internal:6432/efinance", DATABASE_PREPARED_STATEMENTS="0"
    )
    assert "server_side_binding" not in database.get("OPTIONS", {})
    assert "prepare_threshold" not in database.get("OPTIONS", {})


def test_sqlite_gets_no_postgresql_options(tmp_path):
    database = _database_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert "server_side_binding" not in database["OPTIONS"]
    assert database["CONN_HEALTH_CHECKS"] is False


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's prepared statements")
def test_the_verification_is_a_prepared_statement_on_postgresql(alice_key):
    _key, token = alice_key
    if not settings.DATABASES["default"]["OPTIONS"].get("server_side_binding"):
        pytest.skip("DATABASE_PREPARED_STATEMENTS=0 in this run")
    for _ in range(3):
        assert ApiKey.objects.verify_token(token, api=Api.INTEGRATION).ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert [text for text in prepared if "secret_hash" in text and "key_id" in text], prepared
    assert sql.VERIFY.text  # the statement that was prepared is the module's one


@pytest.mark.skipif(not ON_POSTGRES, reason="a server connection that can be terminated")
def test_a_broken_connection_answers_one_503_and_the_next_request_reconnects(transactional_db, make_key):
    import psycopg

    _key, token = make_key()
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/billing-int/v1/ping", **auth).status_code == 200
    pid = connection.connection.info.backend_pid
    params = {
        k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "prepare_threshold")
    }
    with psycopg.connect(**params) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    broken = client.get("/api/billing-int/v1/ping", **auth)
    assert broken.status_code == 503
    assert broken["Content-Type"] == "application/problem+json"
    assert broken["Retry-After"]
    close_old_connections()  # what Django's handler runs when a request ends: the broken one is closed
    assert client.get("/api/billing-int/v1/ping", **auth).status_code == 200
    assert connection.connection.info.backend_pid != pid
