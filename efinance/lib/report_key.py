"""The bank's report key: the Ed25519 key that signs credential reports (`REPORT_SIGNING_KEY`).

The setting holds the private key as PEM (PKCS #8, «-----BEGIN PRIVATE KEY-----») or as its 32-byte
seed in base64 (what `scripts/setup` writes). Its public half is published without login at
`/.well-known/efinance-report-key.pem`, so that an auditor checks a report offline:

    openssl pkeyutl -verify -pubin -inkey efinance-report-key.pem -rawin -in report.csv -sigfile report.csv.sig

Only a DEBUG run may go without the setting; it then signs with a fixed development key.
"""

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.views.decorators.http import require_GET

DEVELOPMENT_PREFIX = "insecure-development-"
PUBLIC_KEY_PATH = ".well-known/efinance-report-key.pem"


@lru_cache(maxsize=4)
def _seed(value: str) -> bytes:
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("REPORT_SIGNING_KEY is a PEM key, but not an Ed25519 one")
        return key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    if value.startswith(DEVELOPMENT_PREFIX):  # `_required_secret`'s stand-in, DEBUG only
        return hashlib.sha256(value.encode()).digest()
    try:
        seed = base64.b64decode(value, validate=True)
    except binascii.Error:
        seed = b""
    if len(seed) != 32:
        raise ImproperlyConfigured(
            "REPORT_SIGNING_KEY must be an Ed25519 private key as PEM, or its 32-byte seed in base64"
        )
    return seed


def signing_seed() -> bytes:
    return _seed(settings.REPORT_SIGNING_KEY)


def public_key_pem() -> bytes:
    public = Ed25519PrivateKey.from_private_bytes(signing_seed()).public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@login_not_required
@require_GET
def public_key_view(request):
    """The bank's public report key (PEM), for anyone: an auditor needs no login to check a report."""
    response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="efinance-report-key.pem"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
