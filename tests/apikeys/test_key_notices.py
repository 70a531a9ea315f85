"""E-mail notices: a key's creation and its replacement, to the key's user and every active Admin
user of the organization, in their languages, never with the token."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from apikeys import services
from apikeys.models import Api
from tests.cast import make_user
from users.mail import send_pending
from users.models import OutboxMessage


@pytest.fixture
def cast(alice, bob, charlie, demo_ag):
    bob.language = "fr"
    bob.save()
    return {
        "dora": make_user("dora", demo_ag, is_org_admin=True, language="it"),
        "gone": make_user("gone", demo_ag, is_org_admin=True, is_active=False),
        "eve": make_user("eve", demo_ag),  # a standard user: not told of bob's key
    }


def _sent() -> dict:
    send_pending()
    return {message.to[0]: message for message in mail.outbox}


def test_the_creation_notice_goes_to_the_user_and_the_active_admins(cast, alice, bob):
    key, token = services.apikey_create(
        user=bob, api=Api.PRODUCTION, note="ERP «Nord»", valid_until=timezone.localdate(), created_by=alice
    )
    sent = _sent()
    assert set(sent) == {alice.email, bob.email, cast["dora"].email}
    assert sent[alice.email].subject == f"New API key {key.key_id}"
    assert sent[bob.email].subject == f"Nouvelle clé API {key.key_id}"
    assert sent[cast["dora"].email].subject == f"Nuova chiave API {key.key_id}"
    body = sent[alice.email].body
    for fact in (
        key.key_id,
        "Billing Solutions (production)",
        "bob",
        "ERP «Nord»",
        f"{key.valid_until:%d.%m.%Y}",
        "alice has created",
    ):
        assert fact in body
    for message in OutboxMessage.objects.all():
        for text in (message.subject, message.body, message.html):
            assert token not in text and token.split("_")[2] not in text and key.secret_hash not in text


def test_the_notice_is_part_of_the_creations_transaction(alice, bob):
    class Boom(Exception):
        pass

    from django.db import transaction

    with pytest.raises(Boom), transaction.atomic():
        services.apikey_create(user=bob, api=Api.PRODUCTION, valid_until=timezone.localdate(), created_by=alice)
        raise Boom
    assert not OutboxMessage.objects.exists()


def test_a_replacement_sends_one_notice_of_its_own(cast, alice, bob):
    old, _token = services.apikey_create(
        user=bob, api=Api.INTEGRATION, valid_until=timezone.localdate() + datetime.timedelta(days=90), created_by=alice
    )
    send_pending()
    mail.outbox.clear()
    new, token = services.apikey_replace(
        key=old,
        valid_until=timezone.localdate() + datetime.timedelta(days=30),
        overlap=datetime.timedelta(days=7),
        by=alice,
    )
    sent = _sent()
    assert set(sent) == {alice.email, bob.email, cast["dora"].email}
    assert sent[alice.email].subject == f"API key {old.key_id} replaced by {new.key_id}"
    assert f"stops working on {timezone.localtime(old.ends_at):%d.%m.%Y %H:%M}" in sent[alice.email].body
    assert all(token not in message.body for message in sent.values())
