"""Second factors for tests: an authenticator app enrolled for a user, the codes it would show (computed
with pyotp, apart from the product's django-otp), and a clock the product's TOTP reads, so that a test
moves to the next 30-second step instead of waiting for it."""

import base64
import time

import pyotp

from users.factors import crypto, services
from users.factors.models import TOTPDevice
from users.factors.proof import PROOF_AT
from users.factors.services import _recovery_codes_replace

STEP = 30


class TotpClock:
    """Stands in for `time` in `users.factors.models`: the product's TOTP reads `now`."""

    def __init__(self):
        self.now = float(int(time.time()) // STEP * STEP + 5)  # 5 s into a step: far from its edges

    def time(self) -> float:
        return self.now

    def next_step(self) -> None:
        self.now += STEP


def secret_of(device: TOTPDevice) -> str:
    return base64.b32encode(crypto.decrypt(device.key_encrypted)).decode("ascii")


def code_at(secret: str, when: float) -> str:
    """The code an authenticator app shows at `when` for the base32 `secret` (spaces allowed)."""
    return pyotp.TOTP(secret.replace(" ", "")).at(int(when))


def enrol(user, clock: TotpClock | None = None) -> tuple[str, list[str]]:
    """An authenticator app confirmed for `user`, as the enrolment leaves it: its base32 key and the
    recovery codes."""
    device = TOTPDevice.start(user)
    device.confirmed = True
    device.save()
    codes = _recovery_codes_replace(user)
    assert services.has_factor(user)
    return secret_of(device), codes


def fresh_proof(client) -> None:
    """Mark the client's session as having just proved its second factor (as the login does)."""
    session = client.session
    session[PROOF_AT] = time.time()
    session.save()


def stale_proof(client) -> None:
    """Age the client's proof beyond STEP_UP_SECONDS, as if the login was long ago."""
    session = client.session
    session[PROOF_AT] = time.time() - 24 * 3600
    session.save()
