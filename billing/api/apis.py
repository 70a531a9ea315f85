"""The NinjaAPI instances: the two of the Billing Solutions API, one per API of a key, each with the
same module-level routers mounted (django-ninja's layout), its own Bearer authentication, OpenAPI
description and Swagger UI:

- «Billing Solutions» (production), URL namespace ``billing``;
- «Billing Solutions Customer Integration», URL namespace ``billing-int``;

and a third, outside both environments and without authentication, for reports of exposed tokens
(`POST /api/credentials/revoke`, GitHub's `POST /api/secret-scanning/github`), URL namespace
``credentials``, its description at ``/api/credentials/openapi.json``.

A key works only with the API it was made for (`ApiKeyBearer`).
"""

from django.conf import settings
from ninja import NinjaAPI, Swagger
from ninja.openapi.schema import OpenAPISchema

from apikeys.models import Api
from billing.api import credentials, documents, github, keys
from billing.api.auth import NAMESPACES, ApiKeyBearer
from billing.api.parser import StrictJsonParser
from billing.api.problems import CONTENT_TYPE, install_handlers

TITLES = {Api.PRODUCTION: "Billing Solutions", Api.INTEGRATION: "Billing Solutions Customer Integration"}

DESCRIPTION = """Deliver billing documents to e-finance.

Authenticate every call with `Authorization: Bearer <API key>`. An Admin user of your e-finance contract
creates keys under Administration → User management → Details; a key works only with the API it was
created for ({other} is the other one). Never put a key in a URL: such a request is refused (400
`token-in-url`) and the key's Activity records that it was exposed. After too many failed
authentications from one address in a minute, further failures are answered 429 with `Retry-After`.

Request bodies are `application/json` (optionally `; charset=utf-8`), each key at most once per object;
an `amount` is a string such as `"1250.50"`.

Errors are problem documents (RFC 9457, `application/problem+json`) with `type`, `title`, `status` and
`detail`; a refused key also has `reason`, a validation error lists each field in `errors`. Request
bodies are limited to {limit} bytes. `POST documents` with an `Idempotency-Key` header can be retried
safely: a retry answers the document already stored.

Each key has scopes, chosen when it was created: `documents:read` (list and read documents) and
`documents:write` (deliver documents); every operation names the scope it needs in its security
requirement. `ping` and `keys/self` work with any key. A key without the scope of an operation is
refused 403 `insufficient-scope` (`WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`,
RFC 6750) and nothing is stored.

Every response to an authenticated request carries the key's end: `Api-Key-Expires` (its last valid
day, e.g. `2028-11-30`) and `Sunset` (RFC 8594: the moment it stops working, as an HTTP date; earlier
when the key has been replaced). `GET keys/self` describes the presented key. Reminders go by e-mail
30, 7 and 1 day(s) before the end; «Replace» makes a new key while the old one works on for a while.
"""

KEY_END_HEADERS = {
    "Api-Key-Expires": {
        "description": "The last day on which the presented key is valid (ISO 8601 date, Europe/Zurich).",
        "schema": {"type": "string", "format": "date"},
    },
    "Sunset": {
        "description": "RFC 8594: when the presented key stops working (HTTP date): midnight after its last "
        "valid day, or the end of its replacement if that comes first.",
        "schema": {"type": "string"},
    },
}
KEY_END_NOTE = (
    "\n\nEvery response to an authenticated call carries the key's end in the headers `Api-Key-Expires` and `Sunset`."
)


class ScopedSchema(OpenAPISchema):
    """Each operation's security requirement names the scope its key needs (ninja leaves it empty)."""

    def operation_security(self, operation):
        security = super().operation_security(operation)
        scopes = [auth.scope for auth in operation.auth_callbacks if getattr(auth, "scope", None)]
        for requirement in security or ():
            for name in requirement:
                requirement[name] = [str(scope) for scope in scopes]
        return security


class BillingApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Error responses are described with their real media type, `application/problem+json`; the
        responses of authenticated operations with the key's end in their headers; each operation's
        security requirement with its scope (`ScopedSchema`)."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = ScopedSchema(self, path_prefix)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                authenticated = any(int(status) == 401 for status in responses)
                if authenticated:  # the key's end in the headers of every answer but the refusal
                    operation["description"] = operation.get("description", "") + KEY_END_NOTE
                for status, response in responses.items():
                    if authenticated and int(status) != 401:
                        response.setdefault("headers", {}).update(KEY_END_HEADERS)
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {CONTENT_TYPE: content.pop("application/json")}
        return schema


def _billing_api(api: Api) -> NinjaAPI:
    other = Api.INTEGRATION if api == Api.PRODUCTION else Api.PRODUCTION
    ninja_api = BillingApi(
        title=TITLES[api],
        version="1",
        description=DESCRIPTION.format(other=TITLES[other], limit=settings.API_MAX_BODY_BYTES),
        auth=ApiKeyBearer(api),
        urls_namespace=NAMESPACES[api],
        docs=Swagger(settings={"persistAuthorization": False}),
        docs_url="docs",
        openapi_url="openapi.json",
        parser=StrictJsonParser(),
    )
    install_handlers(ninja_api)
    ninja_api.add_router("", keys.router)
    ninja_api.add_router("", documents.router)
    return ninja_api


production = _billing_api(Api.PRODUCTION)
integration = _billing_api(Api.INTEGRATION)


CREDENTIALS_DESCRIPTION = """Report tokens of the Billing Solutions API that were exposed: every reported token that
belongs to a valid key deletes that key at once and for good, and the key's owners are told by e-mail.

No authentication. The answer never says whether a token was valid. Tokens look like
`bsprod_<key ID>_<secret>_<checksum>` (production) or `bsint_…` (customer integration); the pattern
and its checksum are published in the repository (`docs/token-format.json`).

Errors are problem documents (RFC 9457, `application/problem+json`). Request bodies are limited to {limit}
bytes.
"""


def _credentials_api() -> NinjaAPI:
    ninja_api = BillingApi(
        title="Exposed credentials",
        version="1",
        description=CREDENTIALS_DESCRIPTION.format(limit=settings.CREDENTIALS_MAX_BODY_BYTES),
        auth=None,
        urls_namespace="credentials",
        docs=Swagger(settings={"persistAuthorization": False}),
        docs_url="credentials/docs",
        openapi_url="credentials/openapi.json",
        parser=StrictJsonParser(),
    )
    install_handlers(ninja_api)
    ninja_api.add_router("", credentials.router)
    ninja_api.add_router("", github.router)
    return ninja_api


exposed_credentials = _credentials_api()
