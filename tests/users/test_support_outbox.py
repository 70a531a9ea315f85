"""The e-mail outbox in the support admin: read-only, to whom, which notice, queued, sent, the error;
never a message's text. And from each key to its entries of the audit log."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apikeys import services
from apikeys.models import Api
from efinance.lib.when import moment
from tests.cast import client_for, today
from users.mail import NOTICES, notice_label, notify
from users.models import OutboxMessage

CHANGELIST = reverse("admin:users_outboxmessage_changelist")
SECRET = "only-in-the-body-7f3a9"


@pytest.fixture
def messages(alice, bob, charlie):
    """A sent notice to bob, a failed one to alice and a waiting one to charlie of another contract."""
    sent = OutboxMessage.objects.create(
        to=bob.email,
        recipient=bob,
        subject="API key abc expires",
        body=SECRET,
        html=f"<p>{SECRET}</p>",
        kind="expiry_reminder",
        sent_at=timezone.now(),
        attempts=1,
    )
    failed = OutboxMessage.objects.create(
        to=alice.email,
        recipient=alice,
        subject="New API key",
        body=SECRET,
        kind="key_created",
        attempts=3,
        last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
    )
    waiting = OutboxMessage.objects.create(
        to=charlie.email, recipient=charlie, subject="Set your password", body=SECRET, kind="set_password_link"
    )
    return {"sent": sent, "failed": failed, "waiting": waiting}


def test_support_reads_to_whom_what_when_and_the_error_never_the_text(sam_client, messages):
    page = sam_client.get(CHANGELIST).content.decode()
    for message in messages.values():
        assert message.to in page and notice_label(message.kind) in page
        assert moment(message.created_at) in page  # queued, in the customers' form
    assert moment(messages["sent"].sent_at) in page
    assert "SMTPRecipientsRefused: 550 mailbox unavailable" in page
    assert "Demo AG" in page and "Other AG" in page  # the recipient's organization
    assert SECRET not in page
    detail = sam_client.get(reverse("admin:users_outboxmessage_change", args=[messages["failed"].pk]))
    assert detail.status_code == 200
    assert SECRET not in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()  # read-only: nothing to save


def test_support_reads_which_notice_in_words_in_their_language(sam_client, messages):
    page = sam_client.get(CHANGELIST).content.decode()
    for words in ("Expiry reminder", "Key created", "Link to set the password"):
        assert words in page
    # The templates' names never show: not in the column, not in the filter's choices.
    for kind in ("expiry_reminder", "key_created", "set_password_link"):
        assert f">{kind}<" not in page
    german = sam_client.get(CHANGELIST, headers={"accept-language": "de"}).content.decode()
    assert "Ablauferinnerung" in german


def test_support_filters_by_notice(sam_client, messages):
    page = sam_client.get(CHANGELIST, {"kind": "key_created"}).content.decode()
    assert {name for name, message in messages.items() if f"/{message.pk}/change/" in page} == {"failed"}


def test_every_notice_has_a_name_in_words():
    templates = Path(settings.BASE_DIR) / "templates" / "emails"
    kinds = {path.name.removesuffix(".subject.txt") for path in templates.glob("*.subject.txt")}
    assert kinds == set(NOTICES)


def test_an_unknown_kind_of_an_old_message_shows_as_stored():
    assert notice_label("retired_notice") == "retired_notice"


@pytest.mark.parametrize(
    ("delivery", "shown"), [("sent", {"sent"}), ("pending", {"failed", "waiting"}), ("failed", {"failed"})]
)
def test_support_filters_by_delivery(sam_client, messages, delivery, shown):
    page = sam_client.get(CHANGELIST, {"delivery": delivery}).content.decode()
    assert {name for name, message in messages.items() if f"/{message.pk}/change/" in page} == shown


def test_support_cannot_add_change_or_delete_a_message(sam, messages):
    client = client_for(sam, enforce_csrf_checks=False)
    message = messages["waiting"]
    change = reverse("admin:users_outboxmessage_change", args=[message.pk])
    assert client.get(reverse("admin:users_outboxmessage_add")).status_code == 403
    assert (
        client.post(reverse("admin:users_outboxmessage_add"), {"to": "x@example.com", "kind": "x"}).status_code == 403
    )
    assert (
        client.post(change, {"to": "attacker@example.com", "subject": "x", "body": "x", "kind": "x"}).status_code == 403
    )
    assert (
        client.post(reverse("admin:users_outboxmessage_delete", args=[message.pk]), {"post": "yes"}).status_code == 403
    )
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [message.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    message.refresh_from_db()
    assert (message.to, message.body) == ("charlie@demo.example", SECRET)
    assert OutboxMessage.objects.count() == 3
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()


def test_support_without_the_csrf_token_changes_nothing(sam, messages):
    client = client_for(sam, enforce_csrf_checks=True)
    response = client.post(reverse("admin:users_outboxmessage_delete", args=[messages["sent"].pk]), {"post": "yes"})
    assert response.status_code == 403
    assert OutboxMessage.objects.count() == 3


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_never_reach_the_outbox(request, who, messages):
    response = client_for(request.getfixturevalue(who)).get(CHANGELIST)
    assert response.status_code == 302 and "/support/login/" in response["Location"]
    assert Client().get(CHANGELIST).status_code == 302


def test_a_real_notice_shows_in_the_outbox(sam_client, alice, bob):
    key, _token = services.apikey_create(user=bob, api=Api.INTEGRATION, valid_until=today(), created_by=alice)
    notify([bob], "key_created", {"key": key, "created_by": alice})
    page = sam_client.get(CHANGELIST, {"q": "bob"}).content.decode()
    assert "key_created" in page and bob.email in page


def test_each_key_links_to_its_entries_of_the_audit_log(sam_client, make_key, bob, alice):
    key, _token = make_key(user=bob)
    other, _token = make_key(user=bob)
    services.apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=90), overlap=datetime.timedelta(days=1), by=alice
    )
    listing = sam_client.get(reverse("admin:apikeys_apikey_changelist")).content.decode()
    link = f"{reverse('admin:audit_auditevent_changelist')}?key_id={key.key_id}"
    assert f'href="{link}"' in listing
    change = sam_client.get(reverse("admin:apikeys_apikey_change", args=[key.pk])).content.decode()
    assert f'href="{link}"' in change
    entries = sam_client.get(link).content.decode()
    assert "Key replaced" in entries and "Key created" in entries
    assert other.key_id not in entries
