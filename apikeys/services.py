"""Operations that write several rows together: a key and its audit entry."""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apikeys import audit, notices, tokens
from apikeys.models import ApiKey, check_valid_until, end_of_validity
from efinance.lib.logging import log_event
from users.mail import notify
from users.models import Organization

log = logging.getLogger("apikeys")


class NonceAlreadyUsed(Exception):
    """The creation form was already submitted once: the key exists and its token was shown."""

    def __init__(self, key: ApiKey | None):
        super().__init__("creation form already used")
        self.key = key


class KeyNotValid(Exception):
    """Only a valid key can be deleted or replaced; an expired or deleted one stays as it is."""


class AlreadyReplaced(KeyNotValid):
    """A key is replaced once: its successor exists and the end of its overlap is set."""


# «Replace»: when the old key stops working, counted from the moment of the replacement.
OVERLAPS = {
    "now": datetime.timedelta(0),
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
}


def apikey_create(
    *,
    user,
    api: str,
    valid_until: datetime.date,
    created_by,
    note: str = "",
    form_nonce: str | None = None,
    created_at: datetime.datetime | None = None,
    ip: str | None = None,
    replaces: ApiKey | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for `user` and return it with its token, which exists nowhere else.

    The caller shows the token once and forgets it. `form_nonce`, when given, makes the creation
    single-use: a second call with the same value raises NonceAlreadyUsed and creates nothing.
    `created_at` is for demo and imported data only; it defaults to now. The audit entry (with the
    actor's `ip`) is written in the same transaction as the key. A validity end before the day of
    creation or more than two years after it raises ValidationError (`check_valid_until`).
    The creation notice (e-mail to the key's user and the Admin users, `notices.notify_created`)
    is queued in the same transaction; a replacement (`replaces`) sends its own notice instead.
    """
    created_at = created_at or timezone.now()
    check_valid_until(valid_until, timezone.localdate(created_at))
    for _attempt in range(3):
        key_id, secret = tokens.new_key_id(), tokens.new_secret()
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    key_id=key_id,
                    secret_hash=tokens.hash_secret(secret),
                    api=api,
                    organization_id=user.organization_id,
                    user=user,
                    note=note,
                    valid_until=valid_until,
                    created_by=created_by,
                    form_nonce=form_nonce,
                    created_at=created_at,
                    replaces=replaces,
                )
                audit.record_key_created(key=key, by=created_by, ip=ip)
                if replaces is None:
                    notices.notify_created(key)
        except IntegrityError:
            if form_nonce and ApiKey.objects.filter(form_nonce=form_nonce).exists():
                raise NonceAlreadyUsed(ApiKey.objects.filter(form_nonce=form_nonce).first()) from None
            continue  # a key ID collision (60 random bits): draw again
        log_event(
            log,
            "apikey.created",
            key_id=key.key_id,
            api=api,
            user=user.username,
            organization=user.organization_id,
            valid_until=valid_until.isoformat(),
            by=created_by.username,
            ip=ip,
        )
        return key, tokens.build_token(api, key_id, secret)
    raise RuntimeError("could not draw a unique key ID")


def notify_support_revocation(*, keys: list[ApiKey], by, reason: str) -> None:
    """E-mail the active Admin users of each organization whose keys the bank's support revoked
    (one message per organization, naming the keys by key ID), in the transaction of the revocation."""
    by_organization: dict[int, list[ApiKey]] = {}
    for key in keys:
        by_organization.setdefault(key.organization_id, []).append(key)
    for organization in Organization.objects.filter(pk__in=by_organization).order_by("pk"):
        admins = organization.users.filter(is_active=True, is_org_admin=True).order_by("pk")
        context = {
            "organization": organization,
            "actor": by,
            "keys": by_organization[organization.pk],
            "reason": reason,
            "activity_url": settings.SITE_URL + reverse("apikeys:activity"),
        }
        notify(admins, "keys_revoked_by_support", context)


@transaction.atomic
def apikey_revoke(*, key: ApiKey, by, reason: str = "", ip: str | None = None, notify_admins: bool = True) -> ApiKey:
    """Delete (revoke) a valid key for good. Raises KeyNotValid for an expired or deleted key.

    A conditional UPDATE, so that two concurrent deletions record one actor and one time; the audit
    entry (deleted by an Admin user, or revoked by support) is written in the same transaction. A
    revocation by the bank's support is e-mailed to the organization's Admin users, unless the caller
    reports it itself (`notify_admins=False`: one message for a whole selection, or for the keys of a
    user who left).
    """
    now = timezone.now()
    updated = ApiKey.objects.valid().filter(pk=key.pk).update(revoked_at=now, revoked_by=by, revoke_reason=reason)
    if not updated:
        raise KeyNotValid(key.key_id)
    key.refresh_from_db(fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record_key_revoked(key=key, by=by, reason=reason, ip=ip)
    if by.is_support_staff:
        if notify_admins:
            notify_support_revocation(keys=[key], by=by, reason=reason)
        log_event(
            log,
            "apikey.revoked_by_support",
            key_id=key.key_id,
            organization=key.organization_id,
            by=by.username,
            reason=reason,
            ip=ip,
        )
    else:
        log_event(log, "apikey.deleted", key_id=key.key_id, organization=key.organization_id, by=by.username, ip=ip)
    return key


@transaction.atomic
def apikey_revoke_all_of_user(*, user, by, reason: str, ip: str | None = None) -> list[ApiKey]:
    """Delete every valid key of `user` for good (they left: deactivated, or moved to another
    organization), each through `apikey_revoke`, so that its audit entry and log line are those of
    any deletion. Nothing revives them: reactivating the user or moving them back finds them deleted."""
    revoked = []
    for key in ApiKey.objects.valid().filter(user_id=user.pk).select_for_update().order_by("key_id"):
        try:
            revoked.append(apikey_revoke(key=key, by=by, reason=reason, ip=ip, notify_admins=False))
        except KeyNotValid:  # deleted or expired meanwhile
            continue
    return revoked


@transaction.atomic
def apikey_replace(
    *,
    key: ApiKey,
    valid_until: datetime.date,
    overlap: datetime.timedelta,
    by,
    form_nonce: str | None = None,
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Replace (roll) a valid key: a new key for the same user and API with the same note, and the
    old key's end set to `overlap` from now, never later than its own end of validity.

    Returns the new key and its token (shown once, like a creation). A conditional UPDATE sets the
    old key's `ends_at` once, so that two concurrent replacements make one successor; the other
    raises AlreadyReplaced (KeyNotValid for a key that is no longer valid). Audit entries for both
    keys and the notice to the key's user and the Admin users are written in the same transaction.
    """
    now = now or timezone.now()
    # Whole seconds: the end is shown and told to integrators (keys/self, Sunset) to the second.
    ends_at = min((now + overlap).replace(microsecond=0), end_of_validity(key.valid_until))
    if not key.user.is_active:
        raise KeyNotValid(key.key_id)
    updated = ApiKey.objects.valid(now=now).filter(pk=key.pk, ends_at__isnull=True).update(ends_at=ends_at)
    if not updated:
        if ApiKey.objects.filter(pk=key.pk, ends_at__isnull=False).exists():
            raise AlreadyReplaced(key.key_id)
        raise KeyNotValid(key.key_id)
    key.ends_at = ends_at
    new, token = apikey_create(
        user=key.user,
        api=key.api,
        note=key.note,
        valid_until=valid_until,
        created_by=by,
        form_nonce=form_nonce,
        ip=ip,
        replaces=key,
    )
    audit.record_key_replaced(old=key, new=new, by=by, ip=ip)
    notices.notify_replaced(old=key, new=new, by=by)
    log_event(
        log,
        "apikey.replaced",
        key_id=key.key_id,
        new_key_id=new.key_id,
        organization=key.organization_id,
        ends_at=ends_at.isoformat(),
        by=by.username,
        ip=ip,
    )
    return new, token
