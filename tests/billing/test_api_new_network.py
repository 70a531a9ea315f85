"""«First use from a new network»: the first successful request of a key without allowed networks from
a network (an IPv4 /24, an IPv6 /48) it has not used in 90 days sends one e-mail to each active Admin
user of the contract and writes one «Activity» entry; nothing else does, and the usual request (the
network of the key's last use) runs no query for it."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from apikeys import tokens
from apikeys.models import ApiKey, SeenNetwork
from audit.models import Action, AuditEvent
from tests.cast import make_user
from tests.conftest import run_concurrently, statements_run
from users.models import OutboxMessage

PING = "/api/billing-int/v1/ping"
KIND = "key_new_network"


def ping(client, token, address):
    return client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address)


def notices():
    return OutboxMessage.objects.filter(kind=KIND)


def entries():
    return AuditEvent.objects.filter(action=Action.KEY_NEW_NETWORK)


def later(key, **ago):
    """As if the key's last use (and the networks it used) had been `ago` earlier."""
    delta = datetime.timedelta(**ago)
    key.refresh_from_db()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=key.last_used_at - delta)
    for row in SeenNetwork.objects.filter(api_key_id=key.pk):
        SeenNetwork.objects.filter(pk=row.pk).update(since=row.since - delta, last_seen=row.last_seen - delta)


@pytest.fixture
def dora(demo_ag):
    """A second Admin user of the contract, who reads her e-mail in French."""
    return make_user("dora", demo_ag, is_org_admin=True, language="fr")


@pytest.fixture
def cast(alice, dora, bob, charlie, demo_ag):
    alice.language = "de"
    alice.save(update_fields=["language"])
    make_user("gone", demo_ag, is_org_admin=True, is_active=False)
    return alice, dora


def test_the_first_request_from_a_network_tells_every_active_admin_once(client, alice_key, cast):
    key, token = alice_key
    assert ping(client, token, "203.0.113.10").status_code == 200
    assert sorted(notices().values_list("to", flat=True)) == ["alice@demo.example", "dora@demo.example"]
    entry = entries().get()
    assert (entry.key_id, entry.organization_id, entry.ip) == (key.key_id, key.organization_id, "203.0.113.10")
    assert entry.details == {"network": "203.0.113.0/24"}
    assert entry.actor is None


def test_another_host_of_the_same_network_sends_nothing(client, alice_key, cast):
    key, token = alice_key
    ping(client, token, "203.0.113.10")
    assert ping(client, token, "203.0.113.99").status_code == 200  # the network of the last use
    ping(client, token, "198.51.100.7")  # another network (new: one more notice each)
    later(key, minutes=2)
    ping(client, token, "198.51.100.8")  # the last use is now from 198.51.100.0/24
    later(key, minutes=2)
    assert ping(client, token, "203.0.113.200").status_code == 200  # found in the networks used
    assert sorted(entries().values_list("details__network", flat=True)) == ["198.51.100.0/24", "203.0.113.0/24"]
    assert notices().count() == 4


def test_ipv6_counts_by_48_and_a_mapped_ipv4_address_as_ipv4(client, alice_key, cast):
    key, token = alice_key
    ping(client, token, "2001:db8:1:2::5")
    ping(client, token, "192.0.2.1")
    later(key, minutes=2)
    ping(client, token, "2001:db8:1:ffff::9")  # same /48
    ping(client, token, "::ffff:192.0.2.77")  # 192.0.2.0/24 again
    assert list(entries().order_by("at").values_list("details__network", flat=True)) == [
        "2001:db8:1::/48",
        "192.0.2.0/24",
    ]
    ping(client, token, "2001:db8:2::1")  # another /48
    assert entries().filter(details__network="2001:db8:2::/48").count() == 1
    assert notices().count() == 6


def test_the_network_of_the_last_use_is_new_again_after_91_days_not_89(client, alice_key, cast):
    key, token = alice_key
    ping(client, token, "203.0.113.10")
    later(key, days=89)
    ping(client, token, "203.0.113.11")
    assert entries().count() == 1
    later(key, days=91)
    ping(client, token, "203.0.113.12")
    assert entries().count() == 2
    assert notices().count() == 4


def test_a_network_left_for_91_days_is_new_again_for_89_not(client, alice_key, cast):
    key, token = alice_key
    ping(client, token, "203.0.113.10")
    later(key, minutes=2)
    ping(client, token, "198.51.100.1")  # new; the last use is now from here
    later(key, days=89)
    ping(client, token, "203.0.113.11")  # left 89 days ago: found in the networks used
    assert entries().count() == 2
    later(key, days=91)
    ping(client, token, "198.51.100.9")  # left 91 days ago
    assert list(entries().order_by("at", "id").values_list("details__network", flat=True)) == [
        "203.0.113.0/24",
        "198.51.100.0/24",
        "198.51.100.0/24",
    ]
    assert notices().count() == 6


