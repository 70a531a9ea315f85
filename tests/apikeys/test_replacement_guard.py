"""The end of a replaced key's overlap is final: the database refuses to clear or postpone it, or to
change which key a replacement replaces (trigger of migration 0017_replacement_guard)."""

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
