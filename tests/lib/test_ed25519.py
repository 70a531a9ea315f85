"""The streamed Ed25519 signature is byte for byte `cryptography`'s, and the report key's forms."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from efinance.lib import ed25519, report_key

RAW = (serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


@pytest.mark.parametrize("length", [0, 1, 63, 64, 65, 1000, 70_001])
def test_it_signs_as_cryptography_does_in_any_chunks(length):
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(*RAW)
    message = os.urandom(length)
    signature = ed25519.sign_stream(seed, lambda: (message[i : i + 4096] for i in range(0, length, 4096)))
    assert signature == key.sign(message)
    key.public_key().verify(signature, message)
    raw_public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert ed25519.public_key(seed) == raw_public


def test_the_report_key_is_read_as_base64_seed_or_pem(settings):
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(*RAW)
    settings.REPORT_SIGNING_KEY = base64.b64encode(seed).decode()
    assert report_key.signing_seed() == seed
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    settings.REPORT_SIGNING_KEY = pem.decode()
    assert report_key.signing_seed() == seed
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert report_key.public_key_pem() == public_pem


@pytest.mark.parametrize("value", ["not a key", base64.b64encode(b"short").decode()])
def test_a_wrong_report_key_is_refused_with_a_clear_message(settings, value):
    settings.REPORT_SIGNING_KEY = value
    with pytest.raises(ImproperlyConfigured, match="REPORT_SIGNING_KEY"):
        report_key.signing_seed()
