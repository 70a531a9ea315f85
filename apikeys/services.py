"""Operations that write several rows together: a key and its audit entry."""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apikeys import activity, notices, tokens
from apikeys.models import (
    ALL_SCOPES,
    EXPOSED_REASON,
    ApiKey,
    SecurityPolicy,
    SeenNetwork,
    Status,
    Verification,
    scopes_value,
    status_of,
)
from apikeys.models.seen import network_to_check
from apikeys.policy import rules as policy_rules
from audit.models import ExposureSource
from efinance.lib.bidi import neutralise
from efinance.lib.logging import log_event
from users.mail import notify
from users.models import Organization, User, active_admin_q

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
    allowed_networks: str | None = None,
    replaces: ApiKey | None = None,
    scopes: Iterable[str] = ALL_SCOPES.split(),
    replaces_overlap: datetime.timedelta | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for `user` with `scopes` (`Scope` values, at least one; fixed for the key's life)
    and return it with its token, which exists nowhere else.

    The caller shows the token once and forgets it. `form_nonce`, when given, makes the creation
    single-use: a second call with the same value raises NonceAlreadyUsed and creates nothing.
    `created_at` is for demo and imported data only; it defaults to now. The audit entry (with the
    actor's `ip`) is written in the same transaction as the key. A validity end before the day of
    creation or more than two years after it raises ValidationError (`check_valid_until`).

    The contract's security policy (`SecurityPolicy`) applies here, so that every way of
    making a key (the creation form, «Replace») honours it: its maximum validity, its allowed networks
    (`allowed_networks`, None: the policy's default; a list outside the policy's raises
    ValidationError), and four-eyes: a production key is created waiting for a second Admin user's
    approval (`policy.apikey_request_approval`: audit entry and e-mail to the other Admin users). A key
    of either API created during the contract's emergency stop waits for that approval too: it stays
    refused after «Resume» until another Admin user has looked at it.

    The creation notice (e-mail to the key's user and the Admin users, `notices.notify_created`)
    is queued in the same transaction; a replacement (`replaces`) sends its own notice instead.
    """
    created_at = created_at or timezone.now()
    note = neutralise(note)  # the forms refuse a bidirectional control; any other caller stores it visible
    scopes = list(scopes)
    stored_scopes = scopes_value(scopes)
    if not stored_scopes or len(stored_scopes.split()) != len(set(scopes)):
        raise ValueError(f"scopes must be known and at least one: {scopes!r}")
    policy = SecurityPolicy.of(user.organization_id)
    policy.check_valid_until(valid_until, timezone.localdate(created_at))
    allowed_networks = policy_rules.key_networks(policy, allowed_networks)
    # A key made while the emergency stop holds waits for a second look, whatever its API: lifting the
    # stop must not bring to life what was made in the incident (by whoever held an Admin's session).
    pending = (
        policy.needs_approval(api)
        or Organization.objects.filter(pk=user.organization_id, keys_suspended_at__isnull=False).exists()
    )
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
                    replaces=replaces,
                    scopes=stored_scopes,
                    replaces_overlap=replaces_overlap if pending else None,
                )
                activity.record_key_created(key=key, by=created_by, ip=ip)
                if pending:
                    policy_rules.apikey_request_approval(key=key, by=created_by)
                if replaces is None:
                    notices.notify_created(key)
        except IntegrityError:
            if form_nonce and ApiKey.objects.filter(form_nonce=form_nonce).exists():
                raise NonceAlreadyUsed(ApiKey.objects.filter(form_nonce=form_nonce).first()) from None
            if ApiKey.objects.filter(key_id=key_id).exists():
                continue  # a key ID collision (60 random bits): draw again
            raise  # anything else the database refused (its guards, its CHECK): not to be hidden
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
        admins = organization.active_admins().order_by("pk")
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
    """Delete (revoke) a valid key for good. Raises KeyNotValid for an expired or deleted key. The key
    it was to replace, if its end has not come, works on to its own end of validity.

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
    ApiKey.objects.release_predecessors([key.pk], now=now)
    activity.record_key_revoked(key=key, by=by, reason=reason, ip=ip)
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
    return _revoke_each(ApiKey.objects.valid().filter(user_id=user.pk), by=by, reason=reason, ip=ip)


@transaction.atomic
def apikeys_delete(*, organization_id: int, key_ids: Iterable[str], by, ip: str | None = None) -> list[ApiKey]:
    """«Delete selected»: the chosen keys of the organization that are still valid, in one transaction,
    each as `apikey_revoke` deletes one (its own «Activity» entry, log line and consequences for the key
    it replaces). Keys of another organization, and keys already ended, are left as they are."""
    keys = ApiKey.objects.valid().filter(organization_id=organization_id, key_id__in=list(key_ids))
    return _revoke_each(keys, by=by, reason="", ip=ip)


def _revoke_each(keys, *, by, reason: str, ip: str | None) -> list[ApiKey]:
    """`keys` locked, in key-ID order (two runs at once lock in the same order), each revoked unless it
    ended meanwhile; the caller's transaction holds them all."""
    revoked = []
    for key in keys.select_for_update().order_by("key_id"):
        try:
            revoked.append(apikey_revoke(key=key, by=by, reason=reason, ip=ip, notify_admins=False))
        except KeyNotValid:  # deleted or expired meanwhile
            continue
    return revoked


MAX_REPORTED_TOKENS = 1000
MAX_KEYS_IN_MAIL = 20  # an e-mail lists this many key IDs, then counts the rest («Activity» lists them all)


@dataclass(frozen=True)
class ExposureResult:
    """What a report of exposed tokens did; for the bank's own use, never told to a reporter.

    `matched`: the reported strings that hold a token of ours whose secret matches a key (valid or
    already ended); `revoked`: the key IDs deleted by this report; `unmatched`: the well-formed tokens
    (shape and checksum right) that match no key, an unknown key ID and a wrong secret alike: failed
    checks of a token, which the limits of failed authentications count.
    """

    matched: frozenset[str] = frozenset()
    revoked: tuple[str, ...] = field(default=())
    unmatched: int = 0


@transaction.atomic
def apikeys_revoke_exposed(
    *,
    credentials: Iterable[str],
    source: str,
    urls: Mapping[str, str] | None = None,
    ip: str | None = None,
    now: datetime.datetime | None = None,
) -> ExposureResult:
    """Delete for good every valid key whose token is among `credentials`: they were reported as exposed.

    Reported by anyone, so that the work does not depend on what was sent: every string that parses
    (shape and CRC, no database) costs the same HMAC, whether its key ID exists or not, and all key
    IDs are looked up in one query (`key_id IN (...)`, the rows locked until the end of the
    transaction, so that a concurrent deletion cannot interleave); the matching valid keys are then
    revoked in one UPDATE, their audit entries written in one statement, and each person concerned
    gets one e-mail listing their keys (the key's user, if active and still of its organization, and
    the organization's active Admin users). Queries grow with the recipients, never with the tokens.

    The revocation has no actor: `revoked_by` stays empty with the reason `EXPOSED_REASON` (the one
    case the database allows); the reporter's address (`ip`), `source` (`ExposureSource`) and the
    place where a scanner found each token (`urls`: token → address) are in the audit log. The
    e-mails are queued in this transaction for the outbox's runner (`send_outbox`).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    # A reporter pastes what they found as they found it (a trailing newline, `Bearer `, quotes,
    # `API_KEY=`): every token-shaped part of each string counts, as a secret scanner finds it.
    parsed, reported_as = {}, defaultdict(list)
    for raw in credentials:
        for found in dict.fromkeys(tokens.TOKEN_SEARCH_RE.findall(raw)):
            reported_as[found].append(raw)
            if found in parsed:
                continue
            try:
                parsed[found] = tokens.parse_token(found)
            except tokens.MalformedToken:
                continue
    if not parsed:
        return ExposureResult()
    rows = {
        row["key_id"]: row
        for row in ApiKey.objects.select_for_update(of=("self",))
        .filter(key_id__in={token.key_id for token in parsed.values()})
        .values(
            "pk",
            "key_id",
            "secret_hash",
            "api",
            "revoked_at",
            "valid_until",
            "ends_at",
            "user_id",
            "organization_id",
            username=F("user__username"),
        )
    }
    matched, to_revoke, unmatched = set(), {}, 0
    for found, token in parsed.items():
        row = rows.get(token.key_id)
        if not (tokens.secret_matches(token.secret, row["secret_hash"] if row else None) and row["api"] == token.api):
            unmatched += 1
            continue
        matched.update(reported_as[found])
        status = status_of(row["revoked_at"], row["valid_until"], today, ends_at=row["ends_at"], now=now)
        if status == Status.VALID:
            url = next((urls[raw] for raw in reported_as[found] if raw in (urls or {})), "")
            to_revoke.setdefault(row["pk"], {**row, "url": url})
    revoked = []
    if to_revoke:
        updated = (
            ApiKey.objects.valid(today, now=now)
            .filter(pk__in=list(to_revoke))
            .update(revoked_at=now, revoked_by=None, revoke_reason=EXPOSED_REASON)
        )
        if updated != len(to_revoke):  # cannot happen while the rows are locked; never report a key twice
            still = set(ApiKey.objects.filter(pk__in=list(to_revoke), revoked_at=now).values_list("pk", flat=True))
            to_revoke = {pk: row for pk, row in to_revoke.items() if pk in still}
        revoked = sorted(to_revoke.values(), key=lambda row: row["key_id"])
        ApiKey.objects.release_predecessors(list(to_revoke), now=now)
        activity.record_keys_exposed(keys=revoked, source=source, ip=ip, at=now)
        _notify_exposed(revoked, source=source, at=now)
        for row in revoked:
            log_event(
                log,
                "apikey.reported_exposed",
                logging.WARNING,
                key_id=row["key_id"],
                organization=row["organization_id"],
                source=str(source),
                url=row["url"] or None,
                ip=ip,
            )
    return ExposureResult(frozenset(matched), tuple(row["key_id"] for row in revoked), unmatched)


def _notify_exposed(revoked: list[dict], *, source: str, at: datetime.datetime) -> None:
    """One e-mail to each person concerned, listing the keys that concern them (one query for all);
    beyond MAX_KEYS_IN_MAIL keys it counts the rest, which «Activity» lists."""
    user_ids = {row["user_id"] for row in revoked}
    organization_ids = {row["organization_id"] for row in revoked}
    people = User.objects.filter(
        Q(pk__in=user_ids, is_active=True) | Q(active_admin_q(), organization_id__in=organization_ids)
    ).order_by("pk")
    of_organization: dict[int, list[str]] = {}
    of_user: dict[tuple[int, int], list[str]] = {}
    for row in revoked:  # sorted by key ID, so each list is too
        of_organization.setdefault(row["organization_id"], []).append(row["key_id"])
        of_user.setdefault((row["organization_id"], row["user_id"]), []).append(row["key_id"])
    by_keys: dict[tuple, list[User]] = {}
    for person in people:
        if person.is_org_admin:
            concerned = tuple(of_organization.get(person.organization_id, ()))
        else:  # a user who moved to another organization is not told about the old one's keys
            concerned = tuple(of_user.get((person.organization_id, person.pk), ()))
        if concerned:
            by_keys.setdefault(concerned, []).append(person)
    rows = {row["key_id"]: row for row in revoked}
    for key_ids, recipients in by_keys.items():
        keys = [
            {
                "key_id": key_id,
                "api": rows[key_id]["api"],  # the template names it in the recipient's language
                "user": rows[key_id]["username"],
                "url": rows[key_id]["url"],
            }
            for key_id in key_ids[:MAX_KEYS_IN_MAIL]
        ]
        notify(
            recipients,
            "key_exposed",
            {
                "keys": keys,
                "count": len(key_ids),
                "more": len(key_ids) - len(keys),
                "at": at,
                "source": ExposureSource(source).label,
            },
        )


class OverlapNeedsTime(ValidationError):
    """«Immediately» while the new key waits for approval: the old key would stop at the very moment
    the new one starts working, leaving no time to switch."""

    def __init__(self):
        super().__init__(
            _("The new key needs a second Admin user's approval: choose 24 hours or 7 days for the old key."),
            code="overlap_needs_time",
        )


def replacement_waits_for_approval(key: ApiKey) -> bool:
    """Whether a replacement of `key` would wait for a second Admin user (four-eyes on its API)."""
    return SecurityPolicy.of(key.organization_id).needs_approval(key.api)


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
    scopes: Iterable[str] | None = None,
) -> tuple[ApiKey, str]:
    """Replace (roll) a valid key: a new key for the same user and API with the same note and `scopes`
    (None: the old key's); the old key works on for `overlap` after the new key starts working, never
    later than its own end of validity. «Replace» is the one way to change a key's scopes.

    The new key starts working at once, or, when it waits for a second Admin user's approval
    (four-eyes), at the approval: until then the old key's end stays open (`replaces_overlap` keeps
    the overlap for `policy.rules.apikey_approve`), and a rejected or lapsed new key leaves it working.
    An overlap of zero is refused then (OverlapNeedsTime).

    Returns the new key and its token (shown once, like a creation). The old key's row is locked and
    one successor that is not deleted is allowed (a partial unique index), so that two concurrent
    replacements make one; the other raises AlreadyReplaced (KeyNotValid for a key that is no longer
    valid). Audit entries for both keys and the notice to the key's user and the Admin users are
    written in the same transaction.
    """
    now = now or timezone.now()
    if not key.user.is_active:
        raise KeyNotValid(key.key_id)
    waits = replacement_waits_for_approval(key)
    if waits and not overlap:
        raise OverlapNeedsTime()
    if not ApiKey.objects.valid(now=now).select_for_update().filter(pk=key.pk).exists():
        raise KeyNotValid(key.key_id)
    if (
        ApiKey.objects.filter(pk=key.pk, ends_at__isnull=False).exists()
        or key.replacements.filter(revoked_at__isnull=True).exists()
    ):
        raise AlreadyReplaced(key.key_id)
    if not waits:
        key.ends_at = policy_rules.old_key_end(key, overlap, now)
        ApiKey.objects.filter(pk=key.pk, ends_at__isnull=True).update(ends_at=key.ends_at)
    replacement = {
        "user": key.user,
        "api": key.api,
        "note": key.note,
        "valid_until": valid_until,
        "created_by": by,
        "form_nonce": form_nonce,
        "ip": ip,
        "replaces": key,
        "scopes": key.scope_list if scopes is None else scopes,
        "replaces_overlap": overlap,
    }
    try:
        try:
            # The new key keeps the old one's networks; the contract's policy applies as at any creation.
            new, token = apikey_create(**replacement, allowed_networks=key.allowed_networks)
        except ValidationError as error:
            if getattr(error, "code", None) != "outside_policy":
                raise
            # The policy was narrowed since: the new key gets the policy's own networks.
            new, token = apikey_create(**replacement, allowed_networks=None)
    except IntegrityError:
        if key.replacements.filter(revoked_at__isnull=True).exists():  # another Admin user was quicker
            raise AlreadyReplaced(key.key_id) from None
        raise
    activity.record_key_replaced(old=key, new=new, by=by, ip=ip)
    notices.notify_replaced(old=key, new=new, by=by)
    log_event(
        log,
        "apikey.replaced",
        key_id=key.key_id,
        new_key_id=new.key_id,
        organization=key.organization_id,
        ends_at=key.ends_at.isoformat() if key.ends_at else None,
        waits_for_approval=waits,
        by=by.username,
        ip=ip,
    )
    return new, token


def apikey_network_check(*, verification: Verification, ip: str | None, now: datetime.datetime) -> bool:
    """«First use from a new network», asked after each successful API authentication: when the key
    (without allowed networks) has not been used from the request's network (an IPv4 /24, an IPv6 /48)
    in `SEEN_NETWORK_DAYS` days, one «Activity» entry and one e-mail to each active Admin user of the
    contract, in one transaction with the network's row, exactly once however many requests find the
    network new at once. Answers whether this call reported it.

    Not `@transaction.atomic`: the usual request (the network of the key's last use) opens no
    transaction and runs no query. A database failing here costs the report, never the request.
    """
    network = network_to_check(verification, ip, now)
    if network is None:
        return False
    try:
        with transaction.atomic():
            if not SeenNetwork.objects.note(verification, network, now):
                return False
            activity.record_new_network(verification=verification, network=network, ip=ip, at=now)
            notices.notify_new_network(verification=verification, network=network, at=now)
    except DatabaseError as error:
        log_event(
            log,
            "api.new_network_failed",
            logging.ERROR,
            key_id=verification.key_id,
            network=network,
            error=type(error).__name__,
        )
        return False
    return True
