"""The Django admin of the bank's support staff for API keys: find, read, revoke; never see a secret."""

import datetime
import secrets

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apikeys.models import Api, ApiKey, Status
from apikeys.services import apikey_replace, apikey_revoke
from audit.models import Action, AuditEvent
from tests.cast import today

CHANGELIST = "admin:apikeys_apikey_changelist"


def _change_url(key):
    return reverse("admin:apikeys_apikey_change", args=[key.pk])


def _revoke(client, *keys, reason=None, **kwargs):
    """The admin action: without a reason the confirmation page, with one the confirmation itself."""
    data = {"action": "revoke_selected", "_selected_action": [key.pk for key in keys]}
    if reason is not None:
        data.update(post="yes", reason=reason)
    return client.post(reverse(CHANGELIST), data, **kwargs)


@pytest.fixture
def keys(make_key, bob, alice):
    """One key in every state: valid (production), expired, deleted by alice."""
    valid = make_key(user=bob, api=Api.PRODUCTION, note="ERP", form_nonce=secrets.token_hex(16))
    expired = make_key(user=bob, valid_until=(today() - datetime.timedelta(days=1)), form_nonce=secrets.token_hex(16))
    deleted = make_key(user=alice, deleted=True, form_nonce=secrets.token_hex(16))
    return {"valid": valid[0], "expired": expired[0], "deleted": deleted[0]}


def _listed(response, *keys):
    html = response.content.decode()
    return {key.key_id for key in keys if key.key_id in html}


def test_it_finds_a_key_by_key_id_user_and_organization(sam_client, keys, charlie, make_key):
    outsider = make_key(user=charlie)[0]
    everything = [*keys.values(), outsider]
    url = reverse(CHANGELIST)
    assert _listed(sam_client.get(url, {"q": keys["valid"].key_id}), *everything) == {keys["valid"].key_id}
    assert _listed(sam_client.get(url, {"q": keys["valid"].key_id[:6]}), *everything) == {keys["valid"].key_id}
    assert _listed(sam_client.get(url, {"q": "Bob"}), *everything) == {keys["valid"].key_id, keys["expired"].key_id}
    assert _listed(sam_client.get(url, {"q": "charlie"}), *everything) == {outsider.key_id}
    assert _listed(sam_client.get(url, {"q": "Other AG"}), *everything) == {outsider.key_id}


@pytest.mark.parametrize("status", [Status.VALID, Status.EXPIRED, Status.DELETED])
def test_it_filters_by_the_derived_status(sam_client, keys, status):
    response = sam_client.get(reverse(CHANGELIST), {"status": status})
    assert _listed(response, *keys.values()) == {keys[status].key_id}


def test_it_filters_replaced_keys(sam_client, keys, alice):
    replaced = keys["valid"]
    successor, _token = apikey_replace(
        key=replaced,
        valid_until=today() + datetime.timedelta(days=89),
        overlap=datetime.timedelta(0),
        by=alice,
    )
    everything = [*keys.values(), successor]
    assert _listed(sam_client.get(reverse(CHANGELIST), {"status": "replaced"}), *everything) == {replaced.key_id}
    assert _listed(sam_client.get(reverse(CHANGELIST), {"status": "valid"}), *everything) == {successor.key_id}
    assert _listed(sam_client.get(reverse(CHANGELIST), {"status": "expired"}), *everything) == {keys["expired"].key_id}


def test_it_filters_by_api(sam_client, keys):
    response = sam_client.get(reverse(CHANGELIST), {"api__exact": Api.PRODUCTION})
    assert _listed(response, *keys.values()) == {keys["valid"].key_id}


def test_the_list_shows_who_created_and_deleted_and_the_status(sam_client, keys):
    html = sam_client.get(reverse(CHANGELIST)).content.decode()
    for text in ["Bob Tester (bob)", "Demo AG", "Billing Solutions (production)"]:
        assert text in html
    for status in ["Valid", "Expired", "Deleted"]:
        assert f'<td class="field-status_display">{status}</td>' in html
    assert html.count('<td class="field-created_by_display">Alice Tester (alice)</td>') == 3
    assert html.count('<td class="field-revoked_by_display">Alice Tester (alice)</td>') == 1