def test_a_network_in_use_all_along_is_not_new_after_90_days(client, alice_key, cast):
    key, token = alice_key
    ping(client, token, "203.0.113.10")
    later(key, days=100)  # first seen 100 days ago ...
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - datetime.timedelta(minutes=5))
    ping(client, token, "198.51.100.1")  # ... and used until 5 minutes ago: left now
    later(key, minutes=2)
    ping(client, token, "203.0.113.10")
    assert list(entries().order_by("at").values_list("details__network", flat=True)) == [
        "203.0.113.0/24",
        "198.51.100.0/24",
    ]


def test_a_key_with_allowed_networks_never_reports(client, make_key, bob, cast):
    _key, token = make_key(user=bob, allowed_networks="203.0.113.0/24 198.51.100.0/24")
    ping(client, token, "203.0.113.10")
    ping(client, token, "198.51.100.7")
    assert (notices().count(), entries().count(), SeenNetwork.objects.count()) == (0, 0, 0)


def test_refused_requests_never_report(client, make_key, alice_key, bob, cast):
    _key, token = alice_key
    parsed = tokens.parse_token(token)
    wrong_secret = tokens.build_token(parsed.api, parsed.key_id, tokens.new_secret())
    assert ping(client, wrong_secret, "203.0.113.10").status_code == 401
    _expired, expired_token = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert ping(client, expired_token, "203.0.113.10").status_code == 401
    _deleted, deleted_token = make_key(user=bob, deleted=True)
    assert ping(client, deleted_token, "203.0.113.10").status_code == 401
    _production, production_token = make_key(user=bob, api="production")
    assert ping(client, production_token, "203.0.113.10").status_code == 401  # the other API
    assert (notices().count(), entries().count(), SeenNetwork.objects.count()) == (0, 0, 0)


def test_another_contracts_admins_get_nothing_and_their_key_tells_only_them(client, make_key, charlie, cast):
    _key, token = make_key(user=charlie)
    ping(client, token, "203.0.113.10")
    assert list(notices().values_list("to", flat=True)) == ["charlie@demo.example"]
    assert entries().get().organization_id == charlie.organization_id


def test_the_email_names_key_network_and_time_in_the_readers_language_never_the_token(client, alice_key, cast):
    key, token = alice_key
    ping(client, token, "203.0.113.10")
    german = notices().get(to="alice@demo.example")
    french = notices().get(to="dora@demo.example")
    assert german.subject == f"API-Schlüssel {key.key_id} aus einem neuen Netzwerk verwendet"
    assert french.subject == f"Clé API {key.key_id} utilisée depuis un nouveau réseau"
    secret = tokens.parse_token(token).secret
    for message in (german, french):
        for text in (message.subject, message.body, message.html):
            assert token not in text and secret not in text
        assert key.key_id in message.body and "203.0.113.0/24" in message.body and "203.0.113.0/24" in message.html
        assert timezone.localtime(entries().get().at).strftime("%d.%m.%Y %H:%M") in message.body
        assert f"/api-keys/{key.key_id}/" in message.body
        assert message.sent_at is None  # queued: `send_outbox` sends it, never the API request


def test_the_usual_request_runs_no_query_for_it(client, alice_key, cast):
    _key, token = alice_key
    ping(client, token, "203.0.113.10")
    with statements_run() as statements:
        assert ping(client, token, "203.0.113.11").status_code == 200
    assert not any(SeenNetwork._meta.db_table in statement for statement in statements)
    assert not any("outbox" in statement or "audit" in statement for statement in statements)


def test_a_database_failing_at_the_check_costs_the_report_not_the_request(client, alice_key, cast, monkeypatch):
    _key, token = alice_key

    def broken(*args, **kwargs):
        raise OperationalError("database gone")

    monkeypatch.setattr(SeenNetwork.objects, "note", broken)
    assert ping(client, token, "203.0.113.10").status_code == 200
    assert (notices().count(), entries().count()) == (0, 0)


def test_pruning_deletes_networks_unused_for_90_days(alice_key):
    key, _token = alice_key
    now = timezone.now()
    for days in (91, 89):
        at = now - datetime.timedelta(days=days)
        SeenNetwork.objects.create(api_key=key, network=f"10.0.{days}.0/24", since=at, last_seen=at, run="x")
    from io import StringIO

    out = StringIO()
    call_command("prune_key_usage", stdout=out)
    assert list(SeenNetwork.objects.values_list("network", flat=True)) == ["10.0.89.0/24"]
    assert "1 network(s) not used for 90 days deleted." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_from_a_new_network_send_one_email(alice_key, cast):
    key, token = alice_key
    barrier, errors, hosts = threading.Barrier(6, timeout=10), [], iter(range(1, 7))

    def request():
        client = Client()
        try:
            address = f"203.0.113.{next(hosts)}"
            barrier.wait()
            assert ping(client, token, address).status_code == 200
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    run_concurrently(request, 6)
    assert errors == []
    assert sorted(notices().values_list("to", flat=True)) == ["alice@demo.example", "dora@demo.example"]
    assert entries().count() == 1
    assert SeenNetwork.objects.get(api_key_id=key.pk).network == "203.0.113.0/24"
