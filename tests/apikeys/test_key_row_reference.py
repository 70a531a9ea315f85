"""The key tables' rows, rendered in Python (`{% key_rows %}`), are the markup of their reference
template (templates/apikeys/_key_row_reference.html) for keys of every state, in every language and
for either Admin user of a pending key, whitespace aside: a change to one without the other fails.
Both render the same `KeyRow`s, built once per key by `key_row`."""

import datetime
import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apikeys import services
from apikeys.models import Api, ApiKey, Status
from apikeys.policy import rules as policy
from apikeys.templatetags.key_rows import KeyRow, Page, key_row
from tests.apikeys.key_list import URL, key_ids
from tests.apikeys.policy_cast import set_policy
from tests.cast import today

REFERENCE = "apikeys/_key_row_reference.html"
NOTE = ("<script>alert(\"x\")</script> & 'quoted' <b>bold</b> " * 5)[:200]


@pytest.fixture
def keys_of_every_state(make_key, alice, bob, dora, sam, demo_ag) -> dict[str, ApiKey]:
    """A key of each state that a row shows differently, by name (the values are their keys)."""
    keys = {
        "valid": make_key(user=bob, note="ERP test")[0],
        "production": make_key(user=alice, api=Api.PRODUCTION, note="")[0],
        "expiring soon": make_key(user=bob, valid_until=today() + datetime.timedelta(days=10))[0],
        "networks": make_key(user=bob, allowed_networks="192.0.2.0/24 2001:db8::/32")[0],
        "long note with HTML": make_key(user=bob, note=NOTE)[0],
        "expired": make_key(user=bob, valid_until=today() - datetime.timedelta(days=3))[0],
        "deleted by admin": make_key(user=bob, deleted=True)[0],
    }
    ApiKey.objects.filter(pk=keys["valid"].pk).update(last_used_at=timezone.now() - datetime.timedelta(hours=5))
    keys["deleted by support"] = make_key(user=bob)[0]
    services.apikey_revoke(key=keys["deleted by support"], by=sam, reason="Compromised")
    exposed, token = make_key(user=bob)
    services.apikeys_revoke_exposed(credentials=[token], source="github")
    keys["reported exposed"] = exposed
    for name, overlap in (("being replaced", datetime.timedelta(days=7)), ("replaced", datetime.timedelta(0))):
        keys[name] = make_key(user=bob)[0]
        keys[f"replacing the {name}"] = services.apikey_replace(
            key=keys[name], valid_until=today() + datetime.timedelta(days=90), overlap=overlap, by=alice
        )[0]
    keys["replacement waits"] = make_key(user=bob, api=Api.PRODUCTION)[0]
    keys["replacement rejected"] = make_key(user=bob, api=Api.PRODUCTION)[0]
    set_policy(demo_ag, four_eyes=True)
    for name in ("replacement waits", "replacement rejected"):  # the successors wait for approval
        keys[f"successor of the {name}"] = services.apikey_replace(
            key=keys[name],
            valid_until=today() + datetime.timedelta(days=90),
            overlap=datetime.timedelta(days=1),
            by=alice,
        )[0]
    policy.apikey_reject(key=keys["successor of the replacement rejected"], by=dora)
    keys["pending approval"] = make_key(user=bob, api=Api.PRODUCTION, created_by=alice)[0]
    keys["rejected"] = make_key(user=bob, api=Api.PRODUCTION, created_by=alice)[0]
    policy.apikey_reject(key=keys["rejected"], by=dora)
    keys["not approved in time"] = make_key(user=bob, api=Api.PRODUCTION, created_by=alice)[0]
    ApiKey.objects.filter(pk=keys["not approved in time"].pk).update(
        approval_requested_at=timezone.now() - datetime.timedelta(days=30)
    )
    policy.apikeys_delete_lapsed()
    assert keys["pending approval"].is_pending_approval
    return keys


def _normalised(html: str) -> str:
    """`html` with each run of whitespace one space, none around the tags of a table's rows and cells
    (where a browser shows none), the CSRF tokens of the approval forms (masked anew on each
    rendering) left out, and an apostrophe one spelling: the fast rows escape every word, a template
    none of its own (French «Valable jusqu'au»), and both read the same in text and in an attribute
    in double quotes."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1"', html).replace("&#x27;", "'")
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(</?(?:thead|tbody|tr|th|td)\b[^>]*>)\s*", r"\1", html).strip()


def _fast(html: str, testid: str) -> str:
    """The header row and the rows of a key table of the page, as `{% key_table_head %}` and
    `{% key_rows %}` rendered them."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return table[table.index("<thead>") : table.index("</tbody>")].replace("<tbody>", "")


