"""Passkeys (WebAuthn Level 2), the server's half of the two ceremonies, with py_webauthn (`webauthn`)
doing the parsing and the cryptography: registering a passkey, and asserting one (the login's second
step, a step-up).

- Each ceremony starts with a page that carries its options (a random challenge among them) to the
  browser, in a data attribute read by `static/js/passkey.js`; the challenge stays in the session
  (`CHALLENGE`), bound to its purpose and the user, lapses after `PASSKEY_CHALLENGE_SECONDS` and is
  taken out at the first answer, right or wrong: an answer from another session, a second use of one
  or a late one finds no challenge and is refused.
- The relying party is `settings.PASSKEY_RP_ID` (the domain a passkey is bound to); the origin the
  browser names must be the request's own (its host is one of ALLOWED_HOSTS, Django checks it) and
  lie in that domain, so that a page elsewhere that relays the ceremony is refused.
- An assertion is looked up among the passkeys of the user who is proving who they are only (another
  user's credential is unknown here); its signature is checked with the stored public key, and its
  counter claimed with a conditional UPDATE: a counter that did not grow, or two uses of one answer
  at once, are refused.
"""

import functools
import hashlib
import hmac
import json
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from users.factors.models import Passkey

# pyasn1 (py_webauthn's parser of Android attestations) gives its logger a stderr handler of its own when
# imported (`pyasn1.debug.Debug.defaultPrinter`). Every handler here must redact tokens (settings.LOGGING):
# that one goes, and pyasn1's records, if it ever writes any, pass through the configured handlers.
_pyasn1 = logging.getLogger("pyasn1")
for _handler in _pyasn1.handlers[:]:
    _pyasn1.removeHandler(_handler)
_pyasn1.setLevel(logging.NOTSET)

CHALLENGE = "passkey_challenge"
FIELD = "passkey"  # the form field that carries the browser's answer (JSON)
MAX_ANSWER = 20_000  # characters: a real answer has a few hundred (an attestation certificate, a few thousand)
REGISTER, LOG_IN, STEP_UP = "register", "log_in", "step_up"
# What a garbled answer raises on its way through py_webauthn's parsers (base64, CBOR, JSON, keys).
_GARBLED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)


@functools.cache
def _handle_key(secret: str) -> bytes:
    return hashlib.sha256(b"efinance passkey user handle\x00" + secret.encode()).digest()


def user_handle(user) -> bytes:
    """The user's WebAuthn user handle: the same for every passkey of the user (an authenticator keeps
    one passkey per site and user), and nothing that names them (not the primary key in clear)."""
    return hmac.new(_handle_key(settings.OTP_ENCRYPTION_KEY), str(user.pk).encode(), hashlib.sha256).digest()


def expected_origin(request) -> str | None:
    """The origin a passkey answer must name: this request's own, when its host lies in the relying
    party's domain (else None: passkeys are not offered on this host)."""
    host = request.get_host()  # one of ALLOWED_HOSTS, or Django refused the request already
    name = urlsplit(f"//{host}").hostname or ""
    rp_id = settings.PASSKEY_RP_ID
    if name != rp_id and not name.endswith(f".{rp_id}"):
        return None
    return f"{request.scheme}://{host}"


def _keep(request, purpose: str, user, challenge: bytes) -> None:
    request.session[CHALLENGE] = {
        "purpose": purpose,
        "user": user.pk,
        "challenge": bytes_to_base64url(challenge),
        "at": time.time(),
    }


def _take(request, purpose: str, user) -> bytes | None:
    """The session's challenge for `purpose` and `user`, taken out (used once); None when there is
    none, it is another's or it lapsed."""
    kept = request.session.pop(CHALLENGE, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose or kept.get("user") != user.pk:
        return None
    if not 0 <= time.time() - kept.get("at", 0) < settings.PASSKEY_CHALLENGE_SECONDS:
        return None
    return base64url_to_bytes(kept["challenge"])


def _descriptors(user) -> list[PublicKeyCredentialDescriptor]:
    ids = Passkey.objects.filter(user=user).values_list("credential_id", flat=True)
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id)) for credential_id in ids]


def registration_options(request, user) -> str:
    """The options of `navigator.credentials.create()` (JSON) for a new passkey of `user`; its
    challenge kept in the session. The user's passkeys are excluded: one authenticator, one passkey."""
    options = generate_registration_options(
        rp_id=settings.PASSKEY_RP_ID,
        rp_name=settings.PASSKEY_RP_NAME,
        user_id=user_handle(user),
        user_name=user.get_username(),
        user_display_name=user.display_name,
        timeout=settings.PASSKEY_CHALLENGE_SECONDS * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    _keep(request, REGISTER, user, options.challenge)
    return options_to_json(options)


def registration_verify(request, user, answer: str):
    """py_webauthn's `VerifiedRegistration` of the browser's `answer`, or None (no challenge, another
    origin, a garbled or unsigned answer)."""
    challenge = _take(request, REGISTER, user)
    origin = expected_origin(request)
    if challenge is None or origin is None or not answer or len(answer) > MAX_ANSWER:
        return None
    try:
        return verify_registration_response(
            credential=answer,
            expected_challenge=challenge,
            expected_rp_id=settings.PASSKEY_RP_ID,
            expected_origin=origin,
        )
    except _GARBLED:
        return None


def authentication_options(request, user, purpose: str) -> str | None:
    """The options of `navigator.credentials.get()` (JSON) for `user`'s passkeys, its challenge kept in
    the session for `purpose`; None for a user without a passkey or on a host outside the domain."""
    allowed = _descriptors(user)
    if not allowed or expected_origin(request) is None:
        return None
    options = generate_authentication_options(
        rp_id=settings.PASSKEY_RP_ID,
        timeout=settings.PASSKEY_CHALLENGE_SECONDS * 1000,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep(request, purpose, user, options.challenge)
    return options_to_json(options)


def authentication_verify(request, user, purpose: str, answer: str) -> Passkey | None:
    """The passkey of `user` that signed `answer` to the session's challenge for `purpose`, its
    counter and last use claimed; None for anything else (see the module)."""
    challenge = _take(request, purpose, user)
    origin = expected_origin(request)
    if challenge is None or origin is None or not answer or len(answer) > MAX_ANSWER:
        return None
    try:
        credential = parse_authentication_credential_json(json.loads(answer))
    except (*_GARBLED, json.JSONDecodeError):
        return None
    passkey = Passkey.objects.filter(user=user, credential_id=credential.id).first()
    if passkey is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.PASSKEY_RP_ID,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except _GARBLED:
        return None
    claimed = Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    return passkey if claimed == 1 else None
