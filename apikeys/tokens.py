"""The format of an API-key token, and the keyed hash of its secret.

A token is what an integrator pastes into their software, one string of 80 characters for production
and 79 for customer integration (the prefix is one letter shorter)::

    bsint_4kq7x2mdn5ra_<52 characters of secret>_<7 characters of checksum>
    └─┬─┘ └────┬─────┘
    prefix   key ID

- prefix: ``bsprod`` for Billing Solutions (production), ``bsint`` for Billing Solutions Customer
  Integration, so that a key pasted into the wrong API is recognised before any lookup;
- key ID: 12 characters of lowercase base32 (60 bits), public, unique, shown on every list;
- secret: 32 bytes (256 bits) from :mod:`secrets`, lowercase base32 without padding (52 characters);
- checksum: CRC-32 of everything before it, 7 characters of base32, so that a typo or a truncated
  copy is rejected offline and secret scanners can recognise a real token.

Only the key ID and HMAC-SHA-256(secret) keyed by ``settings.API_KEY_PEPPER`` are stored.
"""

import base64
import re
import secrets
import zlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings

PRODUCTION = "production"
INTEGRATION = "integration"
PREFIXES = {PRODUCTION: "bsprod", INTEGRATION: "bsint"}
API_OF_PREFIX = {prefix: api for api, prefix in PREFIXES.items()}

KEY_ID_LENGTH = 12
SECRET_BYTES = 32
SECRET_LENGTH = 52
CHECKSUM_LENGTH = 7
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
TOKEN_RE = re.compile(
    rf"^(?P<prefix>bsprod|bsint)_(?P<key_id>[a-z2-7]{{{KEY_ID_LENGTH}}})"
    rf"_(?P<secret>[a-z2-7]{{{SECRET_LENGTH}}})_(?P<checksum>[a-z2-7]{{{CHECKSUM_LENGTH}}})$"
)
# The same shape unanchored, to find tokens inside any text: the log filter redacts what it finds, and
# secret scanners publish it (docs/token-format.json); a find is a token only if its checksum matches.
TOKEN_SEARCH_RE = re.compile(
    rf"(?:bsprod|bsint)_[a-z2-7]{{{KEY_ID_LENGTH}}}_[a-z2-7]{{{SECRET_LENGTH}}}_[a-z2-7]{{{CHECKSUM_LENGTH}}}"
)


def _as_written_in_a_url(characters: str) -> str:
    """One of `characters`, as itself or percent-encoded (``_`` or ``%5F``/``%5f``, ``a`` or ``%61``)."""
    plain = "".join(sorted(set(characters)))
    codes = "|".join(f"{ord(character):02x}" for character in plain)
    return f"(?:[{re.escape(plain)}]|%(?i:{codes}))"


def _literal_in_a_url(text: str) -> str:
    return "".join(_as_written_in_a_url(character) for character in text)


# What the log filter redacts: the same shape with any character percent-encoded, as a client may
# write a token into a URL and a server logs the URL as it came (`efinance.lib.logging.RedactFilter`).
TOKEN_LOG_SEARCH_RE = re.compile(
    f"(?:{'|'.join(_literal_in_a_url(prefix) for prefix in PREFIXES.values())})"
    + "".join(
        _as_written_in_a_url("_") + f"{_as_written_in_a_url(_B32)}{{{length}}}"
        for length in (KEY_ID_LENGTH, SECRET_LENGTH, CHECKSUM_LENGTH)
    )
)
TOKEN_MAX_LENGTH = len("bsprod") + KEY_ID_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH + 3
KEY_ID_RE = re.compile(rf"^[a-z2-7]{{{KEY_ID_LENGTH}}}$")


class MalformedToken(ValueError):
    """The string is not a token: wrong shape, unknown prefix, or a checksum that does not match."""


@dataclass(frozen=True)
class ParsedToken:
    api: str
    key_id: str
    secret: str


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def checksum(body: str) -> str:
    """7 base32 characters of CRC-32 over the token without its checksum."""
    value = zlib.crc32(body.encode("ascii"))
    return "".join(_B32[(value >> shift) & 31] for shift in range(30, -1, -5))


def new_key_id() -> str:
    return _b32(secrets.token_bytes(8))[:KEY_ID_LENGTH]


def new_secret() -> str:
    return _b32(secrets.token_bytes(SECRET_BYTES))


def build_token(api: str, key_id: str, secret: str) -> str:
    body = f"{PREFIXES[api]}_{key_id}_{secret}"
    return f"{body}_{checksum(body)}"


def parse_token(raw: str) -> ParsedToken:
    """Split a token into its parts, or raise MalformedToken. Costs no database access."""
    if not isinstance(raw, str) or len(raw) > TOKEN_MAX_LENGTH:
        raise MalformedToken("not a token")
    match = TOKEN_RE.match(raw)
    if match is None:
        raise MalformedToken("not a token")
    body, _sep, given = raw.rpartition("_")
    if not secrets.compare_digest(checksum(body), given):
        raise MalformedToken("checksum mismatch")
    return ParsedToken(API_OF_PREFIX[match["prefix"]], match["key_id"], match["secret"])


def _hmac(secret: str, pepper: str | None = None) -> hmac.HMAC:
    mac = hmac.HMAC((pepper or settings.API_KEY_PEPPER).encode(), hashes.SHA256())
    mac.update(secret.encode("ascii"))
    return mac


def hash_secret(secret: str) -> str:
    """HMAC-SHA-256 of the secret keyed by API_KEY_PEPPER, as 64 hex characters."""
    return _hmac(secret).finalize().hex()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented secret with a stored hash.

    With no stored hash (unknown key ID) the same HMAC is computed and checked against a dummy
    value, so that the time taken does not tell whether a key ID exists.
    """
    expected = bytes.fromhex(stored_hash) if stored_hash else bytes(32)
    try:
        _hmac(secret).verify(expected)
    except InvalidSignature:
        return False
    return stored_hash is not None
