"""The API-key screen: valid keys, then «Expired and deleted keys», derived from dates alone."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.models import Api, ApiKey, Status
from tests.apikeys.key_list import URL, key_ids, row_of, tables
from tests.cast import mentions


def test_it_lists_valid_keys_with_their_facts(alice_client, make_key, bob):
    key, _token = make_key(user=bob, api=Api.PRODUCTION, note="ERP invoicing", valid_until=datetime.date(2027, 3, 31))
    html = alice_client.get(URL).content.decode()
    valid, ended = tables(html)
    assert key_ids(valid) == [key.key_id]
    assert key_ids(ended) == []
    row = row_of(valid, key.key_id)
    for fact in (">bob<", ">Production<", ">ERP invoicing<", " · 31.03.2027<", ">never<"):
        assert fact in row
    assert f"/administration/api-keys/{key.key_id}/delete/" in row
    assert "Create a new API key" in html
    assert "Expired and deleted keys" in html


def test_deleted_keys_show_below_with_when_and_by_whom(alice_client, make_key, bob):
    key, _token = make_key(user=bob, deleted=True)
    valid, ended = tables(alice_client.get(URL).content.decode())
    assert key_ids(valid) == []
    assert key_ids(ended) == [key.key_id]
    row = row_of(ended, key.key_id)
    assert "Deleted" in row
    assert timezone.localtime(key.revoked_at).strftime("%d.%m.%Y") in row
    assert mentions(row, "alice")
    assert "/delete/" not in row


def test_a_key_whose_validity_passed_moves_below_by_itself(alice_client, make_key, bob, monkeypatch):
    key, _token = make_key(user=bob, valid_until=datetime.date(2027, 6, 30))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 6, 30))
    valid, _ended = tables(alice_client.get(URL).content.decode())
    assert key_ids(valid) == [key.key_id]  # still valid on its last day

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2027, 7, 1))
    valid, ended = tables(alice_client.get(URL).content.decode())
    assert key_ids(valid) == []
    assert key_ids(ended) == [key.key_id]
    row = row_of(ended, key.key_id)
    assert "Expired" in row
    assert "01.07.2027" in row  # expired on
    key.refresh_from_db()
    assert key.revoked_at is None  # nothing was written: the status is derived
    assert key.status == Status.EXPIRED


def test_it_shows_nothing_of_another_organization(charlie_client, make_key, bob):
    key, _token = make_key(user=bob)
    gone, _token = make_key(user=bob, deleted=True)
    html = charlie_client.get(URL).content.decode()
    assert key.key_id not in html
    assert gone.key_id not in html
    assert not mentions(html, "bob")


def _many(make_key, user, count, **kwargs):
    return [make_key(user=user, **kwargs)[0] for _ in range(count)]


def test_both_tables_paginate_past_50_rows(alice_client, make_key, bob):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    valid_keys = _many(make_key, bob, 51)
    ended_keys = _many(make_key, bob, 51, valid_until=yesterday)
    first_valid, first_ended = tables(alice_client.get(URL).content.decode())
    assert len(key_ids(first_valid)) == 50
    assert len(key_ids(first_ended)) == 50
    second_valid, _ended = tables(alice_client.get(URL, {"page": 2}).content.decode())
    _valid, second_ended = tables(alice_client.get(URL, {"ended_page": 2}).content.decode())
    assert set(key_ids(first_valid)) | set(key_ids(second_valid)) == {k.key_id for k in valid_keys}
    assert set(key_ids(first_ended)) | set(key_ids(second_ended)) == {k.key_id for k in ended_keys}
    assert "Page 1 of 2" in alice_client.get(URL).content.decode()
    both_second = alice_client.get(URL, {"page": 2}).content.decode()
    assert 'href="?ended_page=2&amp;page=2"' in both_second  # the ended table's link keeps the valid page
    assert 'href="?page=1&amp;ended_page=1"' in both_second


def test_a_bad_page_number_is_no_error(alice_client, make_key, bob):
    make_key(user=bob)
    for page in ("abc", "-1", "0", "99999", "1e9", "' OR 1=1"):
        assert alice_client.get(URL, {"page": page, "ended_page": page}).status_code == 200


def _queries_for(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_3_keys_as_for_120(
    alice_client, make_key, bob, alice, django_assert_max_num_queries
):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _many(make_key, bob, 2)
    make_key(user=alice, deleted=True)
    few = _queries_for(alice_client)
    _many(make_key, bob, 60, api=Api.PRODUCTION)
    _many(make_key, alice, 30, valid_until=yesterday)
    _many(make_key, bob, 27, deleted=True)
    assert ApiKey.objects.count() == 120
    assert _queries_for(alice_client) == few
    with django_assert_max_num_queries(few):
        alice_client.get(URL, {"page": 2, "ended_page": 2})


def test_expired_and_deleted_keys_fold_away_with_their_count(alice_client, make_key, bob):
    for _n in range(2):
        make_key(user=bob, deleted=True)
    make_key(user=bob)
    html = alice_client.get(URL).content.decode()
    disclosure = re.search(r'<details class="ended-keys"[^>]*>\s*<summary>(.*?)</summary>', html, re.S)
    assert " open" not in disclosure[0]  # folded
    assert "Expired and deleted keys" in disclosure[1]
    assert re.search(r'data-testid="ended-count">2<', disclosure[1])
    assert len(key_ids(tables(html)[1])) == 2  # there, to unfold without another request
    # Unfolded when asked for: its own page links, or a search.
    for query in ({"ended_page": "1"}, {"q": "bob"}):
        opened = alice_client.get(URL, query).content.decode()
        assert re.search(r'<details class="ended-keys"[^>]* open>', opened), query
