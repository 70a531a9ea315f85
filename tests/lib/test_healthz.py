"""GET /healthz: for the load balancer, without a login, telling nothing but whether the database answers."""

from unittest import mock

from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client


def test_it_answers_200_without_a_login_when_the_database_answers(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_it_answers_503_json_when_the_database_does_not(db):
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("connection refused")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert b"connection refused" not in response.content
    assert b"Traceback" not in response.content


def test_it_answers_503_when_no_connection_can_be_opened(db):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_head_works_and_other_methods_do_not(db):
    client = Client()
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_it_tells_no_secret_and_no_version(db, settings):
    body = Client().get("/healthz").content.decode()
    for secret in (settings.SECRET_KEY, settings.API_KEY_PEPPER, str(settings.DATABASES["default"]["NAME"])):
        assert secret not in body
    assert "django" not in body.lower()


def test_it_is_not_redirected_to_https_so_a_plain_http_probe_works(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/accounts/login/").status_code == 301
