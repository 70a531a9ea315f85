"""Operations that write several rows together: a key and its audit entry."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apikeys import audit, tokens
from apikeys import policy as policy_rules
from apikeys.models import ApiKey, SecurityPolicy
from efinance.lib.logging import log_event

log = logging.getLogger("apikeys")


class NonceAlreadyUsed(Exception):
    """The creation form was already submitted once: the key exists and its token was shown."""

    def __init__(self, key: ApiKey | None):
        super().__init__("creation form already used")
        self.key = key


class KeyNotValid(Exception):
    """Only a valid key can be deleted; an expired or deleted one stays as it is."""


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
    allowed_networks: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for `user` and return it with its token, which exists nowhere else.

    The caller shows the token once and forgets it. `form_nonce`, when given, makes the creation
    single-use: a second call with the same value raises NonceAlreadyUsed and creates nothing.
    `created_at` is for demo and imported data only; it defaults to now. The audit entry (with the
    actor's `ip`) is written in the same transaction as the key. A validity end before the day of
    creation or more than two years after it raises ValidationError (`check_valid_until`).

    The contract's security policy (`SecurityPolicy`, issue 13) applies here, so that every way of
    making a key (the creation form, «Replace») honours it: its maximum validity, its allowed networks
    (`allowed_networks`, None: the policy's default; a list outside the policy's raises
    ValidationError), and four-eyes: a production key is created waiting for a second Admin user's
    approval (`policy.request_key_approval`: audit entry and e-mail to the other Admin users).
    """
    created_at = created_at or timezone.now()
    policy = SecurityPolicy.of(user.organization_id)
    policy.check_valid_until(valid_until, timezone.localdate(created_at))
    allowed_networks = policy_rules.key_networks(policy, allowed_networks)
    pending = policy.needs_approval(api)
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
                    allowed_networks=allowed_networks or None,
                    approval_requested_at=created_at if pending else None,
                )
                audit.record_key_created(key=key, by=created_by, ip=ip)
                if pending:
                    policy_rules.request_key_approval(key=key, by=created_by)
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


@transaction.atomic
def apikey_revoke(*, key: ApiKey, by, reason: str = "", ip: str | None = None) -> ApiKey:
    """Delete (revoke) a valid key for good. Raises KeyNotValid for an expired or deleted key.

    A conditional UPDATE, so that two concurrent deletions record one actor and one time; the audit
    entry (deleted by an Admin user, or revoked by support) is written in the same transaction.
    """
    now = timezone.now()
    updated = ApiKey.objects.valid().filter(pk=key.pk).update(revoked_at=now, revoked_by=by, revoke_reason=reason)
    if not updated:
        raise KeyNotValid(key.key_id)
    key.refresh_from_db(fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record_key_revoked(key=key, by=by, reason=reason, ip=ip)
    if by.is_support_staff:
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
