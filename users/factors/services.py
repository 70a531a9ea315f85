"""What changes a user's second factors, each change with its audit entry in one transaction."""

import secrets

from django.db import transaction

from audit.log import record
from audit.models import Action, FactorKind
from users.factors import crypto
from users.factors.models import RecoveryCode, TOTPDevice

RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1: read off paper without doubt
_CODE_LENGTH = 10  # 32 symbols: 50 random bits each


def _record_own(action: str, user, ip: str | None, **details) -> None:
    """An entry of what `user` did to their own factors, on their organization's «Activity»."""
    record(action=action, actor=user, subject=user, organization_id=user.organization_id, ip=ip, details=details)


def has_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def normalize_code(value: str) -> str:
    """A code as typed (spaces, dashes, capitals) in the form that is hashed or checked."""
    return "".join(value.split()).replace("-", "").lower()


def _new_code() -> str:
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return f"{code[:5]}-{code[5:]}"


def _recovery_codes_replace(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=crypto.code_digest(normalize_code(code))) for code in codes
    )
    return codes


@transaction.atomic
def totp_confirm(*, device: TOTPDevice, code: str, ip: str | None) -> tuple[bool, list[str]]:
    """Confirm an enrolment with a current code of the app. Returns whether it was confirmed and, at
    a user's first enrolment (no recovery codes yet), the new recovery codes, to be shown once."""
    if device.confirmed or not device.verify_token(code):
        return False, []
    user = device.user
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = [] if RecoveryCode.objects.filter(user=user).exists() else _recovery_codes_replace(user)
    _record_own(Action.FACTOR_ADDED, user, ip, kind=FactorKind.TOTP)
    return True, codes


@transaction.atomic
def totp_enrol_known_key(*, user, key: bytes) -> bool:
    """Demo data only (`seed_demo`): an authenticator app with a published key, unless the user has one.
    Idempotent: answers whether it enrolled one."""
    if has_factor(user):
        return False
    TOTPDevice.objects.create(user=user, name="demo", confirmed=True, key_encrypted=crypto.encrypt(key))
    return True


@transaction.atomic
def recovery_codes_renew(*, user, ip: str | None) -> list[str]:
    """New recovery codes for a user with a factor; the old ones stop working."""
    codes = _recovery_codes_replace(user)
    _record_own(Action.RECOVERY_CODES_NEW, user, ip)
    return codes


@transaction.atomic
def totp_remove(*, user, ip: str | None) -> bool:
    """Remove the user's authenticator app; without a factor left, the recovery codes go too."""
    removed, _ = TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    if not removed:
        return False
    if not has_factor(user):
        RecoveryCode.objects.filter(user=user).delete()
    _record_own(Action.FACTOR_REMOVED, user, ip, kind=FactorKind.TOTP)
    return True


def second_factor_check(*, user, code: str, ip: str | None) -> str | None:
    """The kind of factor that `code` proves for `user` (a current, unused code of their app, or one
    of their recovery codes, which is then used up), or None. Records a recovery code's use."""
    code = code or ""
    typed = "".join(code.split())
    if len(typed) == 6 and typed.isascii() and typed.isdigit():
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        return FactorKind.TOTP if device is not None and device.verify_token(typed) else None
    normalized = normalize_code(code)
    if not normalized or len(normalized) > 64:
        return None
    with transaction.atomic():
        used, _ = RecoveryCode.objects.filter(user=user, digest=crypto.code_digest(normalized)).delete()
        if not used:
            return None
        left = RecoveryCode.objects.filter(user=user).count()
        _record_own(Action.RECOVERY_CODE_USED, user, ip, kind=FactorKind.RECOVERY_CODE, left=left)
    return FactorKind.RECOVERY_CODE
