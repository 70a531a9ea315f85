"""The key list's and User management's counts stop at a cap (`efinance.lib.counting`): exact below it,
«more than N» beyond, in every language; the pages then page on without a last page, and read as many
queries at many keys as at few."""

import re

import pytest
from django.utils import translation

from efinance.lib import counting
from efinance.lib.counting import MoreThan, capped, count
from tests.apikeys.key_list import URL, bulk_keys, key_ids, tables, text_of
from tests.conftest import statements_run

USERS = "/administration/users/"
CAP = 5


@pytest.fixture
def cap(monkeypatch):
    """The cap at `CAP`, so that a few keys reach it."""
    monkeypatch.setattr(counting, "COUNT_CAP", CAP)


def _statements(client, url: str, **params) -> int:
    with statements_run() as seen:
        assert client.get(url, params).status_code == 200
    return len(seen)


@pytest.mark.parametrize("url", [URL, USERS])
def test_ten_keys_and_three_hundred_read_the_same_queries(alice_client, alice, bob, url):
    bulk_keys(alice, bob, 10, deleted_every=3)
    few = _statements(alice_client, url)
    bulk_keys(alice, bob, 300, deleted_every=3)
    assert _statements(alice_client, url) == few


def test_below_the_cap_the_numbers_are_exact(alice_client, alice, bob, cap):
    bulk_keys(alice, bob, CAP, deleted_every=CAP)  # 4 valid, 1 deleted
    html = alice_client.get(URL).content.decode()
    assert re.search(r'data-testid="ended-count">1<', html)
    users = text_of(alice_client.get(USERS).content.decode())
    assert "Your organization has 4 valid API keys." in users and "more than" not in users


def test_beyond_the_cap_the_tables_say_more_than_and_page_on(alice_client, alice, bob, cap, monkeypatch):
    monkeypatch.setattr("apikeys.views.PAGE_SIZE", 2)
    bulk_keys(alice, bob, 14, deleted_every=2)  # 7 valid, 7 deleted
    html = alice_client.get(URL).content.decode()
    assert re.search(r'data-testid="ended-count">more than 5<', html)
    assert "Page 1</span>" in html and "Page 1 of" not in html
    # The valid keys newest first, two a page, to the last one: «Next» only while there are more.
    seen = []
    for number in range(1, 5):
        page = alice_client.get(URL, {"page": number}).content.decode()
        seen += key_ids(tables(page)[0])
        assert f"Page {number}</span>" in page
        assert (f"?page={number + 1}&amp;ended_page=1" in page) == (number < 4)
    assert len(seen) == len(set(seen)) == 7
    # A page beyond the last shows the last one, as Django's paginator does.
    assert key_ids(tables(alice_client.get(URL, {"page": 99}).content.decode())[0]) == seen[-1:]


def test_user_management_says_more_than_for_each_user_and_the_contract(alice_client, alice, bob, cap):
    bulk_keys(alice, bob, 8)
    html = alice_client.get(USERS).content.decode()
    row = html.split(f'data-username="{bob.username}"', 1)[1].split("</tr>", 1)[0]
    assert 'aria-label="more than 5 valid API keys of bob">more than 5</a>' in row
    assert "Your organization has more than 5 valid API keys." in text_of(html)


def test_the_leavers_band_counts_up_to_the_cap(alice_client, alice, bob, dora, monkeypatch):
    from users.models import User

    monkeypatch.setattr(counting, "COUNT_CAP", 12)
    bulk_keys(dora, bob, 18)  # created by dora, who leaves: 10 named in the band
    User.objects.filter(pk=dora.pk).update(is_active=False)
    html = text_of(alice_client.get(URL).content.decode())
    assert "and more than 2 more keys" in html
    monkeypatch.setattr(counting, "COUNT_CAP", 1000)
    assert "and 8 more keys" in text_of(alice_client.get(URL).content.decode())


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "more than 1,000"), ("de", "mehr als 1.000"), ("fr", "plus de 1"), ("it", "più di 1.000")],
)
def test_more_than_reads_in_every_language(language, words):
    with translation.override(language):
        assert count(capped(1001, 1000)).startswith(words)
        assert count(capped(1000, 1000)) == "1000"
    assert isinstance(capped(1001, 1000), MoreThan) and capped(1001, 1000) - 10 == MoreThan(990)
