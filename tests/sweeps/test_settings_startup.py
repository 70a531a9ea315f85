"""Start-up: without DEBUG, a missing SECRET_KEY, API_KEY_PEPPER, OTP_ENCRYPTION_KEY or REPORT_SIGNING_KEY stops it
with a clear message."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

BASE_DIR = Path(__file__).resolve().parents[2]
SECRETS = ("SECRET_KEY", "API_KEY_PEPPER", "OTP_ENCRYPTION_KEY", "REPORT_SIGNING_KEY")
REPORT_KEY = base64.b64encode(b"r" * 32).decode()


def _start(**env) -> subprocess.CompletedProcess:
    """`manage.py check` in a fresh process that reads no .env file and inherits none of our secrets."""
    clean = {name: value for name, value in os.environ.items() if name not in (*SECRETS, "DEBUG", "DATABASE_URL")}
    clean.update(ENV_FILE="", DJANGO_SETTINGS_MODULE="efinance.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, "SECRET_KEY"),
        ({"API_KEY_PEPPER": "p" * 50}, "SECRET_KEY"),
        ({"SECRET_KEY": "s" * 50}, "API_KEY_PEPPER"),
        ({"SECRET_KEY": "s" * 50, "API_KEY_PEPPER": ""}, "API_KEY_PEPPER"),
        ({"SECRET_KEY": "s" * 50, "API_KEY_PEPPER": "p" * 50}, "OTP_ENCRYPTION_KEY"),
        ({"SECRET_KEY": "s" * 50, "API_KEY_PEPPER": "p" * 50, "OTP_ENCRYPTION_KEY": "o" * 50}, "REPORT_SIGNING_KEY"),
    ],
)
def test_without_debug_a_missing_secret_stops_start_up_naming_it(given, missing):
    result = _start(DEBUG="0", **given)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} is not set" in result.stderr


def test_with_every_secret_it_starts():
    result = _start(
        DEBUG="0",
        SECRET_KEY="s" * 50,
        API_KEY_PEPPER="p" * 50,
        OTP_ENCRYPTION_KEY="o" * 50,
        REPORT_SIGNING_KEY=REPORT_KEY,
        ALLOWED_HOSTS="efinance.example",
    )
    assert result.returncode == 0, result.stderr


def test_a_development_run_starts_without_secrets():
    result = _start(DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_time_is_swiss_and_aware():
    assert django_settings.TIME_ZONE == "Europe/Zurich"
    assert django_settings.USE_TZ is True


def test_the_pepper_is_its_own_secret():
    assert django_settings.API_KEY_PEPPER
    assert django_settings.API_KEY_PEPPER != django_settings.SECRET_KEY


def test_the_second_factors_key_is_its_own_secret():
    assert django_settings.OTP_ENCRYPTION_KEY
    assert django_settings.OTP_ENCRYPTION_KEY not in (django_settings.SECRET_KEY, django_settings.API_KEY_PEPPER)
