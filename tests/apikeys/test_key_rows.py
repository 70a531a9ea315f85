"""The rows of the key tables (`{% key_rows %}`): every value escaped, every state's words, the
phone's column names, and the links of each row."""

import datetime
import re

import pytest
from django.utils import timezone, translation

from apikeys import services
from apikeys.models import Api, ApiKey
from apikeys.templatetags.key_rows import Page
from efinance.lib import when
from tests.apikeys.key_list import URL, row_of, tables, text_of
from tests.cast import today


def test_a_note_and_a_username_are_escaped(alice_client, make_key, bob):
    key, _token = make_key(user=bob, note='<script>alert("x")</script> & co')
    bob.username = "bob<b>&"
    bob.save()
    valid, _ended = tables(alice_client.get(URL).content.decode())
    row = row_of(valid, key.key_id)
    assert "<script>" not in row and "<b>" not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in row
    assert '<span class="ident">bob&lt;b&gt;&amp;</span>' in row


def test_six_columns_the_key_its_mark_user_expiry_last_use_and_one_menu(alice_client, make_key, bob):
    key, _token = make_key(user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today() + datetime.timedelta(days=12))
    valid, _ended = tables(alice_client.get(URL).content.decode())
    assert valid.split("</thead>", 1)[0].count("<th ") == 6
    row = row_of(valid, key.key_id)
    assert row.count("<td ") == 6
    cells = [text_of(cell).strip() for cell in re.findall(r"<td .*?</td>", row, re.S)]
    assert cells[:5] == [f"ERP {key.key_id}", "Production", "bob", f"in 12 days · {key.valid_until:%d.%m.%Y}", "never"]
    assert row.count('class="badge production"') == 1  # the API's mark once, not its name beside it
    assert "Billing Solutions" not in row
    assert row.count("<details") == 1  # one menu of actions


def test_identifiers_are_marked_to_stay_whole(alice_client, make_key, alice, bob):
    old, _token = make_key(user=bob)
    new, _token = services.apikey_replace(
        key=old, valid_until=today() + datetime.timedelta(days=90), overlap=datetime.timedelta(0), by=alice
    )
    valid, ended = tables(alice_client.get(URL).content.decode())
    row = row_of(valid, new.key_id)
    assert f'<code class="ident key-id">{new.key_id}</code>' in row
    assert f'replaces <code class="ident">{old.key_id}</code>' in row
    assert '<span class="ident">bob</span>' in row
    assert f'by <code class="ident">{new.key_id}</code>' in row_of(ended, old.key_id)


@pytest.mark.parametrize(
    ("language", "replaces", "by"), [("de", "ersetzt", "durch"), ("fr", "remplace", "par"), ("it", "sostituisce", "da")]
)
def test_replaces_and_by_read_in_the_users_language(alice_client, make_key, alice, bob, language, replaces, by):
    old, _token = make_key(user=bob)
    new, _token = services.apikey_replace(
        key=old, valid_until=today() + datetime.timedelta(days=90), overlap=datetime.timedelta(0), by=alice
    )
    alice_client.cookies["django_language"] = language
    valid, ended = tables(alice_client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode())
    assert f"{replaces} {old.key_id}" in text_of(row_of(valid, new.key_id))
    assert f"{by} {new.key_id}" in text_of(row_of(ended, old.key_id))
    for english in ("replaces", "by ", "never", "today", "Expires"):
        assert english not in text_of(valid + ended).replace(old.key_id, "").replace(new.key_id, ""), english


def test_last_used_reads_today_yesterday_or_the_day(alice_client, make_key, bob):
    now = timezone.localtime()
    keys = {}
    for name, days in (("today", 0), ("yesterday", 1), ("before", 9)):
        keys[name] = make_key(user=bob)[0]
        used = now - datetime.timedelta(days=days)
        ApiKey.objects.filter(pk=keys[name].pk).update(last_used_at=used)
    valid, _ended = tables(alice_client.get(URL).content.decode())
    cell = r'class="c-used"[^>]*>([^<]*)<'
    used = {name: re.search(cell, row_of(valid, key.key_id))[1] for name, key in keys.items()}
    if timezone.localdate() == now.date():  # not when the page was asked for after midnight
        assert used["today"] == f"today {now:%H:%M}"
        assert used["yesterday"] == f"yesterday {now:%H:%M}"
    assert used["before"] == (now - datetime.timedelta(days=9)).strftime("%d.%m.%Y %H:%M")


@pytest.mark.parametrize(("days", "words"), [(0, "today"), (1, "tomorrow"), (2, "in 2 days"), (400, "in 400 days")])
def test_expires_says_in_how_many_days_and_the_day(alice_client, make_key, bob, days, words):
    key, _token = make_key(user=bob, valid_until=today() + datetime.timedelta(days=days))
    valid, _ended = tables(alice_client.get(URL).content.decode())
    assert f">{words} · {key.valid_until:%d.%m.%Y}<" in row_of(valid, key.key_id)


def test_each_phone_line_names_its_column_in_the_users_language(alice_client, make_key, bob):
    key, _token = make_key(user=bob, api=Api.PRODUCTION)
    alice_client.cookies["django_language"] = "de"
    valid, _ended = tables(alice_client.get(URL, HTTP_ACCEPT_LANGUAGE="de").content.decode())
    row = row_of(valid, key.key_id)
    for label in ("Benutzer", "Läuft ab", "Zuletzt verwendet"):
        assert f'data-label="{label}"' in row, label
    assert 'data-testid="badge-production"' in row


