"""Sessions end after 15 minutes without a request, and on logout (server side)."""

import datetime
from importlib import import_module
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.cast import PASSWORD

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _logged_in_client(user):
    client = Client()
    assert _login(client, user.username, PASSWORD).status_code == 302
    return client


def _at(minutes):
    later = timezone.now() + datetime.timedelta(minutes=minutes)
    return mock.patch("django.utils.timezone.now", return_value=later)


def test_the_session_ends_after_15_minutes_without_a_request(alice):
    client = _logged_in_client(alice)
    with _at(14):
        assert client.get("/administration/").status_code == 200
    with _at(14 + 16):
        response = client.get("/administration/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_request_moves_the_end_of_the_session(alice):
    client = _logged_in_client(alice)
    for minutes in (10, 20, 30, 40):
        with _at(minutes):
            assert client.get("/administration/").status_code == 200
    session = Session.objects.get()
    assert session.expire_date > timezone.now() + datetime.timedelta(minutes=40 + 14)


def test_the_session_cookie_lives_only_as_long_as_the_browser(alice):
    client = Client()
    response = _login(client, "alice", PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_is_useless(alice):
    client = _logged_in_client(alice)
    stolen = client.cookies["sessionid"].value
    assert client.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=stolen).exists()
    thief = Client()
    thief.cookies["sessionid"] = stolen
    assert thief.get("/administration/").status_code == 302


def test_a_session_deleted_during_a_request_is_not_made_again(alice):
    """Logged out in another tab while a page was being answered: the page's save finds no row, and the
    session stays deleted (`UpdateError`, answered as `SessionInterrupted`: 400)."""
    from django.contrib.sessions.backends.base import UpdateError

    client = _logged_in_client(alice)
    key = client.cookies["sessionid"].value
    store = SessionStore(session_key=key)
    store["seen"] = True
    Session.objects.filter(session_key=key).delete()
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.filter(session_key=key).exists()


def test_a_session_is_created_and_saved_again(alice):
    store = SessionStore()
    store["seen"] = True
    store.save()
    assert Session.objects.get(session_key=store.session_key).get_decoded() == {"seen": True}
    store["seen"] = False
    store.save()
    assert Session.objects.get(session_key=store.session_key).get_decoded() == {"seen": False}


@pytest.mark.parametrize(
    "request_at_10",
    [
        lambda client: client.get("/administration/no-such-page/"),
        lambda client: client.get("/administration/api-keys/abcdefghijkl/"),  # another's or no key: 404
        lambda client: client.head("/no-such-page/"),
        lambda client: client.post("/i18n/setlang/", {"language": "fr", "next": "/administration/"}),
        lambda client: client.post("/i18n/setlang/", {"language": "xx"}),
    ],
    ids=["404", "404 key", "HEAD 404", "language switch", "language switch refused"],
)
def test_a_404_or_the_language_switch_does_not_extend_the_session(alice, request_at_10):
    """A script left in an open tab (or an attacker's page) cannot keep a session alive by polling a
    missing page or switching the language: only a request of the product moves the end."""
    client = _logged_in_client(alice)
    with _at(10):
        request_at_10(client)
    with _at(16):
        response = client.get("/administration/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_head_of_a_page_extends_the_session_as_its_get_does(alice):
    client = _logged_in_client(alice)
    with _at(10):
        assert client.head("/administration/").status_code == 200
    with _at(16):
        assert client.get("/administration/").status_code == 200


def test_the_language_switch_still_works_and_a_page_after_it_extends(alice):
    client = _logged_in_client(alice)
    with _at(10):
        assert client.post("/i18n/setlang/", {"language": "fr", "next": "/administration/"}).status_code == 302
        assert client.get("/administration/").status_code == 200
    with _at(16):
        response = client.get("/administration/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.language == "fr"
