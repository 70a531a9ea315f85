"""GitHub's secret-scanning partner program: the public keys that sign its alerts, and their check.

GitHub publishes the keys at `GITHUB_KEYS_URL` as ``{"public_keys": [{"key_identifier": ..., "key":
"<PEM>", "is_current": true}, ...]}``. The app never fetches them while answering an alert: the
command ``refresh_github_scanning_keys`` (cron) writes them to the file named by the setting
`SECRET_SCANNING_GITHUB_KEYS_FILE`, and each alert reads that file, so that every app server sees a
refresh at once and a GitHub outage cannot block an alert. A key that is no longer current still
verifies: alerts signed just before a rotation arrive after it.

An alert is the raw request body signed with ECDSA P-256 / SHA-256; the header
``Github-Public-Key-Identifier`` names the key, ``Github-Public-Key-Signature`` carries the DER
signature in base64.
"""

import base64
import binascii
import json
import os
import ssl
import tempfile
import urllib.request
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

GITHUB_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning"
MAX_KEYS_FILE_BYTES = 1024 * 1024


class KeysDocumentError(ValueError):
    """Not a document of GitHub's public keys: not JSON, or not the published shape."""


def parse_keys_document(data: bytes) -> dict[str, str]:
    """The keys of a document in GitHub's shape, as {key_identifier: PEM}; KeysDocumentError otherwise.

    Each key must be a P-256 public key in PEM, so that a document that would verify nothing is refused
    before it replaces a good one.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise KeysDocumentError(f"not JSON: {error}") from None
    entries = document.get("public_keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise KeysDocumentError('no "public_keys" list')
    keys = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise KeysDocumentError("a public key is not an object")
        identifier, pem = entry.get("key_identifier"), entry.get("key")
        if not isinstance(identifier, str) or not identifier or not isinstance(pem, str):
            raise KeysDocumentError('a public key lacks "key_identifier" or "key"')
        _load_p256(pem)
        keys[identifier] = pem
    return keys


def _load_p256(pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as error:
        raise KeysDocumentError(f"not a PEM public key: {error}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeysDocumentError("not an ECDSA P-256 key")
    return key


def load_public_keys(path: str | None = None) -> dict[str, str]:
    """The keys of the file `SECRET_SCANNING_GITHUB_KEYS_FILE` (or `path`); none if it is missing or broken."""
    try:
        return parse_keys_document(Path(path or settings.SECRET_SCANNING_GITHUB_KEYS_FILE).read_bytes())
    except (OSError, KeysDocumentError):
        return {}


def check_signature(body: bytes, key_identifier: str | None, signature: str | None) -> str | None:
    """None when `body` is signed by the named GitHub key, else why not: ``missing`` (a header is
    absent), ``unknown_key`` (no such key in the file), ``invalid_signature``."""
    if not key_identifier or not signature:
        return "missing"
    pem = load_public_keys().get(key_identifier)
    if pem is None:
        return "unknown_key"
    try:
        der = base64.b64decode(signature, validate=True)
        _load_p256(pem).verify(der, body, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature, KeysDocumentError):
        return "invalid_signature"
    return None


def tls_context() -> ssl.SSLContext:
    """The TLS context of the download: the system's certificate authorities, host names checked."""
    return ssl.create_default_context()


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another https:// URL: a redirect to http:// would hand the keys that
    decide which alerts revoke keys to anyone on the path."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith("https://"):
            raise KeysDocumentError(f"redirected to a URL that is not https://: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_keys_document(url: str = GITHUB_KEYS_URL, timeout: float = 10) -> bytes:
    """GET the keys document (at most MAX_KEYS_FILE_BYTES) over HTTPS only, redirects included (the
    keys decide which alerts revoke keys: a document read in clear text could be anyone's); raises
    OSError or KeysDocumentError."""
    if not url.lower().startswith("https://"):
        raise KeysDocumentError(f"not an https:// URL: {url}")
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls_context()), _HttpsOnlyRedirects())
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, headers={"Accept": "application/json", "User-Agent": "efinance-api-access"}
    )
    with opener.open(request, timeout=timeout) as response:
        data = response.read(MAX_KEYS_FILE_BYTES + 1)
    if len(data) > MAX_KEYS_FILE_BYTES:
        raise KeysDocumentError(f"larger than {MAX_KEYS_FILE_BYTES} bytes")
    parse_keys_document(data)
    return data


def write_keys_file(data: bytes, path: str | None = None) -> Path:
    """Replace the keys file atomically: a reader sees the old file or the new one, never half of it."""
    target = Path(path or settings.SECRET_SCANNING_GITHUB_KEYS_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