def test_the_menu_of_a_valid_row_leads_to_its_page_replace_networks_and_delete(alice_client, make_key, bob):
    key, _token = make_key(user=bob)
    valid, _ended = tables(alice_client.get(URL).content.decode())
    menu = row_of(valid, key.key_id).split('<details class="row-menu"', 1)[1].split("</details>", 1)[0]
    assert f'href="/administration/api-keys/{key.key_id}/"' in menu
    for action in ("replace", "networks", "delete"):
        assert f'href="/administration/api-keys/{key.key_id}/{action}/"' in menu, action
    assert f'aria-label="Delete the key {key.key_id}"' in menu
    assert f"Actions for the key {key.key_id}" in menu


def test_ended_rows_say_why_and_since_when(alice_client, make_key, alice, bob):
    deleted, _token = make_key(user=bob, deleted=True)
    expired, _token = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=3))
    old, _token = make_key(user=bob)
    new, _token = services.apikey_replace(
        key=old, valid_until=timezone.localdate() + datetime.timedelta(days=90), overlap=datetime.timedelta(0), by=alice
    )
    _valid, ended = tables(alice_client.get(URL).content.decode())
    assert "badge status-deleted" in row_of(ended, deleted.key_id)
    assert f'<span class="ident">{alice.username}</span>' in row_of(ended, deleted.key_id)
    expired_row = row_of(ended, expired.key_id)
    assert "badge status-expired" in expired_row
    assert (timezone.localdate() - datetime.timedelta(days=2)).strftime("%d.%m.%Y") in expired_row
    assert f"by {new.key_id}" in text_of(row_of(ended, old.key_id))


def _selects(captured) -> int:
    return sum(query["sql"].startswith("SELECT") for query in captured.captured_queries)


def test_names_and_related_keys_come_for_the_whole_page_not_per_row(alice_client, make_key, alice, bob, charlie, sam):
    """The users' names (of a user since moved to another organization, of the bank's support) and the
    key IDs before and after a replacement, read in at most two queries for the page, whatever the
    number of rows (the second, for the successors of the valid keys, is there as soon as one is)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plain, _token = make_key(user=bob)
    make_key(user=bob, deleted=True)  # both tables have rows
    with CaptureQueriesContext(connection) as plain_page:
        assert alice_client.get(URL).status_code == 200
    by_support, _token = make_key(user=bob)
    services.apikey_revoke(key=by_support, by=sam, reason="Compromised")
    old, _token = make_key(user=bob)
    new, _token = services.apikey_replace(
        key=old, valid_until=timezone.localdate() + datetime.timedelta(days=90), overlap=datetime.timedelta(0), by=alice
    )
    moved, _token = make_key(user=bob)
    services.apikey_revoke(key=moved, by=alice)
    bob.organization = charlie.organization  # bob left: his name stays on the rows of his keys
    bob.save()
    for _number in range(5):
        make_key(user=alice)
    with CaptureQueriesContext(connection) as full_page:
        html = alice_client.get(URL).content.decode()
    # No SELECT more: the keys before and after, for all rows at once (the session's write, and its
    # savepoint in the test's transaction, are not the list's).
    assert _selects(full_page) == _selects(plain_page)
    valid, ended = tables(html)
    assert f">{bob.username}<" in row_of(ended, moved.key_id)
    assert f"{sam.username} (bank support)" in text_of(row_of(ended, by_support.key_id))
    assert f">{alice.username}<" in row_of(ended, moved.key_id)
    assert f"by {new.key_id}" in text_of(row_of(ended, old.key_id))
    assert f"replaces {old.key_id}" in text_of(row_of(valid, new.key_id))
    assert f">{bob.username}<" in row_of(valid, plain.key_id)
    search = html.split('<select name="user"', 1)[1].split("</select>", 1)[0]
    assert f">{alice.username}</option>" in search
    # The select offers the organization's users only: not bob, who left, nor the bank's support.
    assert f">{bob.username}</option>" not in search
    assert f">{sam.username}</option>" not in search


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
def test_the_rows_times_read_as_the_shared_filters_show_them(language):
    """The rows format their times in Python for speed (`Page`); what they show is what the filters of
    every other page show (`efinance.lib.when`), so that the two forms can never drift apart."""
    zurich = timezone.get_default_timezone()
    now = datetime.datetime(2026, 12, 8, 10, 30, tzinfo=zurich)
    moments = [
        now.replace(hour=0, minute=5),  # today, just after midnight in Zurich
        datetime.datetime(2026, 12, 7, 22, 59, tzinfo=datetime.UTC),  # 23:59 yesterday in Zurich
        datetime.datetime(2026, 12, 6, 23, 1, tzinfo=datetime.UTC),  # 00:01 yesterday in Zurich
        datetime.datetime(2026, 7, 1, 21, 30, tzinfo=datetime.UTC),  # summer time: 23:30 on 1 July
    ]
    with translation.override(language), timezone.override(zurich):
        page = Page(today=now.date(), now=now, labels={})
        for moment in moments:
            assert page.last_used(moment) == when.moment_near(moment, now)
            assert page.minute(moment) == when.moment(moment)
            assert page.day(moment) == when.day(moment)
        assert page.day(now.date()) == when.day(now.date())
