"""Brute force against the login forms (django-axes, state in the database), from the attacker's side."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.cast import PASSWORD, mentions

LOGIN = "/accounts/login/"
# The per-address limit; the per-account one beside it: test_account_limit.py.
pytestmark = pytest.mark.usefixtures("address_limit_only")


def _login(client, username, password, ip="203.0.113.7", url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail(client, username, times, ip="203.0.113.7", url=LOGIN):
    return [_login(client, username, f"wrong-{n}", ip, url) for n in range(times)]


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_locks_out_after_five_failed_logins_even_with_the_right_password(alice):
    client = Client()
    responses = _fail(client, "alice", 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    page = response.content.decode()
    assert "Login blocked" in page
    assert "After 5 failed logins, logging in as «alice» from this address is blocked." in page
    assert "Please try again in 30 minutes." in page


def test_the_lockout_is_in_the_database_so_every_app_server_sees_it(alice):
    _fail(Client(), "alice", 5)
    attempt = AccessAttempt.objects.get(username="alice", ip_address="203.0.113.7")
    assert attempt.failures_since_start == 5
    another_server = Client()  # no cookie, no process memory shared: only the database
    assert _login(another_server, "alice", PASSWORD).status_code == 429


def test_it_counts_per_username_and_address(alice, bob):
    _fail(Client(), "alice", 5, ip="203.0.113.7")
    from_elsewhere = Client()
    assert _login(from_elsewhere, "alice", PASSWORD, ip="198.51.100.9").status_code == 302
    assert _logged_in(from_elsewhere)
    other_user = Client()
    assert _login(other_user, "bob", PASSWORD, ip="203.0.113.7").status_code == 302


def test_a_successful_login_resets_the_count(alice):
    client = Client()
    _fail(client, "alice", 4)
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.post(reverse("users:logout"))
    assert [r.status_code for r in _fail(client, "alice", 4)] == [200] * 4
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(alice):
    _fail(Client(), "alice", 5)
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31))
    client = Client()
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_without_a_cool_off_the_block_stays_until_support_unlocks(alice, settings):
    settings.AXES_COOLOFF_TIME = None
    _fail(Client(), "alice", 5)
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30))
    response = _login(Client(), "alice", PASSWORD)
    assert response.status_code == 429
    assert "The block stays until the bank's support unlocks it." in response.content.decode()


def test_the_support_admin_login_is_protected_too(sam):
    _fail(Client(), "sam", 5, url="/support/login/")
    response = _login(Client(), "sam", PASSWORD, url="/support/login/")
    assert response.status_code == 429


def test_neither_the_password_tried_nor_the_csrf_token_is_stored(alice):
    form = {"username": "alice", "password": "Tr0ub4dor&3-guess", "csrfmiddlewaretoken": "c" * 64}
    Client().post(LOGIN, form)
    attempt = AccessAttempt.objects.get(username="alice")
    assert "Tr0ub4dor" not in f"{attempt.post_data} {attempt.get_data}"
    assert "c" * 64 not in attempt.post_data


def test_support_staff_unlock_a_login_in_the_django_admin(alice, sam_client):
    _fail(Client(), "alice", 5)
    attempt = AccessAttempt.objects.get(username="alice")
    listing = sam_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert mentions(listing.content.decode(), "alice")
    response = sam_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client = Client()
    assert _login(client, "alice", PASSWORD).status_code == 302
    assert _logged_in(client)


@pytest.mark.parametrize("who", ["alice_client", "bob_client", "charlie_client"])
def test_customers_cannot_see_or_unlock_lockouts(who, request, alice):
    _fail(Client(), "alice", 5)
    attempt = AccessAttempt.objects.get(username="alice")
    client = request.getfixturevalue(who)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 302
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(alice, settings):
    client = Client()
    for n in range(5):  # an attacker rotating a forged header from one address
        client.post(LOGIN, {"username": "alice", "password": f"x{n}"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert _login(client, "alice", PASSWORD, ip="127.0.0.1").status_code == 429
    settings.TRUSTED_PROXY_COUNT = 1
    behind_proxy = Client()
    response = behind_proxy.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.20"
    )
    assert response.status_code == 302
    assert AccessAttempt.objects.filter(ip_address="127.0.0.1").exists()


def test_a_garbled_forwarded_header_falls_back_to_the_peer_address(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _fail(Client(), "alice", 1, ip="203.0.113.7")
    Client().post(LOGIN, {"username": "alice", "password": "x"}, HTTP_X_FORWARDED_FOR="not-an-ip<script>")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7", "127.0.0.1"}


def test_an_absurd_username_is_counted_not_a_server_error(alice):
    responses = _fail(Client(), "a" * 100_000, 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert AccessAttempt.objects.get().username.startswith("unknown-")  # names nobody: kept as a keyed hash


@pytest.mark.parametrize("language", ["de", "fr", "it"])
def test_the_lockout_page_speaks_the_users_language(alice, language):
    _fail(Client(), "alice", 4)
    response = Client().post(
        LOGIN, {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 429
    with translation.override(language):
        heading = gettext("Login blocked")
        advice = gettext("Back to the login")
    assert heading != "Login blocked"
    assert heading in response.content.decode()
    assert advice in response.content.decode()
    assert f'lang="{language}"' in response.content.decode()
