"""Every error of the Billing Solutions API is a problem document (RFC 9457), never HTML.

`type` is ``about:blank`` for plain HTTP errors (the title is then the HTTP status phrase) and a URN
of this API for its own problems, so that software can tell them apart:

- ``urn:efinance:problem:invalid-token`` (401) with ``reason``: missing, malformed, unknown,
  deleted, expired, user_inactive, wrong_api;
- ``urn:efinance:problem:insufficient-scope`` (403) with ``reason`` and ``scope``: the key lacks the
  operation's scope;
- ``urn:efinance:problem:validation`` (422) with ``errors``: one ``{location, field, reason}`` each;
- ``urn:efinance:problem:idempotency-key-reused`` (422): the same Idempotency-Key with another body;
- ``urn:efinance:problem:malformed-json`` (400);
- ``urn:efinance:problem:duplicate-key`` (400): a key twice in one JSON object of the body;
- ``urn:efinance:problem:not-utf-8`` (400) with ``reason``: the body is UTF-16, UTF-32, starts with a
  byte-order mark, or is not UTF-8 at all (RFC 8259: JSON between systems is UTF-8).

A database that is down or a broken connection answers 503 with ``Retry-After``: the same request
(with the same Idempotency-Key) can be sent again.
"""

import json
import logging
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from billing.api.parser import DuplicateKey, NotUtf8

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:efinance:problem:"

log = logging.getLogger("billing.api")


class FieldError(Schema):
    location: str
    field: str
    reason: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    reason: str | None = None
    errors: list[FieldError] | None = None
    scope: str | None = None


# Every operation may answer these; operations with a body or parameters add INPUT_ERRORS.
AUTH_ERRORS = {401: Problem, 429: Problem, 500: Problem, 503: Problem}  # 429: too many failed authentications
SCOPE_ERRORS = {403: Problem}  # the key lacks the operation's scope
INPUT_ERRORS = {400: Problem, 413: Problem, 415: Problem, 422: Problem}


class ProblemError(Exception):
    """Raised anywhere in the API to answer a problem document."""

    def __init__(self, status: int, detail, *, type_: str = "", title=None, headers=None, **extra):
        super().__init__(str(detail))
        self.status, self.detail, self.type, self.title = status, detail, type_, title
        self.headers, self.extra = headers or {}, extra

    def response(self) -> HttpResponse:
        """The problem document, for code outside ninja's handlers (a middleware)."""
        return problem_response(
            self.status, self.detail, type_=self.type, title=self.title, headers=self.headers, **self.extra
        )


def problem_response(
    status: int, detail, *, type_: str = "", title=None, headers: dict | None = None, **extra
) -> HttpResponse:
    body = {
        "type": f"{TYPE_PREFIX}{type_}" if type_ else "about:blank",
        "title": str(title or HTTPStatus(status).phrase),
        "status": status,
        "detail": str(detail),
    }
    body.update({name: value for name, value in extra.items() if value is not None})
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(errors: list[dict]) -> list[dict]:
    """Ninja's (pydantic's) errors as `{location, field, reason}`; the body parameter's name is dropped."""
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc else "body"
        rest = loc[1:]
        if location == "body" and rest:
            rest = rest[1:]  # the name of the view's body parameter, not part of the document
        result.append({"location": location, "field": ".".join(rest), "reason": error.get("msg", "")})
    return result


def install_handlers(api) -> None:
    """Replace ninja's default handlers (plain JSON, or a traceback page) with problem documents."""

    @api.exception_handler(ProblemError)
    def _problem(request, exc: ProblemError):
        return exc.response()

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        return problem_response(
            422,
            _("The request is not valid: see `errors` for each field and the reason."),
            type_="validation",
            title=_("Validation failed"),
            errors=_field_errors(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem_response(401, _("An API key is required."), headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        if exc.status_code == 400 and isinstance(exc.__cause__, DuplicateKey):
            return problem_response(
                400,
                _("The request body has the key «%(key)s» twice in one object: send each key once.")
                % {"key": exc.__cause__.key[:100]},
                type_="duplicate-key",
                title=_("Duplicate key in JSON"),
            )
        if exc.status_code == 400 and isinstance(exc.__cause__, NotUtf8):
            return problem_response(
                400,
                _("The request body must be UTF-8 without a byte-order mark (not UTF-16 or UTF-32)."),
                type_="not-utf-8",
                title=_("JSON not in UTF-8"),
                reason=exc.__cause__.reason,
            )
        if exc.status_code == 400:
            return problem_response(
                400, _("The request body is not valid JSON."), type_="malformed-json", title=_("Malformed JSON")
            )
        return problem_response(exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem_response(404, _("No such resource."))

    def _database_unavailable(request, exc):
        log.warning("api.database_unavailable path=%s error=%s", request.path, type(exc).__name__)
        return problem_response(
            503,
            _("The service is briefly unavailable. Send the same request again in a few seconds."),
            headers={"Retry-After": "5"},
        )

    # The database is down or the connection broke: worth a retry (an IntegrityError is not).
    api.add_exception_handler(OperationalError, _database_unavailable)
    api.add_exception_handler(InterfaceError, _database_unavailable)

    @api.exception_handler(Exception)
    def _server_error(request, exc):
        log.exception("api.error path=%s", request.path)
        return problem_response(500, _("An unexpected error occurred. Please try again later."))
