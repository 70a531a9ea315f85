"""Delivering billing documents and reading them back."""

import datetime
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Annotated

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema, Status

from apikeys.models import Scope
from billing.api.auth import ApiKeyBearer
from billing.api.problems import AUTH_ERRORS, INPUT_ERRORS, SCOPE_ERRORS, Problem, ProblemError
from billing.api.schemas import DocumentIn, DocumentOut, DocumentPage
from billing.models import DeliveryCounter, Document, DocumentStatus
from billing.services import IdempotencyKeyReused, document_deliver, document_replay

router = Router(tags=["documents"])

# Least privilege: reading and delivering are scopes of their own (the API of the request still decides
# which keys are accepted: `ApiKeyBearer.api_of`).
READ = ApiKeyBearer(scope=Scope.DOCUMENTS_READ)
WRITE = ApiKeyBearer(scope=Scope.DOCUMENTS_WRITE)


class DocumentFilter(Schema):
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    page_size: int = Field(20, ge=1, le=100, description="Documents per page, at most 100.")
    status: DocumentStatus | None = Field(None, description="Only documents in this status.")
    delivered_from: datetime.date | None = Field(None, description="Delivered on or after this day (Europe/Zurich).")
    delivered_to: datetime.date | None = Field(None, description="Delivered on or before this day (Europe/Zurich).")


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


def _request_hash(payload: DocumentIn) -> str:
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@router.post(
    "documents",
    response={201: DocumentOut, **AUTH_ERRORS, **SCOPE_ERRORS, **INPUT_ERRORS, 429: Problem},
    summary="Deliver a billing document",
    auth=WRITE,
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
    429 with `Retry-After` (seconds until the next minute). A retry of a document already stored (same
    `Idempotency-Key` and body) is answered even then, and does not count.
    """
    auth = request.auth
    request_hash = _request_hash(payload)
    try:
        # A retry of a document already stored is answered first: even at the limit, and not counted.
        document = document_replay(verification=auth, idempotency_key=idempotency_key, request_hash=request_hash)
        created = False
        if document is None:
            _limit_deliveries(auth.pk)
            document, created = document_deliver(
                verification=auth,
                fields=_document_fields(payload),
                idempotency_key=idempotency_key,
                request_hash=request_hash,
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


@router.get("documents", response={200: DocumentPage, **AUTH_ERRORS, **SCOPE_ERRORS, 422: Problem}, auth=READ)
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


@router.get(
    "documents/{document_id}",
    response={200: DocumentOut, **AUTH_ERRORS, **SCOPE_ERRORS, 404: Problem, 422: Problem},
    auth=READ,
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


def _document_fields(payload: DocumentIn) -> dict:
    return {
        "invoice_number": payload.invoice_number,
        "issue_date": payload.issue_date,
        "due_date": payload.due_date,
        "currency": payload.currency,
        "amount": Decimal(payload.amount),
        "recipient_name": payload.recipient.name,
        "recipient_ebill_id": payload.recipient.ebill_recipient_id or "",
        "recipient_email": payload.recipient.email or "",
        "qr_reference": payload.qr_reference or "",
        "free_text": payload.free_text,
    }
