"""The page of one key: its state, facts, usage (chart and table), refusals and timeline."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apikeys import services, usage
from apikeys.models import Api, ApiKey, KeyUsage
from apikeys.policy.rules import apikeys_suspend
from tests.conftest import flip_last

PING = "/api/billing-int/v1/ping"


def page(client, key, **params):
    return client.get(reverse("apikeys:detail", args=[key.key_id]), params)


def cell_numbers(html: str, testid: str) -> list[list[str]]:
    table = re.search(rf'data-testid="{testid}".*?</table>', html, re.S)[0]
    return [re.findall(r'<td class="num">(\d+)</td>', row) for row in re.findall(r"<tr>.*?</tr>", table, re.S)]


def test_the_usage_table_equals_the_requests_made(alice_client, client, alice_key, settings):
    key, token = alice_key
    for _ in range(4):
        client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/billing-int/v1/keys/self", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/billing-int/v1/documents/x", HTTP_AUTHORIZATION=f"Bearer {token}")  # 422: refused by the API
    response = page(alice_client, key)
    assert response.status_code == 200
    html = response.content.decode()
    # Columns: answered, refused (4xx), refused authentication, over a limit, server error, total.
    rows = cell_numbers(html, "usage-by-operation")
    assert rows[1:] == [
        ["4", "0", "0", "0", "0", "4"],
        ["1", "0", "0", "0", "0", "1"],
        ["0", "1", "0", "0", "0", "1"],
        ["0", "0", "0", "0", "0", "0"],
        ["5", "1", "0", "0", "0", "6"],
    ]
    today = cell_numbers(html, "usage-by-day")[-1]
    assert today == ["5", "1", "0", "0", "0", "6"]
    assert f'data-day="{timezone.localdate().isoformat()}" data-total="6"' in html
    assert "<script" not in html.split('data-testid="usage-chart"')[1].split("</svg>")[0]


def test_it_offers_7_30_and_90_days_and_falls_back_to_30(alice_client, alice_key):
    key, _token = alice_key
    old = timezone.now() - datetime.timedelta(days=40)
    KeyUsage.objects.create(
        api_key_id=key.pk, hour=old.replace(minute=0, second=0, microsecond=0), operation="ping", outcome="ok", count=9
    )
    assert cell_numbers(page(alice_client, key, days=90).content.decode(), "usage-by-operation")[-1][-1] == "9"
    assert cell_numbers(page(alice_client, key, days=30).content.decode(), "usage-by-operation")[-1][-1] == "0"
    html = page(alice_client, key, days="x").content.decode()
    assert html.count('data-day="') == 30
    assert page(alice_client, key, days=7).content.decode().count('data-day="') == 7


def test_refused_requests_and_failures_show_their_reason_never_the_token(alice_client, client, alice_key, alice):
    key, token = alice_key
    client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token[:-5]}{token[-5:]}")
    apikeys_suspend(organization=alice.organization, by=alice, reason="drill")
    client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="203.0.113.9")
    client.get(PING, HTTP_AUTHORIZATION=f"Bearer {flip_last(token)}")  # malformed: nobody's key
    html = page(alice_client, key).content.decode()
    assert 'data-testid="status-pill">suspended<' in html
    assert "<strong>1 ×</strong> All keys of the contract are suspended." in html
    refusals = re.search(r'data-testid="refusals".*?</table>', html, re.S)[0]
    assert "203.0.113.9" in refusals and "Ping" in refusals
    assert token not in html and token.split("_")[2] not in html


def test_facts_links_and_timeline(alice_client, alice_key, alice, bob):
    key, _token = alice_key
    new, _new_token = services.apikey_replace(
        key=key, valid_until=key.valid_until, overlap=datetime.timedelta(days=1), by=alice
    )
    html = page(alice_client, key).content.decode()
    assert 'data-testid="status-pill">replaced, stops' in html
    assert reverse("apikeys:detail", args=[new.key_id]) in html
    assert "Key created" in html and "Key replaced" in html
    new_html = page(alice_client, new).content.decode()
    assert 'data-testid="status-pill">working<' in new_html
    assert reverse("apikeys:detail", args=[key.key_id]) in new_html
    assert "does not stop with it" in new_html
    assert re.search(r"in \d+ days", new_html)
    assert "any address" in new_html and "Your own address now: 127.0.0.1" in new_html


def test_an_ended_key_has_no_replace_or_delete(alice_client, make_key, bob):
    key, _token = make_key(user=bob, deleted=True)
    html = page(alice_client, key).content.decode()
    assert 'data-testid="status-pill">deleted<' in html
    assert 'data-testid="replace"' not in html and 'data-testid="delete"' not in html


def test_every_key_id_in_the_key_list_links_to_its_page(alice_client, alice_key):
    key, _token = alice_key
    html = alice_client.get(reverse("apikeys:list")).content.decode()
    assert f'href="{reverse("apikeys:detail", args=[key.key_id])}"' in html


def test_another_organizations_key_is_404_and_a_standard_user_gets_403(charlie_client, bob_client, alice_key):
    key, _token = alice_key
    assert page(charlie_client, key).status_code == 404
    assert page(bob_client, key).status_code == 403
    assert charlie_client.get(reverse("apikeys:detail", args=["nosuchkey234"])).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_page_only_answers_get(alice_client, alice_key, method):
    key, _token = alice_key
    assert getattr(alice_client, method)(reverse("apikeys:detail", args=[key.key_id])).status_code == 405


def test_a_production_key_waiting_for_approval_says_so(alice_client, make_key, bob):
    key, _token = make_key(user=bob, api=Api.PRODUCTION)
    ApiKey.objects.filter(pk=key.pk).update(approval_requested_at=timezone.now())
    html = page(alice_client, key).content.decode()
    assert 'data-testid="status-pill">waiting for approval<' in html
    assert 'data-testid="badge-production"' in html


def test_a_waiting_key_is_decided_on_its_page_not_replaced(alice_client, dora_client, make_key, bob, alice):
    key, _token = make_key(user=bob, api=Api.PRODUCTION, created_by=alice)
    ApiKey.objects.filter(pk=key.pk).update(approval_requested_at=timezone.now())
    theirs = page(dora_client, key).content.decode()
    assert 'data-testid="approve-key"' in theirs and 'data-testid="reject-key"' in theirs
    assert 'data-testid="replace"' not in theirs  # a key that does not work yet is decided, not rolled
    own = page(alice_client, key).content.decode()  # the requester: no decision on their own request
    assert 'data-testid="approve-key"' not in own and "Waiting for another Admin user" in own
    assert 'data-testid="replace"' not in own
    response = dora_client.post(reverse("apikeys:key_approve", args=[key.key_id]))
    assert response.status_code in (302, 303)
    approved = page(dora_client, key).content.decode()
    assert 'data-testid="key-approval"' not in approved and 'data-testid="replace"' in approved


def test_a_waiting_key_whose_requester_left_says_so_on_its_page(dora_client, make_key, bob, alice):
    key, _token = make_key(user=bob, api=Api.PRODUCTION, created_by=alice)
    ApiKey.objects.filter(pk=key.pk).update(approval_requested_at=timezone.now())
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    html = page(dora_client, key).content.decode()
    assert 'data-testid="requester-left"' in html and 'data-testid="approve-key"' not in html


def test_support_sees_the_same_usage_read_only_in_the_admin(sam_client, client, alice_key):
    key, token = alice_key
    client.get(PING, HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/billing-int/v1/documents/x", HTTP_AUTHORIZATION=f"Bearer {token}")
    response = sam_client.get(reverse("admin:apikeys_apikey_change", args=[key.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    usage_table = re.search(r'data-testid="admin-usage".*?</table>', html, re.S)[0]
    assert re.findall(r"<td>(\d+)</td>", usage_table)[-6:] == ["1", "1", "0", "0", "0", "2"]
    assert 'data-testid="admin-refusals"' in html and "Invalid request" in html
    assert 'name="usage_display"' not in html  # read-only: no form field


def test_the_facts_name_the_keys_scopes(alice_client, alice_key):
    key, _token = alice_key
    html = page(alice_client, key).content.decode()
    facts = re.search(r'data-testid="key-scopes">(.*?)</dd>', html)[1]
    assert facts == "Read documents, Deliver documents"


def test_a_valid_key_of_a_deactivated_user_reads_refused_as_support_sees_it(alice_client, alice_key, bob):
    """The key page's pill and support's «the API answers now» tell one state (`api_state`): a user
    deactivated outside the support admin leaves the key valid, and the API refuses it."""
    key, token = alice_key
    type(bob).objects.filter(pk=bob.pk).update(is_active=False)
    html = page(alice_client, key).content.decode()
    assert 'data-testid="status-pill">refused: its user is deactivated<' in html
    assert Client().get(PING, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_the_days_are_zurichs_and_a_later_days_counter_is_not_shown(alice_key):
    key, _token = alice_key
    now = datetime.datetime(2026, 1, 20, 12, tzinfo=datetime.UTC)  # winter: Zurich is UTC+1
    for hour, count in ((22, 1), (23, 2)):  # 23:00 and 00:00 in Zurich
        KeyUsage.objects.create(
            api_key_id=key.pk, hour=now.replace(day=18, hour=hour), operation="ping", outcome="ok", count=count
        )
    KeyUsage.objects.create(api_key_id=key.pk, hour=now.replace(day=25), operation="read", outcome="refused", count=5)
    figures = usage.usage_of(key.pk, 7, now)
    days = {day.date.day: day.total for day in figures.days if day.total}
    assert days == {18: 1, 19: 2}
    assert figures.by_operation == {"ping": {"ok": 3}} and figures.totals == {"ok": 3}


def test_a_year_of_counters_reads_the_queries_of_a_new_key(alice_client, alice_key, make_key, bob):
    key, _token = alice_key
    new, _token = make_key(bob)
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    KeyUsage.objects.bulk_create(
        KeyUsage(api_key_id=key.pk, hour=hour - datetime.timedelta(hours=back), operation=op, outcome=outcome)
        for back in range(0, 24 * 100, 5)
        for op in ("ping", "read")
        for outcome in ("ok", "limit")
    )
    counted = []
    for each in (new, key):
        with CaptureQueriesContext(connection) as queries:
            assert page(alice_client, each, days=90).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]
