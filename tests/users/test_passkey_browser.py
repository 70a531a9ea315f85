"""Set up a passkey in Chromium with its virtual authenticator (the DevTools protocol's WebAuthn domain:
a CTAP2 platform authenticator that verifies the user), log out, log in with the password and the
passkey, and confirm an action with it (step-up), at a desktop's and a phone's width; axe-core finds
no violation on the new screens."""

import re
from importlib import import_module

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.browser import DESKTOP, PASSWORD, PHONE, shot
from users.factors.models import Passkey
from users.factors.proof import PROOF_AT
from users.models import User

pytestmark = pytest.mark.browser

AXE = Axe()


@pytest.fixture
def passkey_site(settings, live_server):
    """Passkeys bound to the live server's host, as PASSKEY_RP_ID binds them to the site's."""
    settings.PASSKEY_RP_ID = live_server.url.split("://", 1)[1].split(":")[0]
    return live_server


def virtual_authenticator(context, page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def no_axe_violation(page, where: str) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"


def age_the_proof(page) -> None:
    """As if the login was long ago: the session's proof older than STEP_UP_SECONDS."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME)
    session = import_module(django_settings.SESSION_ENGINE).SessionStore(key)
    session[PROOF_AT] = 0.0
    session.save()


def log_in_with_password(page, base: str, target: str = "") -> None:
    page.goto(f"{base}/accounts/login/{target}")
    page.fill("#id_username", "demo-accounting")
    page.fill("#id_password", PASSWORD)
    page.locator("form.form button[type=submit]").click()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_set_up_a_passkey_log_in_and_confirm_with_it(browser, browser_context_args, passkey_site, demo, width):
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 844}})
    page = context.new_page()
    virtual_authenticator(context, page)
    base = passkey_site.url
    log_in_with_password(page, base)
    if width == PHONE:
        page.get_by_test_id("menu-toggle").click()
    page.get_by_test_id("nav-security").click()
    expect(page.get_by_test_id("no-factor")).to_be_visible()
    page.get_by_test_id("passkey-add").click()
    expect(page.get_by_test_id("passkey-add-form")).to_be_visible()
    no_axe_violation(page, f"passkey set-up, {width}px")
    page.fill("#id_name", "Work laptop")
    shot(page, "ui-passkey-add", width)
    page.get_by_test_id("passkey-create").click()
    codes = page.get_by_test_id("recovery-codes").locator("code")
    expect(codes).to_have_count(10)
    expect(page.get_by_text("Your passkey «Work laptop» is set up.")).to_be_visible()
    page.get_by_test_id("close").click()
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    expect(page.get_by_test_id("passkey")).to_contain_text("Work laptop")
    no_axe_violation(page, f"security with a passkey, {width}px")
    shot(page, "ui-security-passkey", width)
    stored = Passkey.objects.get(user=User.objects.get(username="demo-accounting"))
    assert stored.name == "Work laptop" and stored.last_used_at is None

    # Log out, and in again: the password, then the passkey.
    if width == PHONE:
        page.get_by_test_id("menu-toggle").click()
    page.get_by_role("button", name="Log out").click()
    log_in_with_password(page, base, "?next=/accounts/security/")
    expect(page.get_by_test_id("login-passkey")).to_be_visible()
    page.goto(f"{base}/accounts/security/")  # skipping the second step leads back to the login
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{base}/accounts/login/code/")
    no_axe_violation(page, f"login's second step with a passkey, {width}px")
    shot(page, "ui-login-passkey", width)
    page.get_by_test_id("login-passkey-submit").click()
    expect(page).to_have_url(f"{base}/accounts/security/")
    expect(page.get_by_test_id("passkey")).to_contain_text("Work laptop")
    stored.refresh_from_db()
    assert stored.last_used_at is not None

    # A step-up: the proof aged, «Make new recovery codes» asks again; the passkey answers.
    age_the_proof(page)
    page.get_by_test_id("recovery-new").click()
    expect(page.get_by_test_id("step-up-passkey")).to_be_visible()
    no_axe_violation(page, f"step-up with a passkey, {width}px")
    shot(page, "ui-step-up-passkey", width)
    page.get_by_test_id("step-up-passkey-submit").click()
    expect(page.get_by_test_id("recovery-codes").locator("code")).to_have_count(10)
    context.close()
