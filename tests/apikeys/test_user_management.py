"""User management: the organization's users, their number of valid keys, and «Details»."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.cast import make_user, mentions

URL = "/administration/users/"


def _row(html: str, username: str) -> str:
    return re.search(
        rf"<tr[^>]*>\s*<td[^>]*>[^<]*(?:<span[^>]*>[^<]*</span>\s*)*</td>\s*<td[^>]*>{username}</td>.*?</tr>",
        html,
        re.S,
    )[0]


def test_it_lists_name_user_identification_and_valid_keys(alice_client, make_key, bob, alice):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    make_key(user=bob)
    make_key(user=bob)
    make_key(user=bob, deleted=True)  # not counted
    make_key(user=bob, valid_until=yesterday)  # not counted
    html = alice_client.get(URL).content.decode()
    bob_row = _row(html, "bob")
    assert "Bob Tester" in bob_row
    assert re.search(r'<td [^>]*class="num"><a [^>]*>2</a></td>', bob_row)
    assert re.search(r'<td [^>]*class="num"><a [^>]*>0</a></td>', _row(html, "alice"))
    assert "Your organization has 2 valid API keys." in html


def test_details_leads_to_the_api_key_screen(alice_client):
    html = alice_client.get(URL).content.decode()
    details = re.search(r'<a [^>]*href="([^"]+)"[^>]*data-testid="api-access-details">Details</a>', html)
    assert details[1] == "/administration/api-keys/"
    assert alice_client.get(details[1]).status_code == 200


def test_it_shows_no_one_of_another_organization(alice_client, charlie, make_key):
    make_key(user=charlie, created_by=charlie)
    html = alice_client.get(URL).content.decode()
    assert not mentions(html, "charlie")
    assert "Your organization has 0 valid API keys." in html


def test_the_outsider_sees_only_their_own_users(charlie_client, bob, make_key):
    make_key(user=bob)
    html = charlie_client.get(URL).content.decode()
    assert not mentions(html, "bob")
    assert not mentions(html, "alice")
    assert mentions(html, "charlie")


def test_it_paginates_past_50_users_at_a_fixed_number_of_queries(alice_client, alice, make_key):
    with CaptureQueriesContext(connection) as few:
        alice_client.get(URL)
    users = [make_user(f"user{n:03d}", alice.organization) for n in range(55)]
    for user in users[:10]:
        make_key(user=user)
    with CaptureQueriesContext(connection) as many:
        first = alice_client.get(URL).content.decode()
    assert len(many) == len(few)
    second = alice_client.get(URL, {"page": 2}).content.decode()
    assert "Page 1 of 2" in first
    listed = set(re.findall(r"<td[^>]*>(user\d{3}|alice)</td>", first + second))
    assert listed == {"alice", *(u.username for u in users)}
