"""What the Admin sees and hears after each step, in Chromium: keyboard only, copy, errors, the session.

The keyboard walk uses Tab, Enter, Space and typing only (never an arrow key): the user is chosen in
the guide's dropdown by typing its name (the browser's type-ahead), each API radio is a Tab stop of
its own (static/js), and Space checks it.
"""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from apikeys.models import Api, ApiKey
from tests.browser import KEYS_URL, PASSWORD, log_in, shot
from users.models import User

pytestmark = pytest.mark.browser


def _focused(page: Page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.dataset.testid || ''")


def _tab_to(page: Page, target: str, limit: int = 40) -> None:
    """Tab until the element with this id (or data-testid) has the focus."""
    for _step in range(limit):
        if _focused(page) == target:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} is not reached by Tab (focus on {_focused(page)!r})")


def test_the_keyboard_alone_creates_copies_and_closes_and_the_copy_is_announced(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.clock.install()
    page.goto(f"{live_server.url}/administration/api-keys/")
    page.keyboard.press("Tab")
    assert _focused(page) == "skip-link"  # the first tab stop of the page
    page.keyboard.press("Enter")
    assert _focused(page) == "content"
    _tab_to(page, "create-key")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Create a new API key")).to_be_visible()
    _tab_to(page, "id_user")
    page.keyboard.type("demo-user")  # the dropdown's type-ahead: no arrow key
    page.keyboard.press("Tab")
    assert _focused(page) == "id_api_0"
    page.keyboard.press("Tab")  # each choice a Tab stop of its own
    assert _focused(page) == "id_api_1"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the scopes: each checkbox a Tab stop, both ticked for a new key
    assert _focused(page) == "id_scopes_0"
    page.keyboard.press("Tab")
    assert _focused(page) == "id_scopes_1"
    page.keyboard.press("Tab")
    assert _focused(page) == "id_note"
    page.keyboard.type("typed, never clicked")
    _tab_to(page, "create-submit")
    page.keyboard.press("Enter")

    token = page.get_by_test_id("token").input_value()
    key = ApiKey.objects.get(note="typed, never clicked")
    assert (key.user.username, key.api) == ("demo-user", Api.INTEGRATION)
    _tab_to(page, "copy-token")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("copy-token")).to_have_text("Copied")
    page.clock.run_for(200)
    expect(page.get_by_test_id("copy-status")).to_have_text("The API key has been copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert _focused(page) == "copy-token"  # the focus never went into the token field
    expect(page.get_by_test_id("copy-token")).not_to_have_attribute("data-copy-fallback", "1")  # the clipboard API
    page.clock.run_for(5_000)
    expect(page.get_by_test_id("copy-token")).to_have_text("Copy")  # the label comes back

    _tab_to(page, "close")
    page.keyboard.press("Enter")  # copied: no question
    expect(page).to_have_url(KEYS_URL)
    expect(page.get_by_test_id("messages")).to_contain_text(f"The key {key.key_id} has been created for demo-user")
    first_cell = page.locator(f"#key-{key.key_id} td").first
    expect(first_cell).to_have_css("box-shadow", re.compile("inset"))  # the row is the target: marked
    assert token not in page.content()


def test_closing_before_copying_asks_first(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/new/")
    page.locator("#id_user").select_option(str(User.objects.get(username="demo-user").pk))
    page.locator("#id_api_0").check()
    page.get_by_test_id("create-submit").click()
    expect(page.locator(".badge.production")).to_have_text("Production")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("token")).to_be_visible()  # stayed
    assert questions == [
        "You have not copied the key yet. Once you leave this page it is never shown again. Leave anyway?"
    ]
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_test_id("nav-administration").click()  # the header's links ask too
    expect(page.get_by_role("heading", name="Administration", exact=True)).to_be_visible()
    assert len(questions) == 2


def test_a_reload_of_the_token_screen_says_the_token_was_shown_once(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/new/")
    page.locator("#id_user").select_option(str(User.objects.get(username="demo-user").pk))
    page.locator("#id_api_1").check()
    page.get_by_test_id("create-submit").click()
    key_id = page.get_by_test_id("new-key-id").inner_text()
    page.reload()
    expect(page).to_have_url(KEYS_URL)
    expect(page.get_by_test_id("messages")).to_contain_text(f"The token of the key {key_id} was shown once only")
    expect(page.get_by_test_id("token")).to_have_count(0)


def test_errors_take_the_focus_and_lead_to_their_field(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/new/")
    expect(page.locator("#id_user")).to_have_value("")  # nobody chosen for the Admin
    assert page.locator("input[name=api]:checked").count() == 0
    page.get_by_test_id("create-submit").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#id_user")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_user")).to_have_css("border-top-color", "rgb(179, 38, 30)")
    shot(page, "ui-create-form-errors-focused")
    summary.get_by_role("link", name=re.compile("^API:")).click()
    expect(page.locator("#id_api_0")).to_be_focused()


def test_an_ended_session_says_so_and_returns_to_the_form(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/new/")
    page.locator("#id_note").fill("typed before the session ended")
    Session.objects.all().delete()  # 15 minutes without a request, in one step
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("session-ended")).to_contain_text("Your session has ended")
    page.fill("#id_username", "demo-admin")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/administration/api-keys/new/$"))
    expect(page.locator("#id_note")).to_have_value("")  # nothing typed was kept on the server
    assert not ApiKey.objects.filter(note="typed before the session ended").exists()
