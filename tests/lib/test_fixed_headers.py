"""Headers checked once (`efinance.lib.headers`) and the lean path's middleware that write them: the same
headers as Django's own assignments and middleware, case for case; and a request of the API leaves
no reference cycle behind for the garbage collector."""

import gc
import io
import weakref
from pathlib import Path

import pytest
from csp.constants import NONCE, NONE, SELF
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import BadHeaderError, HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory
from django.utils import translation

from efinance.lib.csp import ContentSecurityPolicyMiddleware
from efinance.lib.headers import FixedHeaders, set_content_length
from efinance.lib.lean import AcceptLanguageMiddleware, LeanSecurityMiddleware, negotiate

HEADERS = {
    "X-Plain": "value",
    "Content-Disposition": 'attachment; filename="Łódź.pdf"',  # not Latin-1: MIME-encoded
    "Retry-After": "60",
}


def _django(headers) -> list[tuple[str, str]]:
    response = HttpResponse()
    del response["Content-Type"]
    for name, value in headers.items():
        response[name] = value
    return list(response.items())


def test_fixed_headers_hold_what_django_assignments_would():
    response = HttpResponse()
    del response["Content-Type"]
    FixedHeaders(HEADERS).set(response)
    assert list(response.items()) == _django(HEADERS)
    assert response["content-disposition"].startswith("=?utf-8?b?")


@pytest.mark.parametrize("value", ["one\nInjected: yes", "one\rInjected: yes"])
def test_a_line_break_is_refused_when_the_headers_are_made(value):
    with pytest.raises(BadHeaderError):
        FixedHeaders({"X-Plain": value})


def test_a_name_that_is_not_ascii_is_refused_as_by_django():
    with pytest.raises(UnicodeError):
        HttpResponse()["X-Ü"] = "1"
    with pytest.raises(UnicodeError):
        FixedHeaders({"X-Ü": "1"})


def test_set_defaults_keeps_a_header_the_answer_has_under_any_spelling_and_set_replaces_it():
    response = HttpResponse()
    response["x-plain"] = "the view's"
    FixedHeaders(HEADERS).set_defaults(response)
    assert response["X-Plain"] == "the view's"
    assert response["Retry-After"] == "60"
    FixedHeaders(HEADERS).set(response)
    assert response["X-Plain"] == "value"
    assert [name for name, _value in response.items()].count("X-Plain") == 1


def test_of_takes_a_responses_headers_but_those_named():
    response = HttpResponse(headers={"X-A": "1", "X-B": "2"})
    assert list(FixedHeaders.of(response)) == [("X-A", "1"), ("X-B", "2")]
    assert list(FixedHeaders.of(response, without=("content-type", "x-b"))) == [("X-A", "1")]
    assert list(FixedHeaders.of(HttpResponse())) == []


def test_the_content_length_is_the_digits_of_the_length():
    response = HttpResponse(b"12345")
    set_content_length(response, len(response.content))
    assert response["Content-Length"] == "5"
    assert list(response.items())[-1] == ("Content-Length", "5")