@pytest.mark.parametrize("language", ["en", "de", "fr", "it"])
@pytest.mark.parametrize("viewer", ["alice_client", "dora_client"])
def test_the_rows_are_the_markup_of_the_reference_template(request, keys_of_every_state, language, viewer):
    client = request.getfixturevalue(viewer)
    client.cookies["django_language"] = language
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    for name, ended in (("valid", False), ("ended", True)):
        with translation.override(language):
            page = Page.of(response.context)
            rows = [key_row(key, page, ended) for key in response.context[name]]
            reference = render_to_string(REFERENCE, {"rows": rows, "ended": ended}, request=response.wsgi_request)
        fast = _fast(html, f"{name}-keys")
        assert _normalised(fast) == _normalised(reference)
        # Not two empty tables: every key of the table is there, in one row each.
        assert key_ids(fast) == [row.key_id for row in rows]
    expected_ended = {"expired", "deleted by admin", "deleted by support", "reported exposed", "replaced"}
    expected_ended |= {"rejected", "not approved in time", "successor of the replacement rejected"}
    assert set(key_ids(_fast(html, "ended-keys"))) == {keys_of_every_state[name].key_id for name in expected_ended}
    assert len(key_ids(_fast(html, "valid-keys"))) == len(keys_of_every_state) - len(expected_ended)


def test_the_reference_shows_the_approval_forms_to_the_other_admin_only(keys_of_every_state, alice_client, dora_client):
    """The comparison above covers the forms of a pending key: dora may decide it, alice (who made it)
    waits, and the fast rows show the same to each."""
    pending = keys_of_every_state["pending approval"].key_id
    assert f"/administration/api-keys/{pending}/approve/" in dora_client.get(URL).content.decode()
    alice_page = alice_client.get(URL).content.decode()
    assert f"/administration/api-keys/{pending}/approve/" not in alice_page
    assert "Waiting for another Admin user" in alice_page


def test_a_row_holds_what_it_shows_as_text_not_markup(keys_of_every_state, alice_client, sam):
    response = alice_client.get(URL)
    page = Page.of(response.context)
    rows = {
        key.key_id: key_row(key, page, ended)
        for name, ended in (("valid", False), ("ended", True))
        for key in response.context[name]
    }

    def row(name: str) -> KeyRow:
        return rows[keys_of_every_state[name].key_id]

    assert row("long note with HTML").name == NOTE  # escaped by whoever renders it, never before
    assert (row("production").name, row("production").named) == ("(no note)", False)
    deleted = row("deleted by support")
    assert (deleted.status, deleted.deleted_by, deleted.deleted_how) == (Status.DELETED, sam.username, "bank support")
    new_key_id = keys_of_every_state["replacing the replaced"].key_id
    assert (row("replaced").status, row("replaced").replaced_by) == (Status.REPLACED, ("by ", new_key_id, ""))
    old_key_id = keys_of_every_state["replaced"].key_id
    assert row("replacing the replaced").replaces == ("replaces ", old_key_id, "")
    assert (row("reported exposed").deleted_by, row("reported exposed").deleted_how) == ("", "reported as exposed")
    assert row("rejected").reason == "rejected"
    assert row("being replaced").stops_on.startswith("Replaced — stops working on ")
    assert row("being replaced").status == ""  # a valid key's row leaves the ended table's fields empty
    assert row("expiring soon").expires_soon and not row("valid").expires_soon
    assert row("pending approval").pending_approval
    waiting = keys_of_every_state["successor of the replacement waits"].key_id
    before, key_id, after = row("replacement waits").replacement_waits
    assert (before, key_id, after[:15]) == ("Being replaced by ", waiting, " — works until ")
    assert not row("replacement waits").stops_on
    rejected = keys_of_every_state["successor of the replacement rejected"].key_id
    assert row("replacement rejected").replacement_cancelled[:2] == ("Replacement ", rejected)
    assert row("replacement rejected").replacement_cancelled[2].startswith(" rejected: works on until ")
