"""The API and /healthz take the lean path: they never read, write or extend a session,
and keep what the API needs (problem documents, nosniff, HSTS under HTTPS, the HTTPS redirect)."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.conftest import statements_run

PATHS = ["/api/billing-int/v1/ping", "/api/billing/v1/documents", "/api/billing-int/v1/no-such-thing", "/healthz"]


def _logged_in_with_an_old_session(user) -> tuple[Client, Session, datetime.datetime]:
    client = Client()
    client.force_login(user)
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    ends = timezone.now() + datetime.timedelta(seconds=30)  # about to end: an extension would show
    Session.objects.filter(pk=session.pk).update(expire_date=ends)
    return client, session, ends


@pytest.mark.parametrize("path", PATHS)
def test_a_request_with_a_session_cookie_neither_reads_nor_extends_the_session(alice, alice_key, path):
    client, session, ends = _logged_in_with_an_old_session(alice)
    _key, token = alice_key
    with statements_run() as statements:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (200, 401, 404)
    assert not [sql for sql in statements if Session._meta.db_table in sql]
    assert Session.objects.get(pk=session.pk).expire_date == ends
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert settings.CSRF_COOKIE_NAME not in response.cookies
    assert "Cookie" not in response.get("Vary", "")
    # The same session still ends when it would have, and a page of the product still extends it.
    assert client.get("/administration/").status_code == 200
    assert Session.objects.get(pk=session.pk).expire_date > ends


@pytest.mark.parametrize("path", PATHS)
def test_an_anonymous_request_gets_no_session_and_no_cookie(db, path):
    response = Client().get(path, HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=not-a-session")
    assert response.status_code in (200, 401, 404)
    assert not response.cookies
    assert Session.objects.count() == 0


@pytest.mark.parametrize("path", ["/healthz/", "/healthzz"])
def test_a_path_that_only_starts_like_the_probe_is_a_plain_404_without_a_session(alice, path):
    client, session, ends = _logged_in_with_an_old_session(alice)
    response = client.get(path)
    assert response.status_code == 404
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.get(pk=session.pk).expire_date == ends


def test_a_posted_document_touches_no_session_either(alice, alice_key):
    client, session, ends = _logged_in_with_an_old_session(alice)
    _key, token = alice_key
    body = {
        "invoice_number": "2026-0001",
        "issue_date": "2026-11-01",
        "due_date": "2026-11-30",
        "currency": "CHF",
        "amount": "10.00",
        "recipient": {"name": "Muster AG", "email": "billing@muster.example"},
    }
    with statements_run() as statements:
        response = client.post(
            "/api/billing-int/v1/documents", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    assert response.status_code == 201
    assert not [sql for sql in statements if Session._meta.db_table in sql]
    assert Session.objects.get(pk=session.pk).expire_date == ends
    assert not response.cookies


def test_the_api_keeps_its_security_headers_and_problem_documents(db, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    response = Client().get("/api/billing-int/v1/ping", secure=True)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"
    missing = Client().get("/api/billing-int/v1/nothing-here", secure=True)
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert missing["X-Frame-Options"] == "DENY"
    docs = Client().get("/api/billing-int/v1/docs", secure=True)
    assert docs.status_code == 200
    assert docs["Content-Type"].startswith("text/html")
    assert docs["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in docs["Content-Security-Policy"]


def test_plain_http_to_the_api_is_redirected_but_the_probe_is_not(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/api/billing-int/v1/ping").status_code == 301
    assert Client().get("/healthz").status_code == 200


def test_the_problem_texts_follow_accept_language(db):
    english = Client().get("/api/billing-int/v1/ping").json()["detail"]
    german = Client(HTTP_ACCEPT_LANGUAGE="de").get("/api/billing-int/v1/ping").json()["detail"]
    assert german != english


@pytest.mark.parametrize("path", PATHS)
def test_every_lean_answer_says_its_length(alice_key, path):
    """Without Content-Length gunicorn sends the body in chunks: one more write per answer."""
    _key, token = alice_key
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (200, 401, 404)
    assert response["Content-Length"] == str(len(response.content))


def test_a_refusal_and_a_posted_problem_say_their_length_too(db):
    refused = Client().get("/api/billing-int/v1/ping", HTTP_AUTHORIZATION="Bearer bsint_nothing")
    assert refused.status_code == 401
    assert refused["Content-Length"] == str(len(refused.content))
    wrong_type = Client().post("/api/billing-int/v1/documents", "x=1", content_type="text/plain")
    assert wrong_type.status_code in (401, 415)
    assert wrong_type["Content-Length"] == str(len(wrong_type.content))


@pytest.mark.parametrize(("accept", "language"), [("de-CH,de;q=0.9", "de"), ("fr", "fr"), ("it", "it"), ("ja", "en")])
def test_the_answer_names_its_language_and_varies_on_accept_language(db, accept, language):
    response = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/api/billing-int/v1/ping")
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_the_language_cookie_of_the_product_wins_over_accept_language_as_on_every_page(db, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"
    response = client.get("/api/billing-int/v1/ping")
    assert response["Content-Language"] == "it"
    assert response.json()["detail"] != Client().get("/api/billing-int/v1/ping").json()["detail"]


TOKEN_SHAPED = "bsint_aaaaaaaaaaaa_" + "a" * 52 + "_aaaaaaa"
MIDDLEWARE_PROBLEMS = [
    ("get", "/api/billing-int/v1/no-such-thing", 404),
    ("delete", "/api/billing-int/v1/ping", 405),
    ("get", f"/api/billing-int/v1/ping?key={TOKEN_SHAPED}", 400),
]


@pytest.mark.parametrize(("method", "path", "status"), MIDDLEWARE_PROBLEMS)
def test_problems_made_around_the_view_get_every_header_and_the_clients_language(db, method, path, status):
    """A 404 or 405 turned into a problem, and the refusal of a token in the URL, are made outside
    ninja: they still carry the security headers, their length and the language of Accept-Language."""
    english = getattr(Client(), method)(path, secure=True)
    german = getattr(Client(HTTP_ACCEPT_LANGUAGE="de"), method)(path, secure=True)
    for response in (english, german):
        assert response.status_code == status
        assert response["Content-Type"] == "application/problem+json"
        assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Length"] == str(len(response.content))
    assert german["Content-Language"] == "de"
    assert german.json()["detail"] != english.json()["detail"]
