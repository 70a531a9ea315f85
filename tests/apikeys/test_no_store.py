"""Every page of Administration answers `Cache-Control: no-store`: what it shows (users, keys, activity)
must not stay in a browser's cache or a proxy, for whoever asked — the Admin user, a standard user who
is refused, an outsider who is told the key does not exist.

The URLs are read from `apikeys.urls`, so that a page added later is checked too.
"""

import pytest
from django.urls import URLPattern, reverse

from apikeys import urls
from users.models import User

ROUTES = [pattern.name for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)]
# Pages about a key waiting for approval: for a working key they send back to the list (302).
PENDING_ONLY = {"key_reject"}


def _url(name: str, key) -> str:
    pattern = next(p for p in urls.urlpatterns if p.name == name)
    converters = pattern.pattern.converters
    kwargs = {"key_id": key.key_id} if "key_id" in converters else {}
    if "change_id" in converters:
        kwargs["change_id"] = 999_999  # none: the answer (a 404) must not be stored either
    if "bank_change_id" in converters:
        kwargs["bank_change_id"] = 999_999  # a change of a login asked for by the bank: none either
    if "user_id" in converters:
        # A technical user's pages: the test's `abacus`; a second factor to reset: none either.
        kwargs["user_id"] = User.objects.technical().get().pk if name.startswith("technical_user") else 999_999
    return reverse(f"apikeys:{name}", kwargs=kwargs)


def _ask(client, url):
    """GET, or for an action that only takes POST (approve, reject, suspend, resume) an empty POST."""
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_administration_url_is_checked():
    assert {"administration", "user_management", "activity", "list", "create", "delete"} <= set(ROUTES)


@pytest.mark.parametrize("name", ROUTES)
def test_the_admin_user_gets_no_store(name, alice_client, alice_key, abacus):
    key, _token = alice_key
    url = _url(name, key)
    page = alice_client.get(url)
    if page.status_code == 405:  # an action: its answer (a redirect, a refusal, a 404) is not stored either
        response = alice_client.post(url)
        assert response.status_code in (302, 400, 404)
    else:
        response = page
        expected = 404 if "change_id" in url or "/changes/" in url else 302 if name in PENDING_ONLY else 200
        assert response.status_code == expected
    assert _no_store(response), response.get("Cache-Control")


@pytest.mark.parametrize("name", ROUTES)
def test_the_refused_standard_user_gets_no_store(name, bob_client, alice_key, abacus):
    key, _token = alice_key
    response = _ask(bob_client, _url(name, key))
    assert response.status_code == 403
    assert _no_store(response)


@pytest.mark.parametrize("name", [name for name in ROUTES if name == "delete"])
def test_the_outsider_gets_a_no_store_404(name, charlie_client, alice_key):
    key, _token = alice_key
    response = charlie_client.get(_url(name, key))
    assert response.status_code == 404
    assert _no_store(response)


def test_posts_are_no_store_too(alice_client, alice_key):
    key, _token = alice_key
    response = alice_client.post(_url("delete", key))
    assert response.status_code in (200, 302)
    assert _no_store(response)
