"""Deleted and expired are final: the database itself refuses to bring a key back."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apikeys.models import ApiKey, Status


@pytest.fixture
def deleted(make_key, bob):
    return make_key(user=bob, deleted=True)[0]


@pytest.fixture
def expired(make_key, bob):
    return make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=1))[0]


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_a_model_save_cannot_clear_a_deletion(deleted):
    deleted.revoked_at = None
    deleted.revoked_by = None
    assert _refused(deleted.save)
    deleted.refresh_from_db()
    assert deleted.status == Status.DELETED


def test_a_queryset_update_cannot_clear_a_deletion(deleted):
    assert _refused(lambda: ApiKey.objects.filter(pk=deleted.pk).update(revoked_at=None, revoked_by=None))
    deleted.refresh_from_db()
    assert deleted.status == Status.DELETED


def test_a_deletion_cannot_be_rewritten(deleted, charlie):
    assert _refused(lambda: ApiKey.objects.filter(pk=deleted.pk).update(revoked_by=charlie))
    assert _refused(lambda: ApiKey.objects.filter(pk=deleted.pk).update(revoke_reason="never happened"))


def test_a_model_save_cannot_extend_an_expired_key(expired):
    expired.valid_until = timezone.localdate() + datetime.timedelta(days=30)
    assert _refused(expired.save)
    expired.refresh_from_db()
    assert expired.status == Status.EXPIRED


def test_a_queryset_update_cannot_extend_any_key(expired, make_key, bob):
    valid, _token = make_key(user=bob)
    later = timezone.localdate() + datetime.timedelta(days=800)
    assert _refused(lambda: ApiKey.objects.filter(pk=expired.pk).update(valid_until=later))
    assert _refused(lambda: ApiKey.objects.filter(pk=valid.pk).update(valid_until=later))
    assert ApiKey.objects.get(pk=valid.pk).valid_until < later


def test_a_deleted_key_cannot_be_extended_either(deleted):
    assert _refused(
        lambda: ApiKey.objects.filter(pk=deleted.pk).update(valid_until=deleted.valid_until + datetime.timedelta(1))
    )


def test_the_key_material_cannot_be_swapped(make_key, bob, charlie):
    key, _token = make_key(user=bob)
    assert _refused(lambda: ApiKey.objects.filter(pk=key.pk).update(secret_hash="0" * 64))
    assert _refused(lambda: ApiKey.objects.filter(pk=key.pk).update(user=charlie))
    assert _refused(lambda: ApiKey.objects.filter(pk=key.pk).update(api="production"))


def test_a_valid_key_can_still_be_deleted_and_shortened(make_key, bob, alice):
    key, _token = make_key(user=bob)
    ApiKey.objects.filter(pk=key.pk).update(valid_until=timezone.localdate())
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now(), revoked_by=alice)
    key.refresh_from_db()
    assert key.status == Status.DELETED
