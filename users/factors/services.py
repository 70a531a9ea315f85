"""What changes a user's second factors, each change with its audit entry in one transaction, and the
e-mail that tells the user (a factor added or removed, a recovery code used: never a code or a key).

Who must have a factor (`factor_required`): the bank's support staff; an Admin user while their
contract's security policy says «Admin users must use a second factor»; and a user whose factor
someone else reset, until they set up a new one. Such a user cannot remove their last factor.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from webauthn.helpers import bytes_to_base64url

from audit.log import record
from audit.models import Action, FactorKind
from users.factors import crypto
from users.factors.models import Passkey, RecoveryCode, TOTPDevice
from users.mail import notify
from users.models import Organization, User

RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1: read off paper without doubt
_CODE_LENGTH = 10  # 32 symbols: 50 random bits each


def _record_own(action: str, user, ip: str | None, **details) -> None:
    """An entry of what `user` did to their own factors, on their organization's «Activity»."""
    record(action=action, actor=user, subject=user, organization_id=user.organization_id, ip=ip, details=details)


def has_factor_q():
    """Whether a user (the row of an outer query) has a factor: an authenticator app or a passkey."""
    return Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)) | Exists(
        Passkey.objects.filter(user=OuterRef("pk"))
    )


def has_factor(user) -> bool:
    """One query, whichever factors the user has."""
    return User.objects.filter(has_factor_q(), pk=user.pk).exists()


def factor_count(user) -> int:
    return TOTPDevice.objects.filter(user=user, confirmed=True).count() + Passkey.objects.filter(user=user).count()


def factor_required(user, *, policy: bool | None = None) -> bool:
    """Whether `user` must have a second factor (see the module): one query at most, none for a user
    who is neither staff, nor an Admin user, nor reset. `policy`: the contract's «Admin users must use a
    second factor» when the caller has it at hand, as current as a query (else it is read)."""
    if user.is_staff or user.must_enrol_factor:
        return True
    if not user.is_org_admin or user.organization_id is None:
        return False
    if policy is not None:
        return policy
    return Organization.objects.filter(pk=user.organization_id, admins_need_factor=True).exists()


def enrolment_due(user, *, policy: bool | None = None) -> bool:
    """Whether a customer's user must set up a factor before anything else (the policy, or a reset)."""
    return not user.is_staff and factor_required(user, policy=policy) and not has_factor(user)


class FactorNeeded(Exception):
    """The user's last factor may not go: they must have one (`factor_required`)."""


def _last_factor_guard(user) -> None:
    """Before a factor of `user` goes: lock the user's row (two removals at once cannot each see the
    other's factor left) and refuse the last one of a user who must have one (`FactorNeeded`)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    if factor_count(user) <= 1 and factor_required(user):
        raise FactorNeeded


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
    return True, _factor_added(user, FactorKind.TOTP, ip)


def _factor_added(user, kind: FactorKind, ip: str | None, **details) -> list[str]:
    """What every new factor brings: at the user's first (no recovery codes yet) the recovery codes,
    answered to be shown once; the end of a reset's obligation; the audit entry and the e-mail."""
    codes = [] if RecoveryCode.objects.filter(user=user).exists() else _recovery_codes_replace(user)
    if user.must_enrol_factor:
        User.objects.filter(pk=user.pk).update(must_enrol_factor=False)
        user.must_enrol_factor = False
    _record_own(Action.FACTOR_ADDED, user, ip, kind=kind, **details)
    notify([user], "factor_added", {"kind": kind.label, "passkey_name": details.get("name", ""), "ip": ip})
    return codes


class PasskeyTaken(Exception):
    """The credential is registered already (the same authenticator again, or a forged ID)."""


@transaction.atomic
def passkey_add(*, user, name: str, registration, ip: str | None) -> list[str]:
    """Keep the passkey that `registration` (py_webauthn's `VerifiedRegistration`) proved: its ID,
    public key and counter, under the user's `name`. Answers the recovery codes at the first factor."""
    try:
        with transaction.atomic():
            Passkey.objects.create(
                user=user,
                name=name,
                confirmed=True,
                credential_id=bytes_to_base64url(registration.credential_id),
                public_key=registration.credential_public_key,
                sign_count=registration.sign_count,
            )
    except IntegrityError:
        raise PasskeyTaken from None
    return _factor_added(user, FactorKind.PASSKEY, ip, name=name)


@transaction.atomic
def passkey_remove(*, user, passkey_id: int, ip: str | None) -> bool:
    """Remove one of the user's passkeys (False: no such passkey of theirs). As `totp_remove`: the
    recovery codes go with the last factor, the sessions end, the last factor of a user who must
    have one stays (`FactorNeeded`)."""
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        return False
    _last_factor_guard(user)
    passkey.delete()
    _factor_removed(user, FactorKind.PASSKEY, ip, name=passkey.name)
    return True


def _factor_removed(user, kind: FactorKind, ip: str | None, **details) -> None:
    left = has_factor(user)
    if not left:
        RecoveryCode.objects.filter(user=user).delete()
    user.end_sessions()
    _record_own(Action.FACTOR_REMOVED, user, ip, kind=kind, **details)
    context = {"kind": kind.label, "passkey_name": details.get("name", ""), "left": left, "ip": ip}
    notify([user], "factor_removed", context)


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
    """Remove the user's authenticator app; without a factor left, the recovery codes go too. The user's
    sessions end (the caller keeps its own). The last factor of a user who must have one stays
    (`FactorNeeded`); with a passkey left, the app may go."""
    devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    if not devices.exists():
        return False
    _last_factor_guard(user)
    devices.delete()
    _factor_removed(user, FactorKind.TOTP, ip)
    return True


def factors_delete(user) -> list[str]:
    """Delete every factor of `user` and their recovery codes; they must enrol again, and their sessions
    end (someone else resets: a session opened with the lost factor must not go on). Answers the kinds
    that were there (nothing: an empty list). Recorded by the caller: an Admin user's reset
    (`factor_reset_by_admin`) or support's (`users.services.factor_reset_by_staff`)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    kinds = [
        kind
        for kind, devices in [
            (FactorKind.TOTP, TOTPDevice.objects.filter(user=user, confirmed=True)),
            (FactorKind.PASSKEY, Passkey.objects.filter(user=user)),
        ]
        if devices.exists()
    ]
    if not kinds:
        return kinds
    TOTPDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(must_enrol_factor=True)
    user.must_enrol_factor = True
    user.end_sessions()
    return kinds


class ResetRefused(Exception):
    """A reset that the acting Admin user may not make: their own factor, or a user without one."""


@transaction.atomic
def factor_reset_by_admin(*, user, by, ip: str | None) -> None:
    """Another Admin user of the same contract resets `user`'s factor (a lost phone): the factor and the
    recovery codes are gone, the user sets up a new one at the next login, and every Admin user of
    the contract and the user are told. Never one's own (that is what recovery codes are for)."""
    if by.pk == user.pk or not by.is_admin_of_organization or by.organization_id != user.organization_id:
        raise ResetRefused
    kinds = factors_delete(user)
    if not kinds:
        raise ResetRefused
    record(
        action=Action.FACTOR_RESET,
        actor=by,
        subject=user,
        organization_id=user.organization_id,
        ip=ip,
        details={"kind": kinds[0]},
    )
    admins = User.objects.active_admins(user.organization_id).order_by("pk")
    notify([*admins, user], "factor_reset", {"user": user, "by": by, "by_bank": False})


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
        notify([user], "recovery_code_used", {"left": left, "ip": ip})
    return FactorKind.RECOVERY_CODE
