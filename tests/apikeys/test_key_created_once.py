"""The token is shown once, on the response to «Create», and exists nowhere else."""

import datetime
import logging
import re
import sys
import threading

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from django.views.debug import ExceptionReporter

from apikeys import services, tokens
from apikeys.models import Api, ApiKey
from tests.conftest import key_count, run_concurrently

URL = "/administration/api-keys/new/"
LIST_URL = "/administration/api-keys/"


def _form(client, user, api=Api.INTEGRATION) -> dict:
    html = client.get(URL).content.decode()
    return {
        "user": user.pk,
        "api": api,
        "note": "ERP",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "nonce": re.search(r'name="nonce" value="([^"]+)"', html)[1],
        "scopes": ["documents:read", "documents:write"],
    }


def _token_in(html: str) -> list[str]:
    return re.findall(r"bs(?:prod|int)_[a-z2-7]{12}_[a-z2-7]{52}_[a-z2-7]{7}", html)


@pytest.fixture
def created(alice_client, bob, caplog):
    caplog.set_level(logging.DEBUG)
    data = _form(alice_client, bob, Api.PRODUCTION)
    response = alice_client.post(URL, data)
    [token] = _token_in(response.content.decode())
    return response, token, data


def test_the_token_screen_shows_key_id_token_api_and_warning(created):
    response, token, _data = created
    html = response.content.decode()
    key = ApiKey.objects.get()
    assert key.key_id in html
    assert re.search(rf'<textarea id="token" class="token" rows="1" readonly [^>]*>{token}</textarea>', html)
    assert 'data-copy-target="token"' in html  # the copy button
    assert "Billing Solutions (production)" in html
    assert "it is shown only once" in html
    assert f'href="/administration/api-keys/?created={key.key_id}"' in html  # «Close» goes back to the list
    assert ApiKey.objects.verify_token(token, Api.PRODUCTION).ok


def test_the_token_screen_is_never_stored_by_a_cache(created):
    response, _token, _data = created
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_plaintext_is_in_no_column_of_any_row(created):
    _response, token, _data = created
    secret = tokens.parse_token(token).secret
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from the db)
            for row in cursor.fetchall():
                for value in row:
                    assert secret not in str(value), table
                    assert token not in str(value), table


def test_the_plaintext_is_not_in_the_session_nor_a_message_cookie(created, alice_client):
    response, token, _data = created
    secret = tokens.parse_token(token).secret
    alice_client.get(LIST_URL)
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())
        assert secret not in session.session_data
    for cookie in alice_client.cookies.values():
        assert secret not in cookie.value
    assert all(secret not in message for message in _messages_in_cookie(alice_client, response.wsgi_request))


def _messages_in_cookie(client, request) -> list[str]:
    """The messages waiting in the (signed, compressed) messages cookie, decoded."""
    if "messages" not in client.cookies:
        return []
    return [str(message) for message in CookieStorage(request)._decode(client.cookies["messages"].value) or []]


def test_the_replay_message_carries_the_key_id_never_the_token(created, alice_client):
    _response, token, data = created
    replay = alice_client.post(URL, data)
    waiting = _messages_in_cookie(alice_client, replay.wsgi_request)
    assert len(waiting) == 1
    assert ApiKey.objects.get().key_id in waiting[0]
    assert tokens.parse_token(token).secret not in waiting[0]


def test_the_plaintext_is_in_no_log_record(created, caplog):
    _response, token, _data = created
    secret = tokens.parse_token(token).secret
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert any("apikey.created" in record.getMessage() for record in records)
    for record in records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.args)


def test_after_close_reload_or_opening_the_url_again_no_token(created, alice_client):
    _response, token, _data = created
    for url in (LIST_URL, URL, "/administration/users/", "/"):
        html = alice_client.get(url).content.decode()
        assert _token_in(html) == []
        assert tokens.parse_token(token).secret not in html


def test_a_replayed_create_makes_no_second_key_and_shows_no_token(created, alice_client):
    _response, token, data = created
    replay = alice_client.post(URL, data, follow=True)
    html = replay.content.decode()
    assert key_count() == 1
    assert _token_in(html) == []
    assert tokens.parse_token(token).secret not in html
    assert "already submitted" in html
    assert ApiKey.objects.get().key_id in html


def test_a_double_click_makes_one_key(alice_client, bob):
    data = _form(alice_client, bob)
    first, second = alice_client.post(URL, data), alice_client.post(URL, data)
    assert len(_token_in(first.content.decode())) == 1
    assert second.status_code == 302
    assert key_count() == 1


def test_the_database_refuses_a_second_key_for_one_form_whatever_the_timing(alice, bob):
    """Whichever request inserts second loses on the unique constraint: no check-then-insert window."""
    key, _token = services.apikey_create(
        user=bob, api=Api.INTEGRATION, valid_until=timezone.localdate(), created_by=alice, form_nonce="n" * 64
    )
    with pytest.raises(services.NonceAlreadyUsed) as used:
        services.apikey_create(
            user=bob, api=Api.INTEGRATION, valid_until=timezone.localdate(), created_by=alice, form_nonce="n" * 64
        )
    assert used.value.key == key
    assert key_count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_form_make_one_key(alice, bob):
    client = Client()
    client.force_login(alice)
    data = _form(client, bob)
    barrier, results = threading.Barrier(4, timeout=10), []

    def submit():
        try:
            thread_client = Client()
            thread_client.force_login(alice)
            barrier.wait()
            results.append(thread_client.post(URL, data))
        finally:
            connections.close_all()

    run_concurrently(submit, 4)
    assert sorted(r.status_code for r in results) == [200, 302, 302, 302]
    assert sum(len(_token_in(r.content.decode())) for r in results) == 1
    assert key_count() == 1


def test_a_failure_after_creation_puts_the_token_on_no_error_page_or_report(alice, bob, monkeypatch, caplog):
    """If rendering the token screen fails, neither the 500 page nor the error report shows the token."""
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    data = _form(client, bob)
    captured = {}

    def broken_render(request, template_name, context=None, **kwargs):
        captured["token"] = context["token"]
        try:
            raise RuntimeError("template failed")
        except RuntimeError:
            captured["exc_info"] = sys.exc_info()
            raise

    monkeypatch.setattr("apikeys.views.render", broken_render)
    response = client.post(URL, data)
    assert response.status_code == 500
    token = captured["token"]
    secret = tokens.parse_token(token).secret
    assert secret not in response.content.decode()
    request = response.wsgi_request
    report = ExceptionReporter(request, *captured["exc_info"])
    assert secret not in report.get_traceback_text()
    assert secret not in report.get_traceback_html()
    for record in caplog.records:
        assert secret not in record.getMessage()
