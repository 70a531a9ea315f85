"""Every time a page, an e-mail or the support admin shows reads 19.12.2026 17:41 in Swiss time, and the
zone is named once: in the page's footer, at the end of an e-mail (efinance.lib.when)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from apikeys.models import ApiKey
from apikeys.services import apikey_replace
from efinance.lib.when import moment, zone_note
from tests.cast import client_for, today
from users.models import OutboxMessage

NOTE = {
    "en": "All times are Swiss time (Europe/Zurich).",
    "de": "Alle Zeiten in Schweizer Zeit (Europe/Zurich).",
}
# A zone said next to a time instead: «CET», «CEST», «+01:00» or «(Europe/Zurich)» after the time.
ZONE_NEXT_TO_A_TIME = re.compile(r"\d\d:\d\d(:\d\d)? ?(CET|CEST|UTC|[+-]\d\d:?\d\d|\(Europe/Zurich\))")


def _replaced(alice, make_key, bob):
    key, _token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=100), note="ERP")
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=300), overlap=datetime.timedelta(days=7), by=alice
    )
    key.refresh_from_db()
    return key


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_customers_pages_name_the_zone_once(alice, bob, make_key, language):
    key = _replaced(alice, make_key, bob)
    client = client_for(alice, HTTP_ACCEPT_LANGUAGE=language)
    for url in (reverse("apikeys:activity"), reverse("apikeys:detail", args=[key.key_id])):
        html = client.get(url).content.decode()
        assert html.count("Europe/Zurich") == 1, url
        assert NOTE[language] in html, url
        assert not ZONE_NEXT_TO_A_TIME.search(html), url
    page = client.get(reverse("apikeys:detail", args=[key.key_id])).content.decode()
    assert moment(key.ends_at) in page  # the replacement's end, as 19.12.2026 17:41


def test_the_support_admin_names_the_zone_once_and_writes_times_the_customers_way(sam, alice, bob, make_key):
    key = _replaced(alice, make_key, bob)
    html = client_for(sam).get(reverse("admin:apikeys_apikey_change", args=[key.pk])).content.decode()
    assert html.count("Europe/Zurich") == 1
    assert not ZONE_NEXT_TO_A_TIME.search(html)
    assert moment(key.ends_at) in html
    listing = client_for(sam).get(reverse("admin:apikeys_apikey_changelist")).content.decode()
    assert listing.count("Europe/Zurich") == 1
    assert timezone.localtime(key.created_at).strftime("%d.%m.%Y %H:%M") in listing


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
def test_every_notice_names_the_zone_once_in_both_parts(alice, bob, make_key, language):
    bob.language = language
    bob.save()
    _replaced(alice, make_key, bob)
    messages = OutboxMessage.objects.filter(recipient=bob)
    assert {message.kind for message in messages} >= {"key_created", "key_replaced"}
    with translation.override(language):
        note = zone_note()
    for message in messages:
        assert message.body.rstrip().endswith(note), message.kind
        assert message.body.count("Europe/Zurich") == 1, message.kind
        assert message.html.count("Europe/Zurich") == 1, message.kind
        assert not ZONE_NEXT_TO_A_TIME.search(message.body + message.html), message.kind


def test_a_notice_writes_the_replacements_end_in_swiss_time(alice, bob, make_key):
    key = _replaced(alice, make_key, bob)
    message = OutboxMessage.objects.get(recipient=bob, kind="key_replaced")
    assert moment(ApiKey.objects.get(pk=key.pk).ends_at) in message.body
    assert moment(key.ends_at) in message.html
