"""A right-to-left override (and every other bidirectional control) in a note, a reason or a
description: refused where people type it, shown neutralised («[U+202E]») wherever stored text holds
one — the screens, e-mails, the support admin, the credential report and «Activity».

The attacker's view: «invoice», U+202E, «fdp.exe» reads as «invoiceexe.pdf»; an Admin user or support would
trust a key, a rejection or a suspension by a text that is not what it shows."""

import datetime
import io
import zipfile

import pytest
from django.core import mail

from apikeys.forms import new_form_nonce
from apikeys.models import Api, ApiKey
from apikeys.policy.rules import apikeys_suspend
from apikeys.services import apikey_replace
from efinance.lib.bidi import BIDI_CONTROLS, neutralise
from tests.cast import today
from users.mail import send_pending
from users.models import OutboxMessage

RLO = "\u202e"
SPOOF = f"invoice-{RLO}fdp.exe"
SHOWN = "invoice-[U+202E]fdp.exe"
HOUR = datetime.timedelta(hours=1)


def _create(client, alice, bob, note):
    form = {
        "user": str(bob.pk),
        "api": Api.INTEGRATION,
        "note": note,
        "valid_until": "31.12.2027",
        "nonce": new_form_nonce(alice),
        "scopes": ["documents:read", "documents:write"],
    }
    return client.post("/administration/api-keys/new/", form)


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_a_note_with_any_bidi_control_is_refused_and_nothing_stored(alice_client, alice, bob, control):
    response = _create(alice_client, alice, bob, f"ERP{control}sync")
    assert response.status_code == 400
    assert "invisible text-direction characters" in response.content.decode()
    assert ApiKey.objects.count() == 0


def test_the_refusal_speaks_the_users_language(alice_client, alice, bob):
    response = alice_client.post(
        "/administration/api-keys/new/",
        {"user": str(bob.pk), "api": Api.INTEGRATION, "note": SPOOF, "valid_until": "31.12.2027",
         "nonce": new_form_nonce(alice), "scopes": ["documents:read"]},
        HTTP_ACCEPT_LANGUAGE="de",
    )  # fmt: skip
    assert response.status_code == 400
    assert "unsichtbaren Schreibrichtungszeichen" in response.content.decode()


def test_a_note_stored_before_is_shown_neutralised_everywhere(alice_client, sam_client, make_key, bob, alice):
    key, _token = make_key(user=bob, note="ERP")
    ApiKey.objects.filter(pk=key.pk).update(note=SPOOF)  # stored as it was before the form refused it
    assert ApiKey.objects.filter(pk=key.pk, note=SPOOF).exists()
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    pages = {
        "key list": alice_client.get("/administration/api-keys/"),
        "key page": alice_client.get(f"/administration/api-keys/{key.key_id}/"),
        "delete page": alice_client.get(f"/administration/api-keys/{key.key_id}/delete/"),
        "replace page": alice_client.get(f"/administration/api-keys/{key.key_id}/replace/"),
        "activity": alice_client.get("/administration/activity/"),
        "support list": sam_client.get("/support/apikeys/apikey/"),
        "support key": sam_client.get(f"/support/apikeys/apikey/{key.pk}/change/"),
        "credential report": alice_client.post("/administration/credential-report/", {"format": "csv"}),
    }
    bodies = {}
    for where, page in pages.items():
        assert page.status_code == 200, where
        bodies[where] = b"".join(page.streaming_content) if page.streaming else page.content
        if bodies[where].startswith(b"PK"):  # the report: a ZIP of the CSV and its signature
            with zipfile.ZipFile(io.BytesIO(bodies[where])) as archive:
                bodies[where] = b"".join(archive.read(name) for name in archive.namelist())
        assert RLO.encode() not in bodies[where], f"{where} shows the override"
    for where in ("key list", "key page", "delete page", "support key", "credential report"):
        assert SHOWN.encode() in bodies[where], where
    # The replacement copies the note, and its notice lists the keys' facts.
    new, _token = apikey_replace(
        key=ApiKey.objects.get(pk=key.pk), valid_until=today() + datetime.timedelta(days=30), overlap=HOUR, by=alice
    )
    assert new.note == SHOWN
    send_pending()
    assert mail.outbox, "the replacement's notice"
    for message in mail.outbox:
        html = "".join(str(content) for content, _type in getattr(message, "alternatives", []))
        assert RLO not in message.subject + message.body + html


def test_a_caller_other_than_the_form_stores_the_visible_code(make_key, bob):
    key, _token = make_key(user=bob, note=SPOOF)
    assert ApiKey.objects.filter(pk=key.pk, note=SHOWN).exists()


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/administration/security-policy/suspend/", {"reason": f"incident {RLO}cba"}),
        ("/administration/users/technical/new/", {"name": f"ERP {RLO}sucaba", "description": "x"}),
        ("/administration/users/technical/new/", {"name": "ERP", "description": f"{RLO}x"}),
    ],
)
def test_a_reason_or_a_description_with_a_control_is_refused(alice_client, alice, url, form):
    response = alice_client.post(url, form)
    assert response.status_code in (200, 400)
    assert "invisible text-direction characters" in response.content.decode()
    alice.organization.refresh_from_db()
    assert alice.organization.keys_suspended_at is None


def test_a_suspension_reason_stored_before_is_neutralised_on_the_policy_page(alice_client, alice):
    apikeys_suspend(organization=alice.organization, by=alice, reason=f"incident {RLO}cba")
    body = alice_client.get("/administration/security-policy/").content.decode()
    assert RLO not in body
    assert "incident [U+202E]cba" in body


def test_neutralise_names_each_control_and_leaves_other_text():
    assert neutralise("a\u2066b\u2069c\u200fd") == "a[U+2066]b[U+2069]c[U+200F]d"
    assert neutralise("Zürich – «ok» עברית") == "Zürich – «ok» עברית"  # Hebrew letters are not controls
