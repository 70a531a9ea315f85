"""The operations of the Billing Solutions API; `build_api` makes one NinjaAPI per environment."""

import datetime
import hashlib
import json
import uuid
from typing import Annotated

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, NinjaAPI, Query, Schema, Status, Swagger

from apikeys.api.auth import ApiKeyBearer
from apikeys.api.problems import CONTENT_TYPE, Problem, ProblemError, install_handlers
from apikeys.api.schemas import DocumentIn, DocumentOut, DocumentPage, Ping
from apikeys.models import Api, DeliveryCounter, Document, DocumentStatus
from apikeys.services import IdempotencyKeyReused, document_deliver

TITLES = {Api.PRODUCTION: "Billing Solutions", Api.INTEGRATION: "Billing Solutions Customer Integration"}
NAMESPACES = {Api.PRODUCTION: "billing", Api.INTEGRATION: "billing-int"}

DESCRIPTION = """Deliver billing documents to e-finance.

Authenticate every call with `Authorization: Bearer <API key>`. An Admin user of your e-finance contract
creates keys under Administration → User management → Details; a key works only with the API it was
created for ({other} is the other one).

Errors are problem documents (RFC 9457, `application/problem+json`) with `type`, `title`, `status` and
`detail`; a refused key also has `reason`, a validation error lists each field in `errors`. Request
bodies are limited to {limit} bytes. `POST documents` with an `Idempotency-Key` header can be retried
safely: a retry answers the document already stored.
"""

AUTH_ERRORS = {401: Problem, 500: Problem, 503: Problem}
INPUT_ERRORS = {400: Problem, 413: Problem, 415: Problem, 422: Problem}


def _limit_deliveries(api_key_pk: int) -> None:
    now = timezone.now()
    if DeliveryCounter.objects.hit(api_key_pk, now) > settings.API_DELIVERIES_PER_MINUTE:
        raise ProblemError(
            429,
            _("This key has delivered the most documents allowed in one minute. Send the rest after Retry-After."),
            type_="rate-limited",
            title=_("Too many deliveries"),
            headers={"Retry-After": str(60 - now.second)},
        )


class DocumentFilter(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    page_size: int = Field(20, ge=1, le=100, description="Documents per page, at most 100.")
    status: DocumentStatus | None = Field(None, description="Only documents in this status.")
    delivered_from: datetime.date | None = Field(None, description="Delivered on or after this day (Europe/Zurich).")
    delivered_to: datetime.date | None = Field(None, description="Delivered on or before this day (Europe/Zurich).")


class BillingApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Error responses are described with their real media type, `application/problem+json`."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {CONTENT_TYPE: content.pop("application/json")}
        return schema


def _request_hash(payload: DocumentIn) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def build_api(environment: Api) -> NinjaAPI:
    other = Api.INTEGRATION if environment == Api.PRODUCTION else Api.PRODUCTION
    api = BillingApi(
        title=TITLES[environment],
        version="1",
        description=DESCRIPTION.format(other=TITLES[other], limit=settings.API_MAX_BODY_BYTES),
        auth=ApiKeyBearer(environment),
        urls_namespace=NAMESPACES[environment],
        docs=Swagger(settings={"persistAuthorization": False}),
        docs_url="docs",
        openapi_url="openapi.json",
    )
    install_handlers(api)

    @api.get("ping", response={200: Ping, **AUTH_ERRORS}, summary="Check an API key", tags=["keys"])
    def ping(request):
        """The key is valid for this API: its key ID, API, user, organization and validity end."""
        auth = request.auth
        # The hot path: a JsonResponse as ninja would render it, without validating our own answer.
        return JsonResponse(
            {
                "key_id": auth.key_id,
                "api": auth.api,
                "user": auth.username,
                "organization": auth.organization_name,
                "valid_until": auth.valid_until.isoformat(),
            },
            json_dumps_params={"ensure_ascii": False},
        )

    @api.post(
        "documents",
        response={201: DocumentOut, **AUTH_ERRORS, **INPUT_ERRORS, 429: Problem},
        summary="Deliver a billing document",
        tags=["documents"],
    )
    def deliver(
        request,
        response: HttpResponse,
        payload: DocumentIn,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                pattern=r"^[\x21-\x7e]{1,255}$",
                description="Up to 255 printable ASCII characters, unique per document: a retry with the same "
                "key and body answers the document already stored; with another body it is refused (422).",
            ),
        ] = None,
    ):
        """Store one billing document for your organization in this environment.

        A key may deliver `API_DELIVERIES_PER_MINUTE` documents a minute (600 by default); beyond,
        429 with `Retry-After` (seconds until the next minute).
        """
        auth = request.auth
        _limit_deliveries(auth.pk)
        try:
            document, created = document_deliver(
                verification=auth,
                fields=_document_fields(payload),
                idempotency_key=idempotency_key,
                request_hash=_request_hash(payload),
            )
        except IdempotencyKeyReused:
            raise ProblemError(
                422,
                _("This Idempotency-Key was already used with another request body. Use a new key for a new document."),
                type_="idempotency-key-reused",
                title=_("Idempotency-Key reused"),
            ) from None
        if created:
            return Status(201, DocumentOut.of(document, key_id=auth.key_id, delivered_by=auth.username))
        response["Idempotent-Replayed"] = "true"
        return Status(201, DocumentOut.of(document))

    @api.get("documents", response={200: DocumentPage, **AUTH_ERRORS, 422: Problem}, tags=["documents"])
    def list_documents(request, filters: Query[DocumentFilter]):
        """Your organization's documents in this environment, newest first."""
        auth = request.auth
        documents = Document.objects.visible_to(auth.organization_id, auth.api)
        if filters.status:
            documents = documents.filter(status=filters.status)
        if filters.delivered_from:
            documents = documents.filter(created_at__date__gte=filters.delivered_from)
        if filters.delivered_to:
            documents = documents.filter(created_at__date__lte=filters.delivered_to)
        start = (filters.page - 1) * filters.page_size
        items = documents.select_related("api_key", "delivered_by")[start : start + filters.page_size]
        return {
            "items": [DocumentOut.of(document) for document in items],
            "count": documents.count(),
            "page": filters.page,
            "page_size": filters.page_size,
        }

    @api.get(
        "documents/{document_id}",
        response={200: DocumentOut, **AUTH_ERRORS, 404: Problem, 422: Problem},
        tags=["documents"],
    )
    def get_document(request, document_id: uuid.UUID):
        """One document of your organization in this environment; any other ID is 404."""
        auth = request.auth
        document = (
            Document.objects.visible_to(auth.organization_id, auth.api)
            .select_related("api_key", "delivered_by")
            .filter(pk=document_id)
            .first()
        )
        if document is None:
            raise ProblemError(404, _("No document with this ID in your organization and this environment."))
        return DocumentOut.of(document)

    return api


def _document_fields(payload: DocumentIn) -> dict:
    return {
        "invoice_number": payload.invoice_number,
        "issue_date": payload.issue_date,
        "due_date": payload.due_date,
        "currency": payload.currency,
        "amount": payload.amount,
        "recipient_name": payload.recipient.name,
        "recipient_ebill_id": payload.recipient.ebill_recipient_id or "",
        "recipient_email": payload.recipient.email or "",
        "qr_reference": payload.qr_reference or "",
        "free_text": payload.free_text,
    }
