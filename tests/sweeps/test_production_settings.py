"""The production switches, read in a fresh process from an explicit environment (no .env file)."""

import base64
import json
import os
import secrets
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "API_KEY_PEPPER": secrets.token_urlsafe(50),
    "OTP_ENCRYPTION_KEY": secrets.token_urlsafe(50),
    "REPORT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    "ALLOWED_HOSTS": "efinance.example.com",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}
SHOWN = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_AGE",
    "SESSION_SAVE_EVERY_REQUEST",
    "AXES_FAILURE_LIMIT",
    "CACHES",
]


def _run(args, env, tmp_path):
    clean = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
        **env,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def _settings_with(env, tmp_path) -> dict:
    code = (
        "import json, django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'efinance.settings'; django.setup(); "
        f"from django.conf import settings; print(json.dumps({{n: getattr(settings, n) for n in {SHOWN!r}}}))"
    )
    result = _run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_prints_no_warning_with_the_production_environment(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS:" not in result.stdout + result.stderr
    log_levels = {json.loads(line)["level"] for line in result.stderr.splitlines()}  # JSON lines only
    assert log_levels <= {"INFO"}


def test_check_deploy_does_complain_when_a_switch_is_turned_off(tmp_path):
    result = _run(["manage.py", "check", "--deploy"], {**PRODUCTION, "SECURE_COOKIES": "0"}, tmp_path)
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE
    assert "security.W016" in result.stderr  # CSRF_COOKIE_SECURE


def test_the_production_defaults_are_the_safe_ones(tmp_path):
    shown = _settings_with(PRODUCTION, tmp_path)
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SESSION_COOKIE_HTTPONLY"] is shown["CSRF_COOKIE_HTTPONLY"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["SECURE_HSTS_SECONDS"] == 31_536_000
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is shown["SECURE_HSTS_PRELOAD"] is True
    assert shown["SESSION_COOKIE_AGE"] == 900
    assert shown["SESSION_SAVE_EVERY_REQUEST"] is False  # users.middleware.IdleSessionMiddleware extends instead
    assert shown["AXES_FAILURE_LIMIT"] == 5
    assert shown["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.dummy.DummyCache"  # no process memory


def test_a_shared_cache_comes_from_the_environment(tmp_path):
    shown = _settings_with({**PRODUCTION, "CACHE_URL": "redis://cache.internal:6379/0"}, tmp_path)
    assert shown["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/0"


def test_hsts_and_the_proxy_header_come_from_the_environment(tmp_path):
    env = {**PRODUCTION, "SECURE_HSTS_SECONDS": "600", "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_SSL,on"}
    shown = _settings_with(env, tmp_path)
    assert shown["SECURE_HSTS_SECONDS"] == 600
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SSL", "on"]
    assert _settings_with({**PRODUCTION, "SECURE_PROXY_SSL_HEADER": ""}, tmp_path)["SECURE_PROXY_SSL_HEADER"] is None


def test_a_malformed_proxy_header_stops_start_up_with_a_clear_message(tmp_path):
    result = _run(["manage.py", "check"], {**PRODUCTION, "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"}, tmp_path)
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER is a header and its value" in result.stderr


def test_a_local_http_run_without_debug_can_switch_secure_cookies_and_redirect_off(tmp_path):
    shown = _settings_with({**PRODUCTION, "SECURE_COOKIES": "0", "SECURE_SSL_REDIRECT": "0"}, tmp_path)
    assert shown["SESSION_COOKIE_SECURE"] is shown["CSRF_COOKIE_SECURE"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("debug", ["1", "true"])
def test_debug_serves_plain_http_so_the_demo_login_works(tmp_path, debug):
    shown = _settings_with({"DEBUG": debug}, tmp_path)
    assert shown["SESSION_COOKIE_SECURE"] is shown["CSRF_COOKIE_SECURE"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0


def test_production_logs_are_one_json_object_per_line(tmp_path):
    code = (
        "import django, logging, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'efinance.settings'; django.setup(); "
        "from efinance.lib.logging import log_event; "
        "log_event(logging.getLogger('apikeys'), 'apikey.created', key_id='abcdefghijkl', note='two\\nlines')"
    )
    result = _run(["-c", code], PRODUCTION, tmp_path)
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    event = lines[-1]
    assert event["event"] == "apikey.created"
    assert event["key_id"] == "abcdefghijkl"
    assert event["note"] == "two\nlines"
    assert event["logger"] == "apikeys"
    assert event["level"] == "INFO"


def test_gunicorn_logs_json_lines_with_the_shipped_log_config(tmp_path):
    code = (
        "import json, logging, logging.config; "
        "logging.config.dictConfig(json.load(open('deploy/gunicorn-logging.json'))); "
        "logging.getLogger('gunicorn.error').info('Booting worker with pid: %s', 42); "
        "logging.getLogger('gunicorn.access').info('\"GET /healthz HTTP/1.1\" 200')"
    )
    result = _run(["-c", code], {}, tmp_path)
    lines = [json.loads(line) for line in result.stderr.strip().splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("gunicorn.error", "Booting worker with pid: 42"),
        ("gunicorn.access", '"GET /healthz HTTP/1.1" 200'),
    ]


BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n"
EC_PEM = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


@pytest.mark.parametrize(
    "value",
    ["not a key", base64.b64encode(b"31 bytes, one short of a seed..").decode(), BROKEN_PEM, EC_PEM.decode()],
    ids=["text", "short seed", "truncated PEM", "EC PEM"],
)
def test_a_report_key_that_is_no_ed25519_key_stops_the_start_up(tmp_path, value):
    """Not a 500 at the first credential report: the process does not start, and says why."""
    _refused_start(["manage.py", "check"], value, tmp_path)


def test_the_application_server_does_not_start_with_it_either(tmp_path):
    _refused_start(["-c", "import efinance.wsgi"], BROKEN_PEM, tmp_path)


def _refused_start(start, value, tmp_path):
    result = _run(start, {**PRODUCTION, "REPORT_SIGNING_KEY": value}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: REPORT_SIGNING_KEY" in result.stderr
    secret_lines = [line for line in value.splitlines() if not line.startswith("-----")]
    assert not [line for line in secret_lines if line in result.stderr]  # the key is not printed
