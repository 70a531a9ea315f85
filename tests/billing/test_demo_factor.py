"""The demo's second factor: other-admin and support have an authenticator app with a published demo key,
the checkout prints its current code with DEBUG only, and Demo AG's users log in with the password."""

import time
from io import StringIO

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from billing.management.commands.seed_demo import DEFAULT_PASSWORD, DEMO_TOTP_KEYS
from users.factors.models import TOTPDevice
from users.factors.services import has_factor
from users.models import User


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _code(username, settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_totp_code", username, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_the_demo_factors_and_the_printed_key(settings):
    printed = _seed()
    assert DEMO_TOTP_KEYS["other-admin"] in printed and "demo_totp_code other-admin" in printed
    factors = {user.username: has_factor(user) for user in User.objects.people()}
    assert factors == {
        "demo-admin": False,
        "demo-admin2": False,
        "demo-user": False,
        "demo-accounting": False,
        "other-admin": True,
        "support": True,
    }
    _seed()  # idempotent
    assert TOTPDevice.objects.count() == 2


@pytest.mark.django_db
def test_the_printed_code_logs_the_demo_admin_in(settings):
    _seed()
    before = time.time()
    code = _code("other-admin", settings)
    app = pyotp.TOTP(DEMO_TOTP_KEYS["other-admin"])
    assert code in {app.at(before), app.at(time.time())}  # as the phone shows it (a step may end meanwhile)
    client = Client()
    response = client.post("/accounts/login/", {"username": "other-admin", "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    client.post("/accounts/login/code/", {"code": code})
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_demo_ag_logs_in_with_the_password_alone():
    _seed()
    client = Client()
    client.post("/accounts/login/", {"username": "demo-admin", "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_the_code_command_is_refused_without_debug(settings):
    _seed()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp_code", "other-admin", stdout=StringIO())


@pytest.mark.django_db
def test_it_refuses_a_user_whose_app_is_not_the_demo_key(settings):
    _seed()
    device = TOTPDevice.objects.get(user__username="support")
    TOTPDevice.objects.filter(pk=device.pk).delete()
    TOTPDevice.start(device.user)  # unconfirmed, another key
    with pytest.raises(CommandError, match="no demo authenticator app"):
        _code("support", settings)
