"""The second factors of a user: an authenticator app (`TOTPDevice`), passkeys (`Passkey`) and the
recovery codes that stand in for them once each (`RecoveryCode`).

Imported by `users.models`, so that Django finds them in the `users` app.
"""

import secrets
import time

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, DeviceManager, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from users.factors import crypto

TOTP_KEY_BYTES = 20  # 160 bits, RFC 4226's recommended length (and what authenticator apps expect)
TOTP_TOLERANCE = 1  # one step of 30 s either way: a phone's clock a little off, a code typed late


class TOTPDeviceQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed=True)


class TOTPDevice(ThrottlingMixin, TimestampMixin, Device):
    """An authenticator app (RFC 6238: 6 digits, 30-second steps, SHA-1, as every app reads a QR code).

    Unconfirmed from the enrolment's start until the user has typed a current code from the app.
    The key is stored only encrypted (`key_encrypted`); `last_t` is the time step of the last code
    accepted, so that a code works once: the next one must come from a later step.
    """

    key_encrypted = models.TextField(editable=False)
    last_t = models.BigIntegerField(default=-1, editable=False)
    drift = models.SmallIntegerField(default=0, editable=False)

    objects = DeviceManager.from_queryset(TOTPDeviceQuerySet)()

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(confirmed=True), name="one_confirmed_totp_per_user"
            ),
        ]

    @classmethod
    def start(cls, user) -> "TOTPDevice":
        """A new, unconfirmed device of `user` with a fresh key (the unconfirmed one before is dropped)."""
        cls.objects.filter(user=user, confirmed=False).delete()
        key = secrets.token_bytes(TOTP_KEY_BYTES)
        return cls.objects.create(user=user, name="authenticator", confirmed=False, key_encrypted=crypto.encrypt(key))

    @property
    def bin_key(self) -> bytes:
        return crypto.decrypt(self.key_encrypted)

    def __str__(self) -> str:
        return f"authenticator app {self.pk} of user {self.user_id}"

    def get_throttle_factor(self) -> int:
        return settings.OTP_TOTP_THROTTLE_FACTOR

    def _totp(self) -> TOTP:
        totp = TOTP(self.bin_key, drift=self.drift)
        totp.time = time.time()
        return totp

    def verify_token(self, token) -> bool:
        """Whether `token` is a current code of this app that was not used before.

        The step it matches is claimed with a conditional UPDATE (``last_t < t``), so that of two
        requests with the same code at the same time only one succeeds.
        """
        allowed, _reason = self.verify_is_allowed()
        if not allowed:
            return False
        token = str(token).strip().replace(" ", "")
        verified = False
        if len(token) == 6 and token.isascii() and token.isdigit():
            totp = self._totp()
            if totp.verify(int(token), TOTP_TOLERANCE, self.last_t + 1):
                claimed = (
                    type(self)
                    .objects.filter(pk=self.pk, last_t__lt=totp.t())
                    .update(
                        last_t=totp.t(),
                        drift=totp.drift,
                        throttling_failure_count=0,
                        throttling_failure_timestamp=None,
                        last_used_at=timezone.now(),
                    )
                )
                verified = claimed == 1
        if not verified:
            type(self).objects.filter(pk=self.pk).update(
                throttling_failure_count=F("throttling_failure_count") + 1,
                throttling_failure_timestamp=timezone.now(),
            )
        self.refresh_from_db()
        return verified


class Passkey(TimestampMixin, Device):
    """A passkey (WebAuthn): a key pair whose private half never leaves the user's authenticator (a
    phone, a laptop, a security key). Stored is what checks its signatures and nothing that makes one:
    the credential's ID (base64url), its public key (COSE) and the authenticator's signature counter,
    which must grow with each use when the authenticator counts (a copy of the key would lag behind).
    `name` is the user's own («Laptop»); `last_used_at` comes from `TimestampMixin`.
    """

    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    public_key = models.BinaryField(editable=False)
    sign_count = models.BigIntegerField(default=0, editable=False)

    class Meta(Device.Meta):
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def __str__(self) -> str:
        return f"passkey {self.pk} of user {self.user_id}"


class RecoveryCode(models.Model):
    """One recovery code of a user, as its keyed hash (`crypto.code_digest`); deleted when used."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created on"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"
