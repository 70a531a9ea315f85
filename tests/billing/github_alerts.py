"""GitHub's secret scanning as the tests play it: a P-256 key pair made here (`cryptography`) stands in
for GitHub's, published in a keys document of GitHub's shape; alerts are signed with it, never with a
real GitHub key."""

import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def keys_document(*entries) -> bytes:
    """GitHub's document of its public keys, one entry per (identifier, private key, is current)."""
    return json.dumps(
        {
            "public_keys": [
                {"key_identifier": identifier, "key": _pem(key), "is_current": current}
                for identifier, key, current in entries
            ]
        }
    ).encode()


def sign(key: ec.EllipticCurvePrivateKey, body: bytes) -> str:
    """The signature of `body` as GitHub sends it (base64 of the DER ECDSA signature over SHA-256)."""
    return base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def alert(matches) -> bytes:
    """An alert's body: one match per (token, URL where GitHub found it)."""
    return json.dumps(
        [
            {"token": token, "type": "efinance_billing_solutions_api_token", "url": url, "source": "content"}
            for token, url in matches
        ]
    ).encode()
