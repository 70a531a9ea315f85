"""The typed schemas of the Billing Solutions API: they validate input and make the OpenAPI description."""

import datetime
import re
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from ninja import Schema
from pydantic import Field, ValidationInfo, field_validator, model_validator

from apikeys.models import add_years
from billing import qr

# Printable text: no control characters (they have no place on an invoice, and PostgreSQL refuses NUL).
TEXT = r"^[^\x00-\x1f\x7f]*$"
MAX_AMOUNT = Decimal("999999999.99")
# A billing document's dates stay near today: an issue date at most 10 years back or 1 year ahead
# (Swiss retention is 10 years), a due date at most 10 years after the issue date.
ISSUE_YEARS_BACK, ISSUE_YEARS_AHEAD, DUE_YEARS_AFTER_ISSUE = 10, 1, 10
CENT = Decimal("0.01")
# The one spelling of an amount: ASCII digits (no leading zero but in "0.xx"), optionally a point and
# one or two decimals. `re.ASCII` and explicit [0-9]: `\d` would let Arabic-Indic digits through.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
AMOUNT_RE = re.compile(AMOUNT_PATTERN.removesuffix("$") + r"\Z", re.ASCII)


class Recipient(Schema):
    name: Annotated[str, Field(min_length=1, max_length=140, pattern=TEXT)]
    ebill_recipient_id: Annotated[
        str | None,
        Field(pattern=r"^[0-9]{17}$", description="The recipient's eBill participant ID: 17 digits."),
    ] = None
    email: Annotated[str | None, Field(max_length=254, description="The recipient's e-mail address.")] = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValueError("not a valid e-mail address") from None
        return value

    @model_validator(mode="after")
    def _reachable(self):
        if not self.ebill_recipient_id and not self.email:
            raise ValueError("give the recipient's ebill_recipient_id or email (or both)")
        return self


class DocumentIn(Schema):
    invoice_number: Annotated[str, Field(min_length=1, max_length=35, pattern=TEXT)]
    issue_date: datetime.date
    due_date: datetime.date
    currency: Literal["CHF", "EUR"]
    amount: Annotated[
        str,
        Field(
            strict=True,
            pattern=AMOUNT_PATTERN,
            examples=["1250.50", "12", "0.05"],
            description="A JSON string of ASCII digits with at most 2 decimal places after a point: "
            '"1250.50", "12", "0.05". Greater than 0, at most 999999999.99. No number, exponent, sign, '
            "space, underscore, thousands separator or leading zero.",
        ),
    ]
    recipient: Recipient
    qr_reference: Annotated[
        str | None,
        Field(
            max_length=40,
            description="QR reference of the QR-bill: 27 digits (spaces ignored), the last one the check digit "
            "modulo 10, recursive.",
        ),
    ] = None
    free_text: Annotated[str, Field(max_length=500, pattern=TEXT)] = ""

    @field_validator("amount")
    @classmethod
    def _canonical_amount(cls, value: str) -> str:
        """One spelling only (`AMOUNT_RE`); then always two places, so that "99.9" and "99.90" are the
        same amount (and the same retry)."""
        if not AMOUNT_RE.fullmatch(value):
            raise ValueError('not an amount: a string of ASCII digits with at most 2 decimals, e.g. "1250.50"')
        amount = Decimal(value).quantize(CENT)
        if not 0 < amount <= MAX_AMOUNT:
            raise ValueError("the amount must be greater than 0 and at most 999999999.99")
        return str(amount)

    @field_validator("qr_reference")
    @classmethod
    def _qr_reference(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not qr.is_valid(value):
            raise ValueError("not a QR reference: 27 digits whose last one is the check digit (modulo 10, recursive)")
        return qr.normalize(value)

    @field_validator("issue_date")
    @classmethod
    def _issue_date_near_today(cls, value: datetime.date) -> datetime.date:
        today = timezone.localdate()
        if not add_years(today, -ISSUE_YEARS_BACK) <= value <= add_years(today, ISSUE_YEARS_AHEAD):
            raise ValueError(
                f"the issue date must lie between {ISSUE_YEARS_BACK} years ago and {ISSUE_YEARS_AHEAD} year ahead"
            )
        return value

    @field_validator("due_date")
    @classmethod
    def _not_before_issue(cls, value: datetime.date, info: ValidationInfo) -> datetime.date:
        issue_date = info.data.get("issue_date")
        if issue_date is not None and value < issue_date:
            raise ValueError("the due date is before the issue date")
        if issue_date is not None and value > add_years(issue_date, DUE_YEARS_AFTER_ISSUE):
            raise ValueError(f"the due date is more than {DUE_YEARS_AFTER_ISSUE} years after the issue date")
        return value


class RecipientOut(Schema):
    name: str
    ebill_recipient_id: str | None
    email: str | None


class DocumentOut(Schema):
    id: uuid.UUID
    status: str
    delivered_at: datetime.datetime
    api: str
    key_id: str
    delivered_by: str
    invoice_number: str
    issue_date: datetime.date
    due_date: datetime.date
    currency: str
    amount: Decimal
    recipient: RecipientOut
    qr_reference: str | None
    free_text: str

    @staticmethod
    def of(document, key_id: str | None = None, delivered_by: str | None = None) -> dict:
        """The answer for a document; `key_id` and `delivered_by` when known save loading key and user."""
        return {
            "id": document.id,
            "status": document.status,
            "delivered_at": document.created_at,
            "api": document.api,
            "key_id": key_id or document.api_key.key_id,
            "delivered_by": delivered_by or document.delivered_by.username,
            "invoice_number": document.invoice_number,
            "issue_date": document.issue_date,
            "due_date": document.due_date,
            "currency": document.currency,
            "amount": document.amount,
            "recipient": {
                "name": document.recipient_name,
                "ebill_recipient_id": document.recipient_ebill_id or None,
                "email": document.recipient_email or None,
            },
            "qr_reference": document.qr_reference or None,
            "free_text": document.free_text,
        }


class DocumentPage(Schema):
    items: list[DocumentOut]
    count: int
    page: int
    page_size: int


class Ping(Schema):
    key_id: str
    api: str
    user: str
    organization: str
    valid_until: datetime.date


class KeySelf(Schema):
    key_id: str = Field(description="The public key ID (the part of the token shown in every list).")
    api: Literal["production", "integration"]
    user: str = Field(description="The «User identification» of the key's user.")
    organization: str
    valid_until: datetime.date = Field(description="The last day on which the key is valid (Europe/Zurich).")
    replaced_until: datetime.datetime | None = Field(
        description="Set once the key has been replaced: the moment it stops working (ISO 8601, UTC)."
    )
    stops_at: datetime.datetime = Field(
        description="When the key stops working at the latest: the end of its replacement, else midnight "
        "after its last valid day (ISO 8601, UTC)."
    )
    days_left: int = Field(
        description="Days the key works on after today, in Europe/Zurich: the last day before `stops_at` − "
        "today (0 on its last day; for a replaced key, counted to the end of its replacement)."
    )
    scopes: list[Literal["documents:read", "documents:write"]] = Field(
        description="What the key may do, fixed when it was created: `documents:read` (list and read documents), "
        "`documents:write` (deliver documents)."
    )