def _queries_of_the_list(client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse(CHANGELIST)).status_code == 200
    return len(context.captured_queries)


def test_the_list_costs_the_same_queries_for_many_keys(sam_client, make_key, bob, charlie):
    make_key(user=bob)
    few = _queries_of_the_list(sam_client)
    for _ in range(30):
        make_key(user=bob, deleted=True)
        make_key(user=charlie)
    assert _queries_of_the_list(sam_client) == few <= 12


def test_the_change_page_shows_the_history_of_the_key(sam_client, make_key, alice):
    deleted = apikey_revoke(key=make_key(user=alice)[0], by=alice, reason="Token leaked in a support ticket")
    html = sam_client.get(_change_url(deleted)).content.decode()
    for text in [deleted.key_id, ">alice</a>", "Deleted", "Token leaked in a support ticket", "Deleted by:"]:
        assert text in html
    assert 'name="revoke_reason"' not in html  # read-only
    assert 'name="_save"' not in html


def test_no_admin_page_shows_the_hash_or_the_form_nonce(sam_client, keys, bob):
    valid = keys["valid"]
    pages = [
        sam_client.get(reverse("admin:index")),
        sam_client.get(reverse("admin:app_list", args=["apikeys"])),
        sam_client.get(reverse(CHANGELIST)),
        sam_client.get(reverse(CHANGELIST), {"q": valid.key_id}),
        sam_client.get(reverse(CHANGELIST), {"status": "deleted", "api__exact": Api.INTEGRATION}),
        _revoke(sam_client, valid, keys["expired"]),
        _revoke(sam_client, valid, reason=""),
        _revoke(sam_client, valid, reason="Leaked", follow=True),
        sam_client.get(reverse("admin:users_user_change", args=[bob.pk])),
    ]
    for key in ApiKey.objects.all():
        pages += [
            sam_client.get(_change_url(key)),
            sam_client.get(reverse("admin:apikeys_apikey_history", args=[key.pk])),
        ]
    assert all(page.status_code == 200 for page in pages)
    for key in ApiKey.objects.all():
        for page in pages:
            html = page.content.decode()
            assert key.secret_hash not in html
            assert key.form_nonce not in html
            assert key.secret_hash[:16] not in html


@pytest.mark.parametrize("lookup", ["secret_hash__startswith", "secret_hash", "form_nonce", "form_nonce__isnull"])
def test_a_query_string_on_the_hash_or_nonce_is_refused(sam_client, keys, lookup):
    value = keys["valid"].secret_hash[:2] if lookup.startswith("secret") else "x"
    response = sam_client.get(reverse(CHANGELIST), {lookup: value})
    assert response.status_code == 400
    assert keys["valid"].key_id not in response.content.decode()


def test_support_revokes_a_valid_key_with_a_reason(sam_client, sam, keys):
    valid = keys["valid"]
    confirmation = _revoke(sam_client, valid)
    assert confirmation.status_code == 200
    assert "Revoke selected keys" in sam_client.get(reverse(CHANGELIST)).content.decode()
    assert valid.key_id in confirmation.content.decode()
    assert ApiKey.objects.get(pk=valid.pk).status == Status.VALID  # nothing happens before the reason
    response = _revoke(sam_client, valid, reason="Leaked in a support ticket", follow=True)
    valid.refresh_from_db()
    assert (valid.status, valid.revoked_by, valid.revoke_reason) == (Status.DELETED, sam, "Leaked in a support ticket")
    assert f"Revoked 1 key: {valid.key_id}." in response.content.decode()
    entry = LogEntry.objects.get(object_id=str(valid.pk))
    assert (entry.user, entry.get_change_message()) == (sam, "Changed deleted on, deleted by and reason.")
    history = sam_client.get(reverse("admin:apikeys_apikey_history", args=[valid.pk])).content.decode()
    assert "Changed deleted on, deleted by and reason." in history
    event = AuditEvent.objects.get(key_id=valid.key_id, action=Action.KEY_REVOKED)
    assert (event.actor, event.reason, event.ip) == (sam, "Leaked in a support ticket", "127.0.0.1")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_the_reason_is_required_and_at_most_500_characters(sam_client, keys, reason):
    response = _revoke(sam_client, keys["valid"], reason=reason)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert ApiKey.objects.get(pk=keys["valid"].pk).status == Status.VALID


