"""The end of a replaced key's overlap is final: the database refuses to postpone it, to clear it
unless no successor works and it has not come, or to change which key a replacement replaces
(trigger of migration 0017_replacement_guard, replaced by 0023_replacement_waits_for_approval)."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apikeys.models import ApiKey, Status
from apikeys.services import apikey_replace


@pytest.fixture
def pair(make_key, alice, bob):
    old = make_key(user=bob)[0]
    new, _token = apikey_replace(
        key=old,
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        overlap=datetime.timedelta(hours=24),
        by=alice,
    )
    old.refresh_from_db()
    return old, new


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_the_end_cannot_be_cleared(pair):
    old, _new = pair
    assert _refused(lambda: ApiKey.objects.filter(pk=old.pk).update(ends_at=None))
    old.ends_at = None
    assert _refused(old.save)


def test_the_end_cannot_be_postponed(pair):
    old, _new = pair
    later = old.ends_at + datetime.timedelta(seconds=1)
    assert _refused(lambda: ApiKey.objects.filter(pk=old.pk).update(ends_at=later))


def test_the_replaced_key_of_a_successor_cannot_be_changed_or_cleared(pair, make_key, bob):
    old, new = pair
    other = make_key(user=bob)[0]
    assert _refused(lambda: ApiKey.objects.filter(pk=new.pk).update(replaces=other))
    assert _refused(lambda: ApiKey.objects.filter(pk=new.pk).update(replaces=None))
    assert _refused(lambda: ApiKey.objects.filter(pk=other.pk).update(replaces=old))


def test_the_end_can_be_brought_forward_and_the_key_deleted(pair, alice):
    old, _new = pair
    now = timezone.now()
    assert not _refused(lambda: ApiKey.objects.filter(pk=old.pk).update(ends_at=now))
    old.refresh_from_db()
    assert old.status == Status.REPLACED
    assert not _refused(lambda: ApiKey.objects.filter(pk=old.pk).update(revoked_at=now, revoked_by=alice))


# --- The one change of `ends_at` allowed besides bringing it forward: clearing it while it has not come
# and no successor works (migration 0023_replacement_waits_for_approval).


def _clear(key):
    return lambda: ApiKey.objects.filter(pk=key.pk).update(ends_at=None)


def test_the_end_cannot_be_cleared_while_the_successor_works(pair):
    old, new = pair
    assert new.revoked_at is None and not new.is_pending_approval
    assert _refused(_clear(old))


def test_the_end_can_be_cleared_once_the_successor_is_deleted(pair, alice):
    old, new = pair
    ApiKey.objects.filter(pk=new.pk).update(revoked_at=timezone.now(), revoked_by=alice)
    assert not _refused(_clear(old))
    old.refresh_from_db()
    assert old.ends_at is None and old.status == Status.VALID


def test_the_end_can_be_cleared_while_the_successor_waits_for_approval(pair):
    old, new = pair
    ApiKey.objects.filter(pk=new.pk).update(approval_requested_at=timezone.now())
    assert not _refused(_clear(old))


def test_with_the_successor_gone_the_end_still_cannot_be_postponed_or_moved(pair, alice):
    old, new = pair
    ApiKey.objects.filter(pk=new.pk).update(revoked_at=timezone.now(), revoked_by=alice)
    later = old.ends_at + datetime.timedelta(days=1)
    assert _refused(lambda: ApiKey.objects.filter(pk=old.pk).update(ends_at=later))
    assert _refused(lambda: ApiKey.objects.filter(pk=new.pk).update(replaces=None))


def test_an_end_that_has_come_cannot_be_cleared(pair, alice):
    """Set in the database to a past moment (the database's clock decides, not the app's)."""
    old, new = pair
    past = timezone.now() - datetime.timedelta(minutes=5)
    ApiKey.objects.filter(pk=old.pk).update(ends_at=past)
    ApiKey.objects.filter(pk=new.pk).update(revoked_at=timezone.now(), revoked_by=alice)
    assert _refused(_clear(old))
    old.refresh_from_db()
    assert old.status == Status.REPLACED


def test_a_deleted_key_keeps_its_end(pair, alice):
    old, new = pair
    now = timezone.now()
    ApiKey.objects.filter(pk=new.pk).update(revoked_at=now, revoked_by=alice)
    ApiKey.objects.filter(pk=old.pk).update(revoked_at=now, revoked_by=alice)
    assert _refused(_clear(old))


def test_the_end_cannot_be_cleared_in_the_update_that_deletes_the_key(pair, alice):
    old, new = pair
    ApiKey.objects.filter(pk=new.pk).update(revoked_at=timezone.now(), revoked_by=alice)
    assert _refused(
        lambda: ApiKey.objects.filter(pk=old.pk).update(ends_at=None, revoked_at=timezone.now(), revoked_by=alice)
    )


def test_a_second_successor_only_once_the_first_is_deleted(pair, alice, bob):
    from apikeys.services import AlreadyReplaced

    old, new = pair
    with pytest.raises(AlreadyReplaced):
        apikey_replace(key=old, valid_until=timezone.localdate(), overlap=datetime.timedelta(hours=1), by=alice)
    duplicate = ApiKey(
        key_id="a" * 12,
        secret_hash="b" * 64,
        api=old.api,
        organization=old.organization,
        user=bob,
        valid_until=timezone.localdate(),
        created_by=alice,
        replaces=old,
    )
    assert _refused(duplicate.save)
    ApiKey.objects.filter(pk=new.pk).update(revoked_at=timezone.now(), revoked_by=alice)
    assert not _refused(duplicate.save)


def test_the_migration_releases_the_keys_of_replacements_made_before(make_key, alice, dora, bob):
    """Replacements made while the old end was set at once: a waiting successor gets the overlap as its
    own (`replaces_overlap`), a rejected one leaves its predecessor to its own end."""
    import importlib

    from django.apps import apps

    from tests.apikeys.policy_cast import set_policy

    migration = importlib.import_module("apikeys.migrations.0023_replacement_waits_for_approval")
    waiting_old, rejected_old = make_key(user=bob, api="production")[0], make_key(user=bob, api="production")[0]
    set_policy(alice.organization, four_eyes=True)
    later = (timezone.now() + datetime.timedelta(hours=24)).replace(microsecond=0)
    successors = {}
    for old in (waiting_old, rejected_old):
        successors[old.pk] = apikey_replace(
            key=old, valid_until=timezone.localdate(), overlap=datetime.timedelta(hours=24), by=alice
        )[0]
        ApiKey.objects.filter(pk=old.pk).update(ends_at=later)  # as «Replace» used to set it
    ApiKey.objects.filter(pk=successors[rejected_old.pk].pk).update(
        revoked_at=timezone.now(), revoked_by=dora, revoke_reason="rejected"
    )
    migration._release_waiting_predecessors(apps, None)
    for old in (waiting_old, rejected_old):
        old.refresh_from_db()
        assert old.ends_at is None
    waiting = successors[waiting_old.pk]
    waiting.refresh_from_db()
    assert datetime.timedelta(hours=23) < waiting.replaces_overlap <= datetime.timedelta(hours=24)
