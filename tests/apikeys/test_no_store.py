"""Every page of Administration answers `Cache-Control: no-store`: what it shows (users, keys, activity)
must not stay in a browser's cache or a proxy, for whoever asked — the Admin user, a standard user who
is refused, an outsider who is told the key does not exist.

The URLs are read from `apikeys.urls`, so that a page added later is checked too.
"""

import pytest
from django.urls import URLPattern, reverse

from apikeys import urls

ROUTES = [pattern.name for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)]


def _url(name: str, key) -> str:
    pattern = next(p for p in urls.urlpatterns if p.name == name)
    kwargs = {"key_id": key.key_id} if "key_id" in pattern.pattern.converters else {}
    return reverse(f"apikeys:{name}", kwargs=kwargs)


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_administration_url_is_checked():
    assert {"administration", "user_management", "activity", "list", "create", "delete"} <= set(ROUTES)


@pytest.mark.parametrize("name", ROUTES)
def test_the_admin_user_gets_no_store(name, alice_client, alice_key):
    key, _token = alice_key
    response = alice_client.get(_url(name, key))
    assert response.status_code == 200
    assert _no_store(response), response.get("Cache-Control")


@pytest.mark.parametrize("name", ROUTES)
def test_the_refused_standard_user_gets_no_store(name, bob_client, alice_key):
    key, _token = alice_key
    response = bob_client.get(_url(name, key))
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
