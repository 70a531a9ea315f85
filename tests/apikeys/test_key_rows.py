"""The rows of the key tables (`{% key_rows %}`): every value escaped, every state's words, the
phone's column names, and the links of each row."""

import datetime

from django.utils import timezone

from apikeys import services
from apikeys.models import Api
from tests.apikeys.key_list import URL, row_of, tables


def test_a_note_a_username_and_networks_are_escaped(alice_client, make_key, bob):
    key, _token = make_key(user=bob, note='<script>alert("x")</script> & co', allowed_networks="192.0.2.0/24")
    valid, _ended = tables(alice_client.get(URL).content.decode())
    row = row_of(valid, key.key_id)
    assert "<script>" not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in row
    assert "<code>192.0.2.0/24</code>" in row


def test_each_cell_names_its_column_for_the_phone_in_the_users_language(alice_client, make_key, bob):
    key, _token = make_key(user=bob, api=Api.PRODUCTION)
    alice_client.cookies["django_language"] = "de"
    valid, _ended = tables(alice_client.get(URL, HTTP_ACCEPT_LANGUAGE="de").content.decode())
    row = row_of(valid, key.key_id)
    for label in ("Schlüssel-ID", "Benutzer", "API", "Bemerkung", "Gültig bis", "Erstellt von"):
        assert f'data-label="{label}"' in row, label
    assert 'data-testid="badge-production"' in row


def test_a_valid_row_links_to_its_own_replace_networks_and_delete(alice_client, make_key, bob):
    key, _token = make_key(user=bob)
    valid, _ended = tables(alice_client.get(URL).content.decode())
    row = row_of(valid, key.key_id)
    for action in ("replace", "networks", "delete"):
        assert f'href="/administration/api-keys/{key.key_id}/{action}/"' in row, action
    assert f'aria-label="Delete the key {key.key_id}"' in row
    assert "never" in row  # not used yet


def test_ended_rows_say_why_and_since_when(alice_client, make_key, alice, bob):
    deleted, _token = make_key(user=bob, deleted=True)
    expired, _token = make_key(user=bob, valid_until=timezone.localdate() - datetime.timedelta(days=3))
    old, _token = make_key(user=bob)
    new, _token = services.apikey_replace(
        key=old, valid_until=timezone.localdate() + datetime.timedelta(days=90), overlap=datetime.timedelta(0), by=alice
    )
    _valid, ended = tables(alice_client.get(URL).content.decode())
    assert "badge status-deleted" in row_of(ended, deleted.key_id)
    assert f">{alice.username}<" in row_of(ended, deleted.key_id)
    expired_row = row_of(ended, expired.key_id)
    assert "badge status-expired" in expired_row
    assert (timezone.localdate() - datetime.timedelta(days=2)).strftime("%d.%m.%Y") in expired_row
    assert f"(by {new.key_id})" in row_of(ended, old.key_id)


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
    assert f">{sam.username} (bank support)<" in row_of(ended, by_support.key_id)
    assert f">{alice.username}<" in row_of(ended, moved.key_id)
    assert f"(by {new.key_id})" in row_of(ended, old.key_id)
    assert f"replaces {old.key_id}" in row_of(valid, new.key_id)
    assert f">{bob.username}<" in row_of(valid, plain.key_id)
    search = html.split('<select name="user"', 1)[1].split("</select>", 1)[0]
    assert f">{alice.username}</option>" in search
    # The select offers the organization's users only: not bob, who left, nor the bank's support.
    assert f">{bob.username}</option>" not in search
    assert f">{sam.username}</option>" not in search
