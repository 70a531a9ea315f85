"""The second factors' secrets at rest, under `settings.OTP_ENCRYPTION_KEY` (apart from SECRET_KEY and
API_KEY_PEPPER, so that one leaking does not expose the others).

- TOTP keys: Fernet (AES-128-CBC with HMAC-SHA-256, from `cryptography`) under a key derived from
  the setting by HKDF; the database holds only the ciphertext.
- Recovery codes: HMAC-SHA-256 under a second derived key. A code has 50 random bits and is used at
  most once, so a keyed hash is enough (a slow password hash would make each login's lookup cost
  what a password check costs), and it lets the lookup be one indexed query.
"""

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derived(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"efinance " + purpose).derive(secret.encode())


@functools.cache
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived(secret, b"totp key")))


@functools.cache
def _code_key(secret: str) -> bytes:
    return _derived(secret, b"recovery code")


def encrypt(value: bytes) -> str:
    return _fernet(settings.OTP_ENCRYPTION_KEY).encrypt(value).decode("ascii")


def decrypt(token: str) -> bytes:
    return _fernet(settings.OTP_ENCRYPTION_KEY).decrypt(token.encode("ascii"))


def code_digest(code: str) -> str:
    """The stored form of a recovery code (already normalized: `normalize_code`)."""
    return hmac.new(_code_key(settings.OTP_ENCRYPTION_KEY), code.encode(), hashlib.sha256).hexdigest()
