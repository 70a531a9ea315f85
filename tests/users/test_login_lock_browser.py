"""A login locked by failures from many addresses (users.limits), in Chromium at a desktop's and a
phone's width: the right password is refused like a wrong one; the user unlocks with the e-mailed
link; locked again, the Admin user unlocks on User management; axe-core finds no violation."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import DESKTOP, PASSWORD, PHONE, context_for, shot
from tests.logins import lock_account, unlock_link, unlock_path
from users import limits
from users.models import User

pytestmark = pytest.mark.browser


def no_axe_violation(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_locked_login_is_unlocked_by_the_link_then_by_an_admin(
    browser, browser_context_args, live_server, demo, width
):
    claudia = User.objects.get(username="demo-accounting")
    lock_account(claudia)
    base = live_server.url

    stranger = context_for(browser, browser_context_args, live_server, None, width, "en")
    page = stranger.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "demo-accounting")
    page.fill("#id_password", PASSWORD)  # right, and refused as a wrong one
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Please enter a correct username and password.")

    uidb64, token = unlock_link(claudia)
    page.goto(f"{base}{unlock_path(uidb64, token)}")
    expect(page).to_have_url(f"{base}/accounts/unlock/")
    expect(page.get_by_test_id("unlock-form")).to_be_visible()
    no_axe_violation(page)
    shot(page, "login-unlock-link", width)
    page.get_by_test_id("unlock-submit").click()
    expect(page.get_by_test_id("unlocked")).to_be_visible()
    no_axe_violation(page)
    page.get_by_role("link", name="Log in").click()
    page.fill("#id_username", "demo-accounting")
    page.fill("#id_password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    stranger.close()

    lock_account(claudia)
    admin = context_for(browser, browser_context_args, live_server, "demo-admin", width, "en")
    page = admin.new_page()
    page.goto(f"{base}/administration/users/")
    row = page.locator('tr[data-username="demo-accounting"]')
    expect(row.get_by_test_id("login-locked")).to_be_visible()
    no_axe_violation(page)
    shot(page, "login-locked-user-management", width)
    row.get_by_test_id("user-unlock").click()
    expect(page.locator(".messages")).to_contain_text("The login of demo-accounting is unlocked")
    expect(row.get_by_test_id("login-locked")).to_have_count(0)
    assert not limits.is_locked(claudia.pk)
    page.goto(f"{base}/administration/activity/")
    expect(page.locator('tr[data-action="lock_lifted"]')).to_have_count(2)
    expect(page.locator('tr[data-action="account_locked"]')).to_have_count(2)
    no_axe_violation(page)
    admin.close()
