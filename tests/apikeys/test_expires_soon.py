"""«expires soon»: a valid key that ends within 30 days is marked in the key list and on User management."""

import datetime

from apikeys.services import apikey_replace
from tests.cast import today


def test_the_key_list_marks_keys_that_end_within_30_days(alice_client, make_key, bob):
    soon = make_key(user=bob, valid_until=today() + datetime.timedelta(days=30))[0]
    later = make_key(user=bob, valid_until=today() + datetime.timedelta(days=31))[0]
    html = alice_client.get("/administration/api-keys/").content.decode()
    rows = {key.key_id: html.split(f'data-key-id="{key.key_id}"')[1].split("</tr>")[0] for key in (soon, later)}
    assert 'data-testid="expires-soon"' in rows[soon.key_id]
    assert 'data-testid="expires-soon"' not in rows[later.key_id]
    assert ">in 30 days · " in rows[soon.key_id]


def test_expired_and_deleted_keys_carry_no_mark(alice_client, make_key, bob):
    make_key(user=bob, valid_until=today() - datetime.timedelta(days=1))
    make_key(user=bob, valid_until=today() + datetime.timedelta(days=3), deleted=True)
    html = alice_client.get("/administration/api-keys/").content.decode()
    assert "expires soon" not in html and 'data-testid="expires-soon"' not in html


def test_user_management_counts_the_keys_that_expire_soon(alice_client, make_key, bob):
    make_key(user=bob, valid_until=today() + datetime.timedelta(days=5))
    make_key(user=bob, valid_until=today() + datetime.timedelta(days=20))
    make_key(user=bob, valid_until=today() + datetime.timedelta(days=200))
    html = alice_client.get("/administration/users/").content.decode()
    row = html.split('data-username="bob"')[1].split("</tr>")[0]
    assert ">3</a> <span" in row.replace("\n", "")  # the count (a link to the user's keys), then the mark
    assert "2 expire soon" in row
    assert "expire" not in html.split('data-username="alice"')[1].split("</tr>")[0]


def test_a_key_being_replaced_shows_its_end_instead(alice_client, alice, make_key, bob):
    key = make_key(user=bob, valid_until=today() + datetime.timedelta(days=10))[0]
    apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=100), overlap=datetime.timedelta(days=7), by=alice
    )
    html = alice_client.get("/administration/api-keys/").content.decode()
    assert "expires soon" not in html.split(f'data-key-id="{key.key_id}"')[1].split("</tr>")[0]
    assert (
        "expire"
        not in alice_client.get("/administration/users/")
        .content.decode()
        .split('data-username="bob"')[1]
        .split("</tr>")[0]
    )
