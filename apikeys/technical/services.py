"""What an Admin user does with the contract's technical users, each with its «Activity» entry in
the same transaction: create one (`technical_user_create`), rename or describe it
(`technical_user_change`), deactivate it (`technical_user_deactivate`), which deletes its valid keys
for good, as the deactivation of any user does."""

import secrets
import string

from django.db import transaction
from django.utils.text import slugify

from apikeys import services
from audit.log import record
from audit.models import REASON_USER_LEFT, Action
from users.models import User

SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
SUFFIX_LENGTH = 6


def new_username(name: str) -> str:
    """The «User identification» of a new technical user: its name as a slug and six random
    characters (``erp-abacus-k3x9q2``). Unique across every contract, and without the counting
    suffix of a taken name, which would tell another contract's technical users apart."""
    base = (slugify(name) or "technical")[:40].strip("-")
    while True:
        suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
        username = f"{base}-{suffix}"
        if not User.objects.filter(username__iexact=username).exists():
            return username


@transaction.atomic
def technical_user_create(
    *, organization, name: str, description: str = "", by, ip: str | None = None, username: str = ""
) -> User:
    """A technical user of `organization` named `name`: no password, no address, never Admin.
    `username` is for the demo data only; otherwise it is made from the name (`new_username`)."""
    user = User(
        username=username or new_username(name),
        first_name=name,
        description=description,
        organization=organization,
        is_technical=True,
    )
    user.set_unusable_password()
    user.save()
    _record(Action.TECHNICAL_USER_CREATED, user=user, by=by, ip=ip, details={"name": name, "description": description})
    return user


def _record(action: str, *, user: User, by, ip: str | None, details: dict) -> None:
    record(action=action, actor=by, subject=user, organization_id=user.organization_id, ip=ip, details=details)


@transaction.atomic
def technical_user_change(*, user: User, name: str, description: str, by, ip: str | None = None) -> bool:
    """Rename or describe `user`; False (and no entry) when nothing changed."""
    previous = User.objects.select_for_update().values("first_name", "description").get(pk=user.pk, is_technical=True)
    if (previous["first_name"], previous["description"]) == (name, description):
        return False
    user.first_name, user.description = name, description
    user.save(update_fields=["first_name", "description"])
    details = {"name": name, "description": description}
    if previous["first_name"] != name:
        details["previous_name"] = previous["first_name"]
    _record(Action.TECHNICAL_USER_CHANGED, user=user, by=by, ip=ip, details=details)
    return True


@transaction.atomic
def technical_user_deactivate(*, user: User, by, ip: str | None = None) -> list[str] | None:
    """Deactivate `user` and delete its valid keys for good (each with its own «Activity» entry);
    answer their key IDs, or None when it was deactivated already (a replayed form)."""
    locked = User.objects.select_for_update().get(pk=user.pk, is_technical=True)
    if not locked.is_active:
        return None
    user.is_active = False
    user.save(update_fields=["is_active"])
    deleted = [
        key.key_id for key in services.apikey_revoke_all_of_user(user=user, by=by, reason=REASON_USER_LEFT, ip=ip)
    ]
    _record(Action.TECHNICAL_USER_DEACTIVATED, user=user, by=by, ip=ip, details={"deleted_keys": deleted})
    return deleted
