"""The screens' search, marks and feedback, server side: what the HTML says after each step."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from apikeys.models import Api
from tests.apikeys.key_list import key_ids, table
from tests.cast import make_user

LIST = "/administration/api-keys/"
NEW = "/administration/api-keys/new/"


def _rows(html: str, testid: str) -> list[str]:
    return key_ids(table(html, testid))


def test_the_search_finds_by_key_id_note_user_and_api_in_both_lists(alice_client, make_key, bob, alice):
    erp, _ = make_key(user=bob, note="ERP invoicing", api=Api.PRODUCTION)
    test, _ = make_key(user=alice, note="Test system")
    gone, _ = make_key(user=bob, note="ERP old", deleted=True)
    html = lambda **query: alice_client.get(LIST, query).content.decode()  # noqa: E731
    assert _rows(html(q="erp"), "valid-keys") == [erp.key_id]
    assert _rows(html(q="erp"), "ended-keys") == [gone.key_id]
    assert _rows(html(q=test.key_id[:6]), "valid-keys") == [test.key_id]
    assert _rows(html(user=bob.pk), "valid-keys") == [erp.key_id]
    assert _rows(html(api=Api.INTEGRATION), "valid-keys") == [test.key_id]
    assert _rows(html(q="Bob"), "valid-keys") == [erp.key_id]  # by first name
    none = html(q="nothing like it")
    assert _rows(none, "valid-keys") == [] and _rows(none, "ended-keys") == []
    # Both lists say so, each in its own words; the search form stays to change the search.
    assert "No valid key matches the search." in none
    assert "No expired or deleted key matches the search." in none
    assert 'data-testid="key-filters"' in none


def test_the_search_keeps_its_filters_in_the_page_links(alice_client, make_key, bob):
    for _n in range(51):
        make_key(user=bob, note="many")
    html = alice_client.get(LIST, {"q": "many", "api": Api.INTEGRATION}).content.decode()
    assert "?page=2&amp;ended_page=1&amp;q=many&amp;api=integration" in html


@pytest.mark.parametrize("query", [{"user": "abc"}, {"user": "999999"}, {"api": "nope"}, {"q": "x" * 500}])
def test_a_bad_filter_shows_nothing_and_never_a_500(alice_client, make_key, query):
    make_key()
    response = alice_client.get(LIST, query)
    assert response.status_code == 200
    assert _rows(response.content.decode(), "valid-keys") == []


def test_another_organizations_user_is_no_filter(alice_client, make_key, charlie):
    make_key()
    assert _rows(alice_client.get(LIST, {"user": charlie.pk}).content.decode(), "valid-keys") == []


def test_an_empty_list_explains_and_offers_the_creation(alice_client):
    """No key at all: one explanation and one button, no empty tables, no search, no second button."""
    html = alice_client.get(LIST).content.decode()
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    empty = main.split('data-testid="no-keys"', 1)[1].split("</div>", 1)[0]
    assert "No API keys yet." in empty
    assert f'href="{NEW}"' in empty
    assert main.count('class="empty-state"') == 1
    assert main.count('class="button') == 1
    assert "<table" not in main and 'data-testid="key-filters"' not in main


def test_with_only_ended_keys_the_valid_list_explains_and_the_button_stays_one(alice_client, make_key):
    make_key(deleted=True)
    main = alice_client.get(LIST).content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert "No valid keys." in main.split('data-testid="valid-keys-empty"', 1)[1].split("</div>", 1)[0]
    assert main.count(f'href="{NEW}"') == 1  # «Create a new API key» once, at the top
    assert 'data-testid="ended-keys"' in main


def test_each_key_says_production_or_test_in_words(alice_client, make_key):
    make_key(api=Api.PRODUCTION)
    make_key(api=Api.INTEGRATION, deleted=True)
    html = alice_client.get(LIST).content.decode()
    assert re.search(r'<span class="badge production"[^>]*>Production</span>', html)
    assert re.search(r'<span class="badge test"[^>]*>Test</span>', html)


def test_close_says_key_created_once_and_targets_its_row(alice_client, make_key, bob):
    key, _ = make_key(user=bob)
    response = alice_client.get(LIST, {"created": key.key_id})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}#key-{key.key_id}"
    html = alice_client.get(LIST).content.decode()
    assert f"The key {key.key_id} has been created for bob." in html
    # Under the page's title, not above it beside the breadcrumbs; one place for messages only.
    main = html.split("<main", 1)[1]
    assert main.index("<h1>") < main.index('data-testid="messages"') < main.index('data-testid="key-filters"')
    assert main.count('data-testid="messages"') == 1
    assert f'id="key-{key.key_id}"' in html
    assert "has been created" not in alice_client.get(LIST).content.decode()  # once


def test_a_reload_of_the_token_screen_is_told_the_token_was_shown_once(alice_client, make_key):
    key, _ = make_key()
    alice_client.get(LIST, {"shown": key.key_id})
    html = alice_client.get(LIST).content.decode()
    assert f"The token of the key {key.key_id} was shown once only" in html
    assert "delete the key and create a new one" in html


def test_the_created_message_is_only_for_this_admins_recent_key(alice_client, make_key, charlie, bob, alice):
    old, _ = make_key(created_at=timezone.now() - datetime.timedelta(hours=2))
    others, _ = make_key(user=charlie, created_by=charlie)
    for key_id in (old.key_id, others.key_id, "not-a-key-id", "a" * 12):
        response = alice_client.get(LIST, {"created": key_id})
        assert response.status_code == 200
        assert "has been created" not in response.content.decode()


def test_the_form_chooses_no_user_and_no_api(alice_client):
    html = alice_client.get(NEW).content.decode()
    assert re.search(r'<option value="" selected>Select a user</option>', html)
    assert "checked" not in html.split("<legend>", 1)[1].split("</fieldset>", 1)[0]
    assert "= production environment" in html
    assert "= customer integration for tests" in html


def test_the_guides_words_in_italian(alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="it")
    client.force_login(alice)
    html = client.get(NEW).content.decode()
    assert "Selezionate un utente" in html
    assert "= ambiente produttivo" in html
    assert "= integrazione cliente per test" in html


def test_errors_are_summarised_linked_and_described(alice_client):
    html = alice_client.get(NEW).content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)[1]
    response = alice_client.post(NEW, {"nonce": nonce, "note": "", "valid_until": ""})
    html = response.content.decode()
    summary = html.split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#id_user"' in summary and 'href="#id_api_0"' in summary and 'href="#id_valid_until"' in summary
    assert re.search(r'<select name="user"[^>]*aria-invalid="true"', html)
    assert re.search(r'<select name="user"[^>]*aria-describedby="id_user_error"', html)
    assert 'aria-describedby="id_api_error"' in html
    assert re.search(
        r'<input type="text" name="valid_until"[^>]*aria-describedby="id_valid_until_helptext id_valid_until_error"',
        html,
    )
    assert html.count("Choose the user for whom the key is created.") == 2  # in the summary and at the field


def test_user_management_links_each_count_to_that_users_keys(alice_client, make_key, bob):
    make_key(user=bob)
    html = alice_client.get("/administration/users/").content.decode()
    link = re.search(rf'<a href="({LIST}\?user={bob.pk})"[^>]*>1</a>', html)
    assert link
    assert html.index('data-testid="api-access-details"') < html.index("<table")  # «Details» first


def test_a_standard_user_is_told_who_their_admins_are(bob_client, alice, demo_ag):
    make_user("dora", demo_ag, is_org_admin=True, is_active=False)  # deactivated: not named
    for path in ("/", "/administration/"):
        html = bob_client.get(path).content.decode()
        admins = html.split('data-testid="org-admins"', 1)[1].split("</div>", 1)[0]
        assert alice.get_full_name() in admins
        assert "dora" not in admins


def test_a_standard_user_without_an_admin_is_told_so(bob_client, alice):
    alice.is_org_admin = False
    alice.save()
    html = bob_client.get("/").content.decode()
    assert "Your organization has no e-finance Admin user at the moment." in html


def test_an_ended_session_is_named_on_the_login_page_and_nothing_is_kept(alice_client):
    alice_client.get(NEW)
    alice_client.session.flush()
    session_cookie = alice_client.cookies["sessionid"].value
    alice_client.logout()
    alice_client.cookies["sessionid"] = session_cookie  # the browser still sends the ended session
    response = alice_client.post(NEW, {"note": "typed"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadministration%2Fapi-keys%2Fnew%2F&session=ended"
    page = alice_client.get(response["Location"]).content.decode()
    assert "Your session has ended" in page
    assert "typed" not in page


def test_a_first_visit_is_not_told_of_an_ended_session():
    response = Client().get(NEW)
    assert response["Location"] == "/accounts/login/?next=/administration/api-keys/new/"
    assert "Your session has ended" not in Client().get(response["Location"]).content.decode()
