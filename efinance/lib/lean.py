"""The lean path: requests under `LEAN_PATH_PREFIXES` (the API, /healthz) run `LEAN_MIDDLEWARE` only.

`LeanPathMiddleware` comes first in `MIDDLEWARE` (after `efinance.lib.head`, which only turns HEAD into
GET). A request whose path starts with one of the prefixes
is handed to a second handler chain built from `LEAN_MIDDLEWARE` (the same URL resolution, views,
view middleware and exception handling as Django's own), and never reaches the rest of `MIDDLEWARE`:
no session is read, written or extended, no user is loaded, no CSRF cookie or message store exists,
the login protection is not asked. `Host` is checked against `ALLOWED_HOSTS` first, as on every other
path. Every other path goes down `MIDDLEWARE` as before.

Measured by ``python -m tools.bench_auth``: the project's full middleware halves a trivial request,
and an authenticated API call needs none of it (it authenticates by key, per request). A middleware
that the API needs as well goes in both lists.

Every answer of the lean path carries `Content-Length` (what `CommonMiddleware` adds on the other
paths, without its redirects): without it gunicorn sends a body in chunks, one more write on the
socket per answer and a last chunk when it closes (py-spy on a worker under wrk: a sixth of the
worker's time in those writes).
"""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from efinance.lib.headers import FixedHeaders, set_content_length


class _LeanHandler(BaseHandler):
    """Django's request handling with `middleware_paths` instead of `settings.MIDDLEWARE` (sync only)."""

    def __init__(self, middleware_paths: list[str]):
        super().__init__()
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(middleware_paths):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self.chain = handler


class LeanPathMiddleware:
    """First in `MIDDLEWARE` (but HEAD's): paths under `LEAN_PATH_PREFIXES` take the `LEAN_MIDDLEWARE` chain."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.LEAN_PATH_PREFIXES)
        self.lean = _LeanHandler(settings.LEAN_MIDDLEWARE).chain

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path_info.startswith(self.prefixes):
            return self.get_response(request)
        # `Host` against ALLOWED_HOSTS as on every other path (there `CommonMiddleware` asks): a host not
        # allowed raises DisallowedHost, which Django's handler answers with 400.
        request.get_host()
        response = self.lean(request)
        if not response.streaming and not response.has_header("Content-Length"):
            set_content_length(response, len(response.content))
        return response


class _SecureProbe(HttpRequest):
    """A request that is over HTTPS or not: all that `SecurityMiddleware.process_response` asks of one."""

    def __init__(self, secure: bool):
        super().__init__()
        self.secure = secure

    def is_secure(self) -> bool:
        return self.secure


class LeanSecurityMiddleware(SecurityMiddleware):
    """Django's `SecurityMiddleware` for the lean path: its own HTTPS redirect (`process_request`), and
    the headers of its own `process_response` (HSTS over HTTPS, nosniff, the referrer and opener
    policies), which depend on the settings and `request.is_secure()` only. Django works them out
    once here, on an empty response for a request over HTTPS and one over HTTP; each answer then
    gets the set for its request in one step (`efinance.lib.headers`), each header only where the
    answer has none of that name yet, as Django's does."""

    def __init__(self, get_response):
        super().__init__(get_response)
        django_headers = super().process_response
        self.headers = {
            secure: FixedHeaders.of(django_headers(_SecureProbe(secure), HttpResponse())) for secure in (True, False)
        }

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        self.headers[request.is_secure()].set_defaults(response)
        return response


class AcceptLanguageMiddleware:
    """The lean path's language, instead of `LocaleMiddleware`: the language that Django's
    `get_language_from_request` chooses (the language cookie, then `Accept-Language`), active for the
    texts of the problem documents, and said in `Content-Language` with `Vary: Accept-Language`.

    What it leaves out of `LocaleMiddleware` is its handling of a language prefix in the URL (the
    API's paths have none), which reads the path twice per request and cost the authenticated ping
    more than the rest of the language's work.

    The choice depends on the cookie's value and the header only, so it is made once per pair of
    them, with its `Content-Language` header (`chosen`; with the settings of when the middleware was
    made, as Django's own middleware read theirs); a language already active in the thread (the
    previous request's, as with `LocaleMiddleware`) is not activated again; the headers are written in
    one step (`efinance.lib.headers`). Counted with callgrind, the choice, the activation and the two
    headers cost 56,000 instructions before, about half of the verification's query.
    """

    VARY = FixedHeaders({"Vary": "Accept-Language"})

    def __init__(self, get_response):
        self.get_response = get_response
        self.cookie_name = settings.LANGUAGE_COOKIE_NAME
        self.chosen = lru_cache(maxsize=256)(self._choose)

    @staticmethod
    def _choose(cookie: str | None, accept_language: str) -> tuple[str, FixedHeaders]:
        language = negotiate(cookie, accept_language)
        return language, FixedHeaders({"Content-Language": language})

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        cookie, accept_language = request.COOKIES.get(self.cookie_name), request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        language, content_language = self.chosen(cookie, accept_language)
        if translation.get_language() != language:
            translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if response.has_header("Vary"):
            patch_vary_headers(response, ("Accept-Language",))
        else:
            self.VARY.set(response)
        content_language.set_defaults(response)
        return response


def negotiate(cookie: str | None, accept_language: str) -> str:
    """The language that `get_language_from_request` chooses for this language cookie and
    Accept-Language header, the only parts of a request it reads (without a path to check)."""
    probe = HttpRequest()
    if cookie is not None:
        probe.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    probe.META["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return translation.get_language_from_request(probe)
