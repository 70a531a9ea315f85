"""The call to action of a key notice depends on who reads it: an Admin user of the key's contract gets
the key's page, «Replace» and «Delete»; the key's own standard user is told to ask the contract's active
Admin users, by name, and gets no link into Administration. Every notice shows the key's facts. Read as
delivered: the outbox's runner sends, the tests read Django's test outbox."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client

from apikeys import services
from apikeys.models import Api, ApiKey
from apikeys.notices import send_expiry_reminders
from apikeys.policy.rules import apikey_approve, apikey_reject
from apikeys.templatetags.keys import key_links
from audit.models import ExposureSource
from efinance.lib.when import day
from tests.apikeys.policy_cast import set_policy
from tests.cast import make_user, today
from users.mail import send_pending
from users.models import OutboxMessage

SITE = "http://127.0.0.1:8765"
LINK = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def cast(settings, alice, bob, demo_ag, charlie):
    """alice and dora are the contract's active Admin users, gone is one who left; bob is a standard user."""
    settings.SITE_URL = SITE
    dora = make_user("dora", demo_ag, is_org_admin=True)
    make_user("gone", demo_ag, is_org_admin=True, is_active=False)
    return {"alice": alice, "bob": bob, "dora": dora}


def _delivered() -> dict[str, list]:
    """The messages the outbox's runner sent, by recipient; the outbox is then forgotten."""
    send_pending()
    by_recipient: dict[str, list] = {}
    for message in mail.outbox:
        by_recipient.setdefault(message.to[0], []).append(message)
    mail.outbox.clear()
    OutboxMessage.objects.all().delete()
    return by_recipient


def _replace(key: ApiKey, by):
    return services.apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=300), overlap=datetime.timedelta(days=7), by=by
    )


def _parts(message) -> tuple[str, str]:
    return message.body, message.alternatives[0][0]


def _assert_facts(key: ApiKey, text: str) -> None:
    for fact in (key.key_id, key.get_api_display(), key.user.username, day(key.valid_until)):
        assert fact in text, fact


def _assert_admin_links(key: ApiKey, text: str, *, replace: bool = True, delete: bool = True) -> None:
    links = set(LINK.findall(text))
    assert f"{SITE}/administration/api-keys/{key.key_id}/" in links
    assert (f"{SITE}/administration/api-keys/{key.key_id}/replace/" in links) is replace
    assert (f"{SITE}/administration/api-keys/{key.key_id}/delete/" in links) is delete
    assert all(link.startswith(SITE) for link in links if "demo.example" not in link)


def _assert_asks_the_admins(text: str) -> None:
    assert "Ask Alice Tester or Dora Tester" in text
    assert "/administration/" not in text
    assert "Gone" not in text


def test_the_creation_notice(cast, bob):
    key, _token = services.apikey_create(
        user=bob, api=Api.INTEGRATION, note="ERP", valid_until=today(), created_by=cast["alice"]
    )
    sent = _delivered()
    for admin in ("alice", "dora"):
        [message] = sent[cast[admin].email]
        for text in _parts(message):
            _assert_facts(key, text)
            _assert_admin_links(key, text)
    [message] = sent[bob.email]
    for text in _parts(message):
        _assert_facts(key, text)
        _assert_asks_the_admins(text)


def test_the_replacement_notice_offers_the_new_keys_links(cast, bob, make_key):
    old, _token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=50))
    _delivered()
    new, _token = services.apikey_replace(
        key=old,
        valid_until=today() + datetime.timedelta(days=300),
        overlap=datetime.timedelta(days=7),
        by=cast["alice"],
    )
    sent = _delivered()
    for text in _parts(sent[cast["dora"].email][0]):
        _assert_facts(new, text)
        _assert_admin_links(new, text)
    for text in _parts(sent[bob.email][0]):
        _assert_facts(new, text)
        _assert_asks_the_admins(text)


def test_the_reminder_offers_replace_to_admins_and_names_them_to_the_user(cast, bob, make_key):
    key, _token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=200))
    _delivered()
    send_expiry_reminders(today=key.valid_until - datetime.timedelta(days=7))
    mail.outbox.clear()  # the run sent them already: read them from the outbox's rows
    messages = {message.to: message for message in OutboxMessage.objects.filter(kind="expiry_reminder")}
    assert set(messages) == {cast["alice"].email, cast["dora"].email, bob.email}
    for admin in ("alice", "dora"):
        for text in (messages[cast[admin].email].body, messages[cast[admin].email].html):
            _assert_facts(key, text)
            _assert_admin_links(key, text)
    for text in (messages[bob.email].body, messages[bob.email].html):
        _assert_facts(key, text)
        _assert_asks_the_admins(text)


