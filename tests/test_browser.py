"""The guide's walk in a real browser: Playwright driving Debian's Chromium against the live server.

Every screen reached is saved as a full-page screenshot, 1280 pixels wide, under docs/screenshots/
(the README shows them); ``SCREENSHOT_DIR`` writes them elsewhere, e.g. in CI.
"""

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

from apikeys import tokens
from apikeys.models import Api, ApiKey, Status
from users.models import User

# Playwright's sync API runs an event loop in the test's thread; Django's ORM refuses to run in a
# thread with a running loop unless told otherwise. Set before pytest-playwright's fixtures run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

PASSWORD = "browser-walk-2026"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or settings.BASE_DIR / "docs" / "screenshots")
KEYS_URL = re.compile(r"/administration/api-keys/$")


@pytest.fixture(autouse=True)
def _fail_fast(context):
    """A missing label fails in seconds, not after Playwright's default 30."""
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", password=PASSWORD, stdout=StringIO())


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def log_in(page: Page, live_server, username: str, screenshot: str | None = None) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".whoami")).to_contain_text(User.objects.get(username=username).get_full_name())


def go_back(page: Page) -> None:
    """Back in the history; a page restored from the back/forward cache fires no load event."""
    page.go_back(wait_until="commit")
    page.wait_for_function("document.readyState === 'complete'")


def create_key(page: Page, username: str, note: str) -> str:
    """From the key list, create an integration key through the form; returns the token shown."""
    page.get_by_test_id("create-key").click()
    page.locator("#id_user").select_option(str(User.objects.get(username=username).pk))
    page.locator("input[name=api][value=integration]").check()
    page.locator("#id_note").fill(note)
    page.get_by_test_id("create-submit").click()
    return page.get_by_test_id("token").input_value()


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

    page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key_id}"]').get_by_role("link", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("a deleted key cannot be reactivated")
    shot(page, "06-delete-confirmation")
    page.get_by_test_id("confirm-delete").click()
    expect(page).to_have_url(KEYS_URL)
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
