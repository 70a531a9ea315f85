"""Support staff and the second factor: /support/ needs one, the first is set up only through an
operator's one-time link, and the admin shows only that a user has one — never its key or codes."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.cast import make_user
from tests.factors import code_at, enrol, secret_of
from users.factors.models import TOTPDevice
from users.factors.staff import link_tokens
from users.services import ensure_support_group

ENROL = "/accounts/security/authenticator/"


@pytest.fixture
def tom(db):
    """Support staff without a second factor yet."""
    user = make_user("tom", None, is_staff=True)
    user.groups.add(ensure_support_group())
    return user


@pytest.fixture
def tom_client(tom):
    client = Client()
    client.force_login(tom)
    return client


def _link(username) -> str:
    out = StringIO()
    call_command("support_factor_link", username, stdout=out)
    return out.getvalue().strip()


def test_support_without_a_factor_is_sent_to_security(tom_client):
    for url in ("/support/", "/support/users/user/", "/support/apikeys/apikey/"):
        response = tom_client.get(url)
        assert response.status_code == 302 and response["Location"] == "/accounts/security/", url


def test_support_with_a_factor_gets_in(sam):
    client = Client()
    client.force_login(sam)
    assert client.get("/support/").status_code == 200


def test_a_stolen_staff_password_alone_cannot_enrol_a_phone(tom, tom_client, totp_clock):
    response = tom_client.get(ENROL)
    assert response.status_code == 403
    assert 'data-testid="link-needed"' in response.content.decode()
    assert "<svg" not in response.content.decode()
    assert tom_client.post(ENROL, {"code": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=tom).exists()
    assert tom_client.get(f"{ENROL}?link=1-forged-token").status_code == 302
    assert tom_client.get(ENROL).status_code == 403


def test_the_operators_link_lets_the_staff_user_enrol_once(tom, tom_client, totp_clock):
    link = _link("tom")
    assert link.startswith("http://") and "/accounts/security/authenticator/?link=" in link
    response = tom_client.get(link.split("8000", 1)[-1] if "8000" in link else link)
    assert response.status_code == 302 and response["Location"] == ENROL  # the token leaves the address bar
    assert tom_client.get(ENROL).status_code == 200
    secret = secret_of(TOTPDevice.objects.get(user=tom, confirmed=False))
    tom_client.post(ENROL, {"code": code_at(secret, totp_clock.now)})
    assert TOTPDevice.objects.filter(user=tom, confirmed=True).exists()
    assert tom_client.get("/support/").status_code == 200
    # Once used, the link is dead: with the factor removed, it does not set up another phone.
    TOTPDevice.objects.filter(user=tom).delete()
    token = link.split("link=", 1)[1]
    assert not link_tokens.check_token(tom, token)


def test_a_link_of_another_staff_user_does_not_work(tom, tom_client, db):
    other = make_user("tina", None, is_staff=True)
    token = _link("tina").split("link=", 1)[1]
    assert other.pk != tom.pk
    tom_client.get(f"{ENROL}?link={token}")
    assert tom_client.get(ENROL).status_code == 403


def test_the_link_lapses(tom, tom_client, monkeypatch, settings):
    token = _link("tom").split("link=", 1)[1]
    later = link_tokens._now() + __import__("datetime").timedelta(hours=settings.SUPPORT_FACTOR_LINK_HOURS, seconds=5)
    monkeypatch.setattr(link_tokens, "_now", lambda: later)
    tom_client.get(f"{ENROL}?link={token}")
    assert tom_client.get(ENROL).status_code == 403


def test_the_command_refuses_customers_and_staff_with_a_factor(alice, sam, tom):
    for username in ("alice", "sam", "nobody"):
        with pytest.raises(CommandError):
            call_command("support_factor_link", username, stdout=StringIO())


def test_a_customer_enrols_without_a_link(bob_client):
    assert bob_client.get(ENROL).status_code == 200


def test_the_admin_shows_only_that_a_user_has_a_factor(sam, alice, totp_clock):
    secret, codes = enrol(alice)
    client = Client()
    client.force_login(sam)
    page = client.get(f"/support/users/user/{alice.pk}/change/").content.decode()
    assert "Authenticator app since" in page
    assert secret not in page and not any(code in page for code in codes)
    assert TOTPDevice.objects.get(user=alice).key_encrypted not in page
    for url in ("/support/users/totpdevice/", "/support/users/recoverycode/", "/support/django_otp/"):
        assert client.get(url).status_code == 404, url