def test_deleted_and_expired_keys_in_the_selection_are_skipped(sam_client, keys, alice):
    confirmation = _revoke(sam_client, *keys.values()).content.decode()
    assert "will be skipped" in confirmation
    response = _revoke(sam_client, *keys.values(), reason="Customer asked", follow=True).content.decode()
    assert "Revoked 1 key" in response
    assert "Skipped 2 keys that were already deleted or expired" in response
    expired, deleted = ApiKey.objects.get(pk=keys["expired"].pk), ApiKey.objects.get(pk=keys["deleted"].pk)
    assert (expired.status, expired.revoked_by) == (Status.EXPIRED, None)
    assert (deleted.revoked_by, deleted.revoked_at, deleted.revoke_reason) == (alice, keys["deleted"].revoked_at, "")


def test_a_deleted_key_is_not_revoked_twice(sam_client, sam, keys):
    valid = keys["valid"]
    _revoke(sam_client, valid, reason="first")
    first = ApiKey.objects.get(pk=valid.pk)
    response = _revoke(sam_client, valid, reason="second", follow=True)  # a replayed confirmation
    assert "None of the selected keys is valid" in response.content.decode()
    again = ApiKey.objects.get(pk=valid.pk)
    assert (again.revoked_at, again.revoked_by_id, again.revoke_reason) == (first.revoked_at, sam.pk, "first")
    assert LogEntry.objects.filter(object_id=str(valid.pk)).count() == 1


def test_revoking_without_a_csrf_token_is_refused(sam, keys):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    response = _revoke(client, keys["valid"], reason="forged")
    assert response.status_code == 403
    assert ApiKey.objects.get(pk=keys["valid"].pk).status == Status.VALID


@pytest.mark.parametrize("who", ["sam_client", "admin_client"])
def test_nobody_adds_edits_deletes_or_unrevokes_a_key_here(request, who, keys, bob):
    client, before = request.getfixturevalue(who), ApiKey.objects.count()
    deleted, valid = keys["deleted"], keys["valid"]
    assert client.get(reverse("admin:apikeys_apikey_add")).status_code == 403
    add = {"user": bob.pk, "api": Api.PRODUCTION, "valid_until": "2027-01-01", "secret_hash": "0" * 64}
    assert client.post(reverse("admin:apikeys_apikey_add"), add).status_code == 403
    edit = {"note": "changed", "valid_until": "2099-01-01", "revoked_at": "", "revoked_by": "", "revoke_reason": ""}
    assert client.post(_change_url(valid), edit).status_code == 403
    assert client.post(_change_url(deleted), edit).status_code == 403
    for key in (valid, deleted):
        assert client.get(reverse("admin:apikeys_apikey_delete", args=[key.pk])).status_code == 403
        assert client.post(reverse("admin:apikeys_apikey_delete", args=[key.pk]), {"post": "yes"}).status_code == 403
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "delete_selected" not in page
    assert reverse("admin:apikeys_apikey_add") not in page
    client.post(reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [valid.pk], "post": "yes"})
    assert ApiKey.objects.count() == before
    valid_now, deleted_now = ApiKey.objects.get(pk=valid.pk), ApiKey.objects.get(pk=deleted.pk)
    assert (valid_now.note, valid_now.valid_until) == (valid.note, valid.valid_until)
    assert (deleted_now.status, deleted_now.revoked_by_id) == (Status.DELETED, deleted.revoked_by_id)


@pytest.mark.parametrize("who", ["alice_client", "bob_client"])
def test_customers_get_no_support_admin(request, who, keys):
    client = request.getfixturevalue(who)
    for url in [reverse("admin:index"), reverse(CHANGELIST), _change_url(keys["valid"])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    _revoke(client, keys["valid"], reason="not allowed")
    assert ApiKey.objects.get(pk=keys["valid"].pk).status == Status.VALID


def test_searching_for_the_hash_or_the_nonce_finds_nothing(sam_client, keys):
    for term in [keys["valid"].secret_hash, keys["valid"].secret_hash[:12], keys["valid"].form_nonce]:
        assert _listed(sam_client.get(reverse(CHANGELIST), {"q": term}), *keys.values()) == set()
