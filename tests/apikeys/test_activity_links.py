"""«Activity» leads from each key's entry to the key's page, and a filter that finds nothing says so
(not «No activity recorded.», which would read as an empty log)."""

import re

from tests.apikeys.key_list import URL as KEY_LIST

ACTIVITY = "/administration/activity/"


def test_a_key_entry_links_to_the_keys_page(alice_client, alice_key):
    key, _token = alice_key
    html = alice_client.get(ACTIVITY).content.decode()
    links = re.findall(r'href="(/administration/api-keys/[a-z2-7]{12}/)" data-testid="entry-key-link"', html)
    assert f"/administration/api-keys/{key.key_id}/" in links
    assert alice_client.get(links[0]).status_code == 200
    assert KEY_LIST not in links


def test_another_organization_cannot_follow_the_link(charlie_client, alice_key):
    key, _token = alice_key
    assert charlie_client.get(f"/administration/api-keys/{key.key_id}/").status_code == 404
    assert key.key_id not in charlie_client.get(ACTIVITY).content.decode()


def test_a_filter_that_finds_nothing_says_so(alice_client, alice_key):
    html = alice_client.get(ACTIVITY, {"key_id": "aaaaaaaaaaaa"}).content.decode()
    empty = re.search(r'data-testid="activity-empty">(.*?)</td>', html, re.S)[1]
    assert "No entries match these filters." in empty and "No activity recorded." not in empty
