"""The guide's walk in a real browser: Playwright driving Debian's Chromium against the live server.

Every screen reached is saved as a full-page screenshot, 1280 pixels wide (`tests.browser.shot`).
"""

import pytest
from playwright.sync_api import Page, expect

from apikeys import tokens
from apikeys.models import Api, ApiKey, Status
from tests.browser import (
    KEYS_URL,
    create_key,
    go_back,
    log_in,
    open_ended,
    open_menu,
    shot,
)
from users.models import User

pytestmark = pytest.mark.browser


def test_the_admin_creates_copies_closes_and_deletes_a_key(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin", screenshot="01-login")
    page.get_by_test_id("nav-administration").click()
    page.get_by_role("link", name="User management", exact=True).first.click()
    expect(page.get_by_role("heading", name="User management", exact=True)).to_be_visible()
    shot(page, "02-user-management")
    page.get_by_role("link", name="Details", exact=True).click()
    expect(page).to_have_url(KEYS_URL)
    expect(page.get_by_role("heading", name="Expired and deleted keys", exact=True)).to_be_visible()
    shot(page, "03-key-list")

    page.get_by_role("link", name="Create a new API key", exact=True).click()
    demo_user = User.objects.get(username="demo-user")
    page.get_by_label("User identification").select_option(str(demo_user.pk))
    page.get_by_label("Billing Solutions Customer Integration").check()
    page.get_by_label("Note").fill("ERP test, browser walk")
    shot(page, "04-create-form")
    page.get_by_role("button", name="Create", exact=True).click()

    key_id = page.get_by_test_id("new-key-id").inner_text()
    token = page.get_by_test_id("token").input_value()
    assert key_id and token.startswith(f"bsint_{key_id}_")
    expect(page.get_by_role("alert")).to_contain_text("shown only once")
    shot(page, "05-token-screen")
    copy_button = page.locator("button[data-copy-target=token]")
    copy_button.click()
    expect(copy_button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == token
    parsed = tokens.parse_token(copied)
    assert (parsed.api, parsed.key_id) == (tokens.INTEGRATION, key_id)
    verification = ApiKey.objects.verify_token(copied)
    assert verification.ok
    assert verification.key_id == key_id
    assert verification.username == "demo-user"

    page.get_by_test_id("close").click()
    expect(page).to_have_url(KEYS_URL)
    expect(page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key_id}"]')).to_contain_text(
        "ERP test, browser walk"
    )
    assert token not in page.content()
    page.reload()
    expect(page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key_id}"]')).to_be_visible()
    assert token not in page.content()
    for _step in range(2):  # back through the history, past where the token was shown
        go_back(page)
        expect(page.get_by_test_id("token")).to_have_count(0)
        assert token not in page.content()
    page.goto(f"{live_server.url}/administration/api-keys/")
    assert token not in page.content()
    assert ApiKey.objects.filter(organization=demo_user.organization, note="ERP test, browser walk").count() == 1

    row = page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key_id}"]')
    open_menu(row)
    row.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("a deleted key cannot be reactivated")
    shot(page, "06-delete-confirmation")
    page.get_by_test_id("confirm-delete").click()
    expect(page).to_have_url(KEYS_URL)
    open_ended(page)
    expect(page.get_by_test_id("ended-keys").locator(f'tr[data-key-id="{key_id}"]')).to_contain_text("Deleted")
    expect(page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key_id}"]')).to_have_count(0)
    shot(page, "07-list-after-delete")
    assert ApiKey.objects.get(key_id=key_id).status == Status.DELETED
    assert not ApiKey.objects.verify_token(token).ok


def test_the_admin_reads_the_guides_words_in_italian(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.locator("#language-select").select_option("it")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    page.get_by_role("link", name="Amministrazione", exact=True).first.click()
    page.get_by_role("link", name="Gestione utenti", exact=True).first.click()
    expect(page.get_by_role("heading", name="Gestione utenti", exact=True)).to_be_visible()
    page.get_by_role("link", name="Dettagli", exact=True).click()
    expect(page.get_by_role("link", name="Creare una nuova chiave API", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Chiavi scadute e cancellate", exact=True)).to_be_visible()
    shot(page, "08-it-key-list")

    page.get_by_role("link", name="Creare una nuova chiave API", exact=True).click()
    expect(page.get_by_role("heading", name="Creare una nuova chiave API", exact=True)).to_be_visible()
    demo_user = User.objects.get(username="demo-user")
    page.get_by_label("Identificazione utente", exact=True).select_option(str(demo_user.pk))
    page.get_by_label("Billing Solutions Integrazione clienti").check()
    page.get_by_label("Nota", exact=True).fill("Test ERP")
    shot(page, "09-it-create-form")
    page.get_by_role("button", name="Creare", exact=True).click()
    key_id = page.get_by_test_id("new-key-id").inner_text()
    assert ApiKey.objects.get(key_id=key_id).api == Api.INTEGRATION
    page.once("dialog", lambda dialog: dialog.accept())  # «not copied yet: leave anyway?»
    page.get_by_role("link", name="Chiudere", exact=True).click()
    expect(page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key_id}"]')).to_be_visible()
    expect(page.get_by_role("heading", name="Chiavi scadute e cancellate", exact=True)).to_be_visible()


def test_a_standard_user_is_told_to_contact_the_admin(page: Page, live_server, demo):
    log_in(page, live_server, "demo-user")
    expect(page.get_by_test_id("nav-administration")).to_have_count(0)
    response = page.goto(f"{live_server.url}/administration/")
    assert response.status == 403
    expect(page.get_by_test_id("contact-admin")).to_contain_text("contact your e-finance Admin user")
    shot(page, "10-access-denied")


def test_a_reload_or_back_on_the_token_screen_shows_no_token_and_creates_nothing(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/")
    token = create_key(page, "demo-accounting", "reloaded at once")
    page.reload()
    expect(page).to_have_url(KEYS_URL)
    expect(page.get_by_test_id("token")).to_have_count(0)
    assert token not in page.content()
    go_back(page)
    assert token not in page.content()
    assert ApiKey.objects.filter(note="reloaded at once").count() == 1
