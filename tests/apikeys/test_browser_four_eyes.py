"""Four-eyes in a real browser: demo-admin makes a production key, which waits; demo-admin2, in a
browser of their own, approves it; the API accepts it from then on. Two browser contexts, so that
the two Admin users have two sessions, as two people at two desks would."""

import pytest
from playwright.sync_api import Browser, Page, expect

from apikeys.models import ApiKey
from tests.browser import KEYS_URL, close_token_screen, log_in, open_menu, shot
from users.models import User

pytestmark = pytest.mark.browser


def _create_production_key(page: Page, live_server, note: str) -> str:
    page.goto(f"{live_server.url}/administration/api-keys/")
    page.get_by_test_id("create-key").click()
    expect(page.get_by_test_id("four-eyes-notice")).to_be_visible()
    page.locator("#id_user").select_option(str(User.objects.get(username="demo-accounting").pk))
    page.locator("input[name=api][value=production]").check()
    page.locator("#id_note").fill(note)
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("created-pending")).to_be_visible()
    return page.get_by_test_id("token").input_value()


def test_a_second_admin_approves_a_production_key(
    page: Page, browser: Browser, browser_context_args, live_server, demo
):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/")
    page.get_by_test_id("security-policy").click()
    expect(page.get_by_role("heading", name="Security policy", exact=True)).to_be_visible()
    expect(page.locator("#id_four_eyes")).to_be_checked()
    shot(page, "11-security-policy")

    token = _create_production_key(page, live_server, "Browser four-eyes walk")
    key = ApiKey.objects.get(note="Browser four-eyes walk")
    assert ApiKey.objects.verify_token(token).failure == "pending_approval"
    close_token_screen(page)
    expect(page).to_have_url(KEYS_URL)
    row = page.locator(f"tr[data-key-id='{key.key_id}']")
    expect(row.get_by_test_id("key-pending")).to_be_visible()
    open_menu(row)
    expect(row.get_by_test_id("pending-approval")).to_be_visible()
    expect(row.get_by_test_id("approve-key")).to_have_count(0)  # never for the one who asked

    second = browser.new_context(**browser_context_args)
    try:
        other = second.new_page()
        log_in(other, live_server, "demo-admin2")
        other.goto(f"{live_server.url}/administration/api-keys/")
        other_row = other.locator(f"tr[data-key-id='{key.key_id}']")
        open_menu(other_row)
        expect(other_row.get_by_test_id("approve-key")).to_be_visible()
        shot(other, "12-pending-key")
        other_row.get_by_test_id("approve-key").click()
        expect(other.locator(".messages")).to_contain_text("has been approved")
        expect(other.locator(f"tr[data-key-id='{key.key_id}']").get_by_test_id("pending-approval")).to_have_count(0)
    finally:
        second.close()

    verification = ApiKey.objects.verify_token(token)
    assert verification.ok and verification.key_id == key.key_id
    key.refresh_from_db()
    assert key.approved_by.username == "demo-admin2"
    page.reload()
    expect(page.locator(f"tr[data-key-id='{key.key_id}']").get_by_test_id("pending-approval")).to_have_count(0)
    page.goto(f"{live_server.url}/administration/activity/")
    expect(page.locator("tr[data-action=key_approved]").first).to_contain_text("demo-admin2")
