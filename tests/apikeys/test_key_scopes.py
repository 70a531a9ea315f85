"""A key's scopes: chosen on the creation form and on «Replace», shown wherever the key is, and never
changed afterwards by any path (form, support admin, API, the database directly)."""

import re

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apikeys.models import ApiKey, Scope
from apikeys.services import apikey_create
from users.mail import send_pending

NEW = "/administration/api-keys/new/"
BOTH = ["documents:read", "documents:write"]


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html)[1]


def _create(client, user, **fields):
    data = {"user": user.pk, "api": "integration", "note": "ERP", "validity": "90d"}
    data.update(fields)
    return client.post(NEW, {"nonce": _nonce(client.get(NEW).content.decode()), **data})


def _checked(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="scopes" value="([^"]+)"[^>]*checked', html))


def test_the_creation_form_offers_both_scopes_ticked(alice_client):
    html = alice_client.get(NEW).content.decode()
    assert "Read documents" in html and "Deliver documents" in html
    assert _checked(html) == set(BOTH)


def test_a_read_only_key_is_made_and_shown_with_its_scope(alice_client, bob):
    response = _create(alice_client, bob, scopes=["documents:read"])
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert key.scopes == "documents:read"
    scopes_shown = re.search(r'data-testid="new-key-scopes">([^<]*)<', response.content.decode())[1]
    assert scopes_shown == "Read documents"
    shown = alice_client.get(f"/administration/api-keys/{key.key_id}/").content.decode()
    assert re.search(r'data-testid="key-scopes">Read documents<', shown)


@pytest.mark.parametrize("forged", [[], ["documents:admin"], ["documents:read", "keys:write"], ["DOCUMENTS:READ"]])
def test_forged_scopes_give_a_form_error_and_no_key(alice_client, bob, forged):
    response = _create(alice_client, bob, scopes=forged)
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in response.content.decode()
    assert 'href="#id_scopes_0"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_notice_and_activity_name_the_scopes(alice_client, bob):
    _create(alice_client, bob, scopes=["documents:write"])
    send_pending()
    assert all("Deliver documents" in message.body for message in mail.outbox) and mail.outbox
    activity = alice_client.get("/administration/activity/").content.decode()
    assert re.search(r'data-testid="entry-scopes">Deliver documents<', activity)


def test_replace_starts_from_the_old_keys_scopes_and_may_change_them(alice_client, make_key, bob):
    old, _token = make_key(user=bob, scopes=["documents:read"])
    url = f"/administration/api-keys/{old.key_id}/replace/"
    html = alice_client.get(url).content.decode()
    assert _checked(html) == {"documents:read"}
    data = {"validity": "90d", "old_key_ends": "now", "scopes": BOTH, "nonce": _nonce(html)}
    assert alice_client.post(url, data).status_code == 200
    new = ApiKey.objects.get(replaces=old)
    assert new.scopes == "documents:read documents:write"
    old.refresh_from_db()
    assert old.scopes == "documents:read"


def test_replace_with_no_scope_is_a_form_error(alice_client, make_key, bob):
    old, _token = make_key(user=bob)
    url = f"/administration/api-keys/{old.key_id}/replace/"
    data = {"validity": "90d", "old_key_ends": "now", "nonce": _nonce(alice_client.get(url).content.decode())}
    assert alice_client.post(url, data).status_code == 400
    assert not ApiKey.objects.filter(replaces=old).exists()


def test_the_service_refuses_unknown_or_no_scopes(alice, bob):
    for scopes in ([], ["documents:admin"]):
        with pytest.raises(ValueError):
            apikey_create(
                user=bob, api="integration", valid_until=timezone.localdate(), created_by=alice, scopes=scopes
            )
    assert not ApiKey.objects.exists()


# --- No path changes them afterwards ------------------------------------------------------------


def _refused(sql: str, params: list) -> str:
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


def test_a_model_save_or_update_cannot_change_the_scopes(make_key, bob):
    key, _token = make_key(user=bob, scopes=["documents:read"])
    key.scopes = "documents:read documents:write"
    with pytest.raises(IntegrityError), transaction.atomic():
        key.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(scopes="documents:read documents:write")
    assert ApiKey.objects.get(pk=key.pk).scopes == "documents:read"


def test_the_database_refuses_a_change_and_an_empty_or_unknown_scope(make_key, bob):
    key, _token = make_key(user=bob, scopes=["documents:read"])
    assert "apikeys:" in _refused("UPDATE apikeys_apikey SET scopes = %s WHERE id = %s", ["documents:write", key.pk])
    # A deleted key's row too, and even to the same set spelled otherwise.
    assert "apikeys:" in _refused(
        "UPDATE apikeys_apikey SET scopes = %s WHERE id = %s", ["documents:write documents:read", key.pk]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apikeys_apikey WHERE id = %s", [key.pk])
        row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
    for scopes in ("", "documents:admin", "documents:write documents:read"):
        copy = {**row, "key_id": "copyofkey234", "secret_hash": "f" * 64, "form_nonce": None, "scopes": scopes}
        columns = [name for name in copy if name != "id"]
        sql = f"INSERT INTO apikeys_apikey ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 (column names of the row)
        assert "apikey_has_scope" in _refused(sql, [copy[name] for name in columns])
    assert ApiKey.objects.get(pk=key.pk).scopes == "documents:read"


def test_support_sees_the_scopes_but_cannot_change_them(client, sam, make_key, bob):
    key, _token = make_key(user=bob, scopes=["documents:write"])
    client.force_login(sam)
    url = f"/support/apikeys/apikey/{key.pk}/change/"
    page = client.get(url).content.decode()
    assert "documents:write" in page
    assert 'name="scopes"' not in page
    client.post(url, {"scopes": "documents:read documents:write", "note": "x"})
    assert ApiKey.objects.get(pk=key.pk).scopes == "documents:write"
    listed = client.get("/support/apikeys/apikey/").content.decode()
    assert "documents:write" in listed


@pytest.mark.parametrize("method", ["put", "patch", "post", "delete"])
def test_the_api_offers_no_way_to_change_them(client, make_key, bob, method):
    key, token = make_key(user=bob, scopes=[Scope.DOCUMENTS_READ])
    response = getattr(client, method)(
        "/api/billing-int/v1/keys/self",
        '{"scopes": ["documents:read", "documents:write"]}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 405
    assert ApiKey.objects.get(pk=key.pk).scopes == "documents:read"
