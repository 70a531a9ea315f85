"""Passkeys for tests: a software authenticator that makes an EC P-256 key pair per passkey and answers
the server's options as a browser would (WebAuthn's JSON, `navigator.credentials` serialized), written
from the specification with `cryptography` and `cbor2`, apart from the product's py_webauthn, so
that tests can register and use passkeys — and replay, tamper with or misdirect their answers."""

import hashlib
import html
import json
import os
import re
import struct
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

from users.factors import passkeys, services

RP_ID, ORIGIN = "testserver", "http://testserver"  # the test client's host (tests/conftest.py sets the RP ID)
_USER_PRESENT, _USER_VERIFIED, _ATTESTED = 0x01, 0x04, 0x40


def options_in(response) -> str:
    """The passkey options a page carries for passkey.js (its data-passkey-options attribute)."""
    found = re.search(r'data-passkey-options="([^"]*)"', response.content.decode())
    assert found, "the page offers no passkey"
    return html.unescape(found[1])


class SoftAuthenticator:
    """One passkey on one authenticator. `counting=False`: an authenticator without a signature counter
    (it always reports 0, as many synced passkeys do)."""

    def __init__(self, *, rp_id: str = RP_ID, origin: str = ORIGIN, counting: bool = True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.rp_id, self.origin, self.counting = rp_id, origin, counting

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _client_data(self, kind: str, options_json: str, origin: str | None) -> bytes:
        challenge = json.loads(options_json)["challenge"]
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def _authenticator_data(self, *, attested: bool) -> bytes:
        flags = _USER_PRESENT | _USER_VERIFIED | (_ATTESTED if attested else 0)
        data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        if attested:
            numbers = self.key.public_key().public_numbers()
            cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cbor2.dumps(cose)
        return data

    def register(self, options_json: str, *, origin: str | None = None) -> str:
        """The answer of `navigator.credentials.create()` to `options_json`."""
        client_data = self._client_data("webauthn.create", options_json, origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": self._authenticator_data(attested=True)})
        response = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "attestationObject": bytes_to_base64url(attestation),
            "transports": ["internal"],
        }
        return json.dumps({"id": self.id, "rawId": self.id, "type": "public-key", "response": response})

    def sign(self, options_json: str, *, origin: str | None = None, count: int | None = None) -> str:
        """The answer of `navigator.credentials.get()` to `options_json`: the counter moves on (or is
        `count`), the authenticator data and the client data's hash signed with the private key."""
        if self.counting:
            self.sign_count = self.sign_count + 1 if count is None else count
        client_data = self._client_data("webauthn.get", options_json, origin)
        data = self._authenticator_data(attested=False)
        signature = self.key.sign(data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(data),
            "signature": bytes_to_base64url(signature),
        }
        return json.dumps({"id": self.id, "rawId": self.id, "type": "public-key", "response": response})


def add_passkey(user, name: str = "Laptop", **kwargs) -> SoftAuthenticator:
    """A passkey registered for `user` as the set-up leaves it (through the product's checks, with a
    request of its own to the authenticator's origin), and its authenticator."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    authenticator = SoftAuthenticator(**kwargs)
    request = RequestFactory(HTTP_HOST=urlsplit(authenticator.origin).netloc).get("/")
    request.session = SessionStore()
    answer = authenticator.register(passkeys.registration_options(request, user))
    registration = passkeys.registration_verify(request, user, answer)
    assert registration is not None, "the software authenticator's registration was refused"
    services.passkey_add(user=user, name=name, registration=registration, ip=None)
    return authenticator
