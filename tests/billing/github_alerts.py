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


def self_signed_certificate(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 signed by its own key, written to `directory`: (certificate, key) paths.
    A test's HTTPS server presents it and the client trusts it as its only authority."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = f"{directory}/server.pem", f"{directory}/server.key"
    with open(cert_path, "wb") as file:
        file.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path
