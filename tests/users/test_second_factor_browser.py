"""Enrol an authenticator app in Chromium and log in with a real code computed from the key the page
shows (as the app would), at a desktop's and a phone's width."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import DESKTOP, PASSWORD, PHONE, shot
from tests.factors import code_at

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_enrol_an_authenticator_app_and_log_in_with_its_code(
    browser, browser_context_args, live_server, demo, totp_clock, width
):
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 844}})
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "demo-accounting")
    page.fill("#id_password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    if width == PHONE:
        page.get_by_test_id("menu-toggle").click()
    page.get_by_test_id("nav-security").click()
    expect(page.get_by_test_id("no-factor")).to_be_visible()
    page.get_by_test_id("totp-enrol").click()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    shot(page, "ui-totp-enrol", width)
    secret = page.get_by_test_id("totp-secret").input_value()
    page.fill("#id_code", code_at(secret, totp_clock.now))
    page.get_by_role("button", name="Confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("code")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", text) for text in codes.all_inner_texts())
    shot(page, "ui-recovery-codes", width)
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("factor-totp")).to_be_visible()

    # Log out, and in again: the password, then the app's next code.
    if width == PHONE:
        page.get_by_test_id("menu-toggle").click()
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{base}/accounts/login/?next=/accounts/security/")
    page.fill("#id_username", "demo-accounting")
    page.fill("#id_password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_test_id("login-factor")).to_be_visible()
    page.goto(f"{base}/accounts/security/")  # skipping the second step leads back to the login
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.go_back()
    page.goto(f"{base}/accounts/login/code/")
    page.fill("#id_code", code_at(secret, totp_clock.now))  # the code used for the enrolment: refused
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("This code is not valid.")
    shot(page, "ui-login-factor-error", width)
    totp_clock.next_step()
    page.fill("#id_code", code_at(secret, totp_clock.now))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/accounts/security/")
    expect(page.get_by_test_id("factor-totp")).to_be_visible()
    context.close()
