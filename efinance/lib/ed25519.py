"""Ed25519 signatures (RFC 8032, "pure" Ed25519) over a message read twice as a stream of chunks.

`cryptography` signs only a message held in memory as one `bytes`; a credential report of 10,000 keys
must not be. Ed25519 reads the message in two hashes, each of which can take it piece by piece:
r = SHA-512(prefix ‖ M) and k = SHA-512(R ‖ A ‖ M) (RFC 8032 §5.1.6). This module does exactly that
over a message that can be read twice (a temporary file), with the curve's arithmetic of §5.1 in
Python integers. The signature is the same 64 bytes that `cryptography` (and `openssl pkeyutl
-rawin`) make and check: Ed25519 is deterministic, and tests/lib/test_ed25519.py compares both on
many messages. The key pair itself is `cryptography`'s; only its 32-byte seed is read here.
"""

import hashlib
from collections.abc import Callable, Iterable

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y: int, sign: int) -> int:
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if x & 1 != sign:
        x = P - x
    return x


_BY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)  # extended coordinates (X, Y, Z, T)


def _add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, point) -> tuple:
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _encode(point) -> bytes:
    z_inverse = pow(point[2], P - 2, P)
    x, y = point[0] * z_inverse % P, point[1] * z_inverse % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _secret(seed: bytes) -> tuple[int, bytes, bytes]:
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:], _encode(_multiply(scalar, BASE))


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte private seed."""
    return _secret(seed)[2]


def sign_stream(seed: bytes, chunks: Callable[[], Iterable[bytes]]) -> bytes:
    """The 64-byte Ed25519 signature of the message that `chunks()` yields; called twice, it must yield
    the same bytes both times (a file read again from its start)."""
    scalar, prefix, public = _secret(seed)
    first = hashlib.sha512(prefix)
    for chunk in chunks():
        first.update(chunk)
    r = int.from_bytes(first.digest(), "little") % L
    encoded_r = _encode(_multiply(r, BASE))
    second = hashlib.sha512(encoded_r + public)
    for chunk in chunks():
        second.update(chunk)
    k = int.from_bytes(second.digest(), "little") % L
    return encoded_r + int.to_bytes((r + k * scalar) % L, 32, "little")
