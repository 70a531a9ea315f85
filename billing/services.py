"""Operations of the Billing Solutions API that write: delivering a document."""

import logging

from django.db import IntegrityError, transaction

from billing.models import Document

log = logging.getLogger("billing")


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key of a delivery was already used for a document with another request body."""


def document_replay(*, verification, idempotency_key: str | None, request_hash: str) -> Document | None:
    """The document already stored under this Idempotency-Key (a retry), None if there is none yet.

    Asked before the delivery is counted against the key's limit, so that a retry of a stored document
    is answered even at the limit and costs none of it. IdempotencyKeyReused for another body.
    """
    if idempotency_key is None:
        return None
    document = Document.objects.filter(
        organization_id=verification.organization_id, api=verification.api, idempotency_key=idempotency_key
    ).first()
    if document is not None and document.request_hash != request_hash:
        raise IdempotencyKeyReused(idempotency_key)
    return document


def document_deliver(
    *, verification, fields: dict, idempotency_key: str | None = None, request_hash: str = ""
) -> tuple[Document, bool]:
    """Store a document delivered with the verified key; answer it and whether it was created now.

    With an `idempotency_key`, a unique constraint (organization, API, key) decides: a retry, even
    one running at the same time in another process, finds the document stored first and gets it
    back (created is False) if its `request_hash` is the same, or IdempotencyKeyReused if not.
    """
    owner = {
        "organization_id": verification.organization_id,
        "api": verification.api,
        "api_key_id": verification.pk,
        "delivered_by_id": verification.user_id,
    }
    try:
        with transaction.atomic():
            document = Document.objects.create(
                **owner, **fields, idempotency_key=idempotency_key, request_hash=request_hash
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        document = Document.objects.filter(
            organization_id=verification.organization_id, api=verification.api, idempotency_key=idempotency_key
        ).first()
        if document is None:
            raise
        if document.request_hash != request_hash:
            raise IdempotencyKeyReused(idempotency_key) from None
        return document, False
    log.info(
        "document.delivered id=%s organization=%s api=%s key_id=%s",
        document.pk,
        verification.organization_id,
        verification.api,
        verification.key_id,
    )
    return document, True