def test_a_replaced_key_offers_no_replace_and_a_deleted_one_no_link_but_its_page(cast, bob, make_key):
    key, _token = make_key(user=bob)
    services.apikey_replace(
        key=key,
        valid_until=today() + datetime.timedelta(days=300),
        overlap=datetime.timedelta(days=7),
        by=cast["alice"],
    )
    key.refresh_from_db()
    links = key_links(key, cast["alice"])
    assert links["replace"] is None and links["delete"].startswith(SITE)
    services.apikey_revoke(key=key, by=cast["alice"])
    key.refresh_from_db()
    assert key_links(key, cast["alice"]) == {
        "page": f"{SITE}/administration/api-keys/{key.key_id}/",
        "replace": None,
        "delete": None,
    }
    assert key_links(key, bob) is None  # the key's own standard user
    cast["alice"].is_active = False
    assert key_links(key, cast["alice"]) is None


def test_an_admin_of_another_contract_never_gets_the_links(cast, bob, charlie, make_key):
    key, _token = make_key(user=bob)
    assert key_links(key, charlie) is None


def test_approval_request_and_decisions_go_to_admins_with_links(cast, bob, demo_ag):
    set_policy(demo_ag, four_eyes=True)
    key, _token = services.apikey_create(
        user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today(), created_by=cast["alice"]
    )
    sent = _delivered()
    [request] = [m for m in sent[cast["dora"].email] if "approval" in m.subject.lower()]
    for text in _parts(request):
        _assert_facts(key, text)
        _assert_admin_links(key, text, replace=False)  # not before it is approved
    for text in _parts(sent[bob.email][0]):  # bob's creation notice: the key waits, bob asks
        _assert_asks_the_admins(text)
    apikey_approve(key=key, by=cast["dora"])
    key.refresh_from_db()
    [decided] = _delivered()[cast["alice"].email]
    for text in _parts(decided):
        _assert_facts(key, text)
        _assert_admin_links(key, text)
    other, _token = services.apikey_create(
        user=bob, api=Api.PRODUCTION, note="ERP 2", valid_until=today(), created_by=cast["alice"]
    )
    _delivered()
    apikey_reject(key=other, by=cast["dora"], reason="not ours")
    other.refresh_from_db()
    [rejected] = _delivered()[cast["alice"].email]
    for text in _parts(rejected):
        _assert_facts(other, text)
        _assert_admin_links(other, text, replace=False, delete=False)


def test_the_new_network_notice_shows_the_keys_facts_and_links(cast, bob, make_key):
    key, token = make_key(user=bob)
    _delivered()
    response = Client().get(
        "/api/billing-int/v1/ping", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 200
    key.refresh_from_db()
    sent = _delivered()
    assert bob.email not in sent  # Admin users only
    for text in _parts(sent[cast["dora"].email][0]):
        _assert_facts(key, text)
        _assert_admin_links(key, text)
        assert "198.51.100.0/24" in text


def test_the_exposure_notice_names_the_admins_to_the_keys_user(cast, bob, make_key):
    _key, token = make_key(user=bob)
    _delivered()
    services.apikeys_revoke_exposed(credentials=[token], source=ExposureSource.REPORT, ip="203.0.113.9")
    sent = _delivered()
    for text in _parts(sent[bob.email][0]):
        _assert_asks_the_admins(text)
    assert "/administration/api-keys/" in sent[cast["alice"].email][0].body


def test_a_contract_without_admins_sends_its_user_to_the_bank(cast, bob, make_key, demo_ag):
    key, _token = make_key(user=bob)
    _delivered()
    type(cast["dora"]).objects.filter(organization=demo_ag, is_org_admin=True).update(is_active=False)
    services.apikey_replace(
        key=key,
        valid_until=today() + datetime.timedelta(days=300),
        overlap=datetime.timedelta(days=7),
        by=cast["alice"],
    )
    for text in _parts(_delivered()[bob.email][0]):
        assert "contact the bank's e-finance support" in text
        assert "/administration/" not in text