SECURITY_SETTINGS = [
    {},
    {"SECURE_HSTS_SECONDS": 0},
    {"SECURE_HSTS_SECONDS": 3600, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False},
    {"SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True},
    {"SECURE_REFERRER_POLICY": "no-referrer, strict-origin-when-cross-origin"},
    {"SECURE_REFERRER_POLICY": ["no-referrer", "same-origin"]},
    {"SECURE_REFERRER_POLICY": None, "SECURE_CROSS_ORIGIN_OPENER_POLICY": None, "SECURE_CONTENT_TYPE_NOSNIFF": False},
]
ANSWERS = [
    {},
    {"Referrer-Policy": "no-referrer", "strict-transport-security": "max-age=1"},
    {"X-Content-Type-Options": "nosniff", "Cross-Origin-Opener-Policy": "unsafe-none"},
]


@pytest.mark.parametrize("changes", SECURITY_SETTINGS)
@pytest.mark.parametrize("secure", [True, False])
@pytest.mark.parametrize("answer", ANSWERS)
def test_the_lean_security_middleware_answers_the_headers_of_djangos(settings, changes, secure, answer):
    for name, value in changes.items():
        setattr(settings, name, value)
    request = RequestFactory().get("/api/billing-int/v1/ping", secure=secure)

    def view(_request):
        return HttpResponse("{}", content_type="application/json", headers=answer)

    assert list(LeanSecurityMiddleware(view)(request).items()) == list(SecurityMiddleware(view)(request).items())


@pytest.mark.parametrize("secure", [True, False])
def test_the_lean_security_middleware_redirects_plain_http_as_djangos(settings, secure):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    for path in ("/api/billing-int/v1/ping?x=1", "/healthz"):
        request = RequestFactory().get(path, secure=secure)
        lean = LeanSecurityMiddleware(lambda _request: HttpResponse())(request)
        django = SecurityMiddleware(lambda _request: HttpResponse())(request)
        assert (lean.status_code, lean.get("Location")) == (django.status_code, django.get("Location"))


NEGOTIATIONS = [
    (None, ""),
    (None, "de-CH,de;q=0.9"),
    (None, "fr;q=0.1, it"),
    (None, "ja, zh;q=0.5"),
    (None, "*"),
    (None, "de-" + "x" * 600),
    ("it", "de"),
    ("de-ch", ""),
    ("klingon", "fr"),
    ("", "it"),
]


@pytest.mark.parametrize(("cookie", "accept"), NEGOTIATIONS)
def test_the_remembered_choice_of_language_is_djangos(settings, cookie, accept):
    request = HttpRequest()
    request.META["HTTP_ACCEPT_LANGUAGE"] = accept
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    assert negotiate(cookie, accept) == translation.get_language_from_request(request)


def test_a_middleware_made_after_the_languages_changed_chooses_among_the_new_ones(settings):
    def language(middleware):
        return middleware(RequestFactory().get("/healthz", HTTP_ACCEPT_LANGUAGE="fr"))["Content-Language"]

    assert language(AcceptLanguageMiddleware(lambda _request: HttpResponse())) == "fr"
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch")]
    assert language(AcceptLanguageMiddleware(lambda _request: HttpResponse())) == "en"


def test_one_requests_language_is_not_the_next_ones():
    middleware = AcceptLanguageMiddleware(lambda _request: HttpResponse(translation.gettext("Password")))
    factory = RequestFactory()
    german = middleware(factory.get("/api/billing-int/v1/ping", HTTP_ACCEPT_LANGUAGE="de"))
    plain = middleware(factory.get("/api/billing-int/v1/ping"))
    assert german["Content-Language"] == "de"
    assert german.content == b"Passwort"
    assert plain["Content-Language"] == "en"
    assert plain.content == b"Password"


def test_a_vary_of_the_answer_is_kept_and_accept_language_added():
    middleware = AcceptLanguageMiddleware(lambda _request: HttpResponse(headers={"Vary": "Origin"}))
    assert middleware(RequestFactory().get("/api/billing-int/v1/ping"))["Vary"] == "Origin, Accept-Language"
    bare = AcceptLanguageMiddleware(lambda _request: HttpResponse())
    assert bare(RequestFactory().get("/api/billing-int/v1/ping"))["Vary"] == "Accept-Language"


def test_the_pages_nonce_works(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [NONE], "script-src": [SELF, NONCE]}}

    def view(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>", content_type="text/html")

    request = RequestFactory().get("/administration/")
    response = ContentSecurityPolicyMiddleware(view)(request)
    nonce = request._csp_nonce
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert nonce in response.content.decode()


def test_a_page_that_uses_no_nonce_is_freed_by_its_reference_count():
    """django-csp's lazy nonce holds the request until its `process_response` replaces an unused one:
    no page of the product uses a nonce (neither the policy nor a template names one), so a page
    leaves nothing for the garbage collector."""
    assert "nonce" not in str(settings.CONTENT_SECURITY_POLICY).lower()
    templates = Path(settings.BASE_DIR) / "templates"
    assert not [path for path in templates.rglob("*.html") if "csp_nonce" in path.read_text()]
    gc.disable()
    try:
        request = RequestFactory().get("/administration/")
        ContentSecurityPolicyMiddleware(lambda _request: HttpResponse("<p>", content_type="text/html"))(request)
        gone = weakref.ref(request)
        del request
        assert gone() is None
    finally:
        gc.enable()


def _environ(path: str, token: str | None) -> dict:
    environ = RequestFactory().get(path).environ
    environ["wsgi.input"] = io.BytesIO(b"")
    environ["SERVER_NAME"] = "testserver"
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


@pytest.mark.parametrize(
    ("path", "authorized"),
    [("/api/billing-int/v1/ping", True), ("/api/billing-int/v1/keys/self", True), ("/healthz", False)],
)
def test_an_answer_of_the_lean_path_leaves_nothing_for_the_garbage_collector(alice_key, path, authorized):
    """Each request of the API and of the probe is freed by reference counting alone: an object in a
    reference cycle (the CSP nonce once held the request in one) waits for the collector, whose runs
    every few dozen requests walk the whole heap now and then."""
    _key, token = alice_key
    handler = WSGIHandler()
    requests = []

    class Watched(WSGIRequest):
        def __init__(self, environ):
            super().__init__(environ)
            requests.append(weakref.ref(self))

    handler.request_class = Watched
    statuses = []

    def start_response(status, _headers, _exc_info=None):
        statuses.append(status)

    gc.collect()
    gc.disable()
    # As Django's test client does: the connection is the test's transaction, not to be closed.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        for _ in range(3):
            answer = handler(_environ(path, token if authorized else None), start_response)
            b"".join(answer)
            answer.close()
            del answer
        assert statuses == ["200 OK"] * 3
        assert requests
        assert all(request() is None for request in requests)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        gc.enable()
