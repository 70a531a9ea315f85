"""Every screen a user can reach, in Chromium at 1280 and 390 pixels, in the four languages.

On each screen: the document is no wider than the window (no sideways scroll), every visible action
(link, button, field, menu) can be clicked — in the viewport after scrolling to it and not covered by
anything (`click(trial=True)`) — and, in English at both widths, axe-core finds 0 violations.

The screens are a list: a new screen is one more `Screen(...)` line (an `open` function when the
screen needs steps, a path otherwise). `SHOTS` names the docs' screenshots (REFRESH_SCREENSHOTS=1).
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from apikeys import services
from apikeys.models import Api, ApiKey, KeyRefusal, KeyUsage, PolicyChange
from apikeys.policy import rules as policy_rules
from tests.browser import DESKTOP, PASSWORD, PHONE, context_for, shot
from tests.factors import enrol
from tests.passkeys import add_passkey
from users.factors.proof import PROOF_AT
from users.models import User

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "de", "fr", "it"]
#: Where every action is tried (the width is checked in all four): English, and German, whose words are longest.
CLICK_LANGUAGES = {"en", "de"}
LONG_NOTE = "x" * 200  # a note of 200 characters without a space
FACTOR_USER = "demo-admin2"  # has an authenticator app in these tests
USAGE_NOTE = "ERP Abacus — nightly sync"  # the key with a month of usage and refusals
BEING_REPLACED, REPLACEMENT_REJECTED = "being replaced", "replacement rejected"
AXE = Axe()


def _open_create_form(page: Page, base: str) -> None:
    page.goto(f"{base}/administration/api-keys/new/")


def _open_create_form_with_errors(page: Page, base: str) -> None:
    page.goto(f"{base}/administration/api-keys/new/")
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()


def _open_token_screen(page: Page, base: str) -> None:
    page.goto(f"{base}/administration/api-keys/new/")
    page.locator("#id_user").select_option(str(User.objects.get(username="demo-user").pk))
    page.locator("input[name=api][value=integration]").check()
    page.locator("#id_note").fill(LONG_NOTE)
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("token")).to_be_visible()


def _open_delete_page(page: Page, base: str) -> None:
    key = ApiKey.objects.filter(note=LONG_NOTE, revoked_at__isnull=True).order_by("id").first()
    page.goto(f"{base}/administration/api-keys/{key.key_id}/delete/")


def _open_replace_page(page: Page, base: str) -> None:
    key = ApiKey.objects.filter(note=LONG_NOTE, revoked_at__isnull=True, ends_at__isnull=True).order_by("id").first()
    page.goto(f"{base}/administration/api-keys/{key.key_id}/replace/")


def _open_replace_page_without_approval(page: Page, base: str) -> None:
    key = ApiKey.objects.filter(note=LONG_NOTE, api=Api.INTEGRATION, revoked_at__isnull=True, ends_at__isnull=True)
    page.goto(f"{base}/administration/api-keys/{key.order_by('id').first().key_id}/replace/")


def _open_delete_page_of_a_successor(page: Page, base: str) -> None:
    key = ApiKey.objects.get(replaces__note=BEING_REPLACED, revoked_at__isnull=True)
    page.goto(f"{base}/administration/api-keys/{key.key_id}/delete/")


def _open_key_reject_page(page: Page, base: str) -> None:
    key = ApiKey.objects.get(replaces__note=BEING_REPLACED, revoked_at__isnull=True)
    page.goto(f"{base}/administration/api-keys/{key.key_id}/reject/")


def _open_change_reject_page(page: Page, base: str) -> None:
    change = PolicyChange.objects.filter(decided_at__isnull=True).order_by("pk").first()
    page.goto(f"{base}/administration/security-policy/changes/{change.pk}/reject/")


def _open_bulk_delete_page(page: Page, base: str) -> None:
    page.goto(f"{base}/administration/api-keys/")
    boxes = page.get_by_test_id("select-key")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_test_id("delete-selected").click()
    expect(page.get_by_test_id("confirm-bulk-delete")).to_be_visible()


def _open_networks_page(page: Page, base: str) -> None:
    key = ApiKey.objects.filter(note=LONG_NOTE, revoked_at__isnull=True).order_by("id").first()
    page.goto(f"{base}/administration/api-keys/{key.key_id}/networks/")


def _open_key_page(page: Page, base: str) -> None:
    key = ApiKey.objects.get(note=USAGE_NOTE)
    page.goto(f"{base}/administration/api-keys/{key.key_id}/")
    expect(page.get_by_test_id("usage-chart")).to_be_visible()


def _open_technical_user_form_with_errors(page: Page, base: str) -> None:
    page.goto(f"{base}/administration/users/technical/new/")
    page.get_by_test_id("technical-user-submit").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()


def _technical_user_path(action: str) -> str:
    abacus = User.objects.get(username="erp-abacus")  # the demo's technical user
    return f"/administration/users/technical/{abacus.pk}/{action}"


def _open_lockout(page: Page, base: str) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "demo-accounting")
        page.fill("#id_password", "wrong password")
        page.locator("form.form button[type=submit]").click()
        if page.get_by_test_id("lockout").count():
            return
    raise AssertionError("no lockout page")


def _open_totp_enrol_with_errors(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/security/authenticator/")
    page.fill("#id_code", "12345")
    page.get_by_role("button", name=re.compile("^(Confirm|Bestätigen|Confirmer|Confermare)$")).click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()


def _open_recovery_codes(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/security/")
    page.get_by_test_id("recovery-new").click()
    expect(page.get_by_test_id("recovery-codes")).to_be_visible()


def _open_step_up(page: Page, base: str) -> None:
    """The question for a fresh proof: the session's proof aged, then «Make new recovery codes»."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    session[PROOF_AT] = 0.0
    session.save()
    page.goto(f"{base}/accounts/security/")
    page.get_by_test_id("recovery-new").click()
    expect(page.get_by_test_id("step-up")).to_be_visible()


def _open_login_factor(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", FACTOR_USER)
    page.fill("#id_password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_test_id("login-factor")).to_be_visible()


@dataclass(frozen=True)
class Screen:
    name: str
    user: str | None  # who is logged in (None: nobody)
    path: str = ""
    open: Callable[[Page, str], None] | None = None
    status: int | None = None  # the HTTP status expected for `path`


SCREENS = [
    Screen("administration", "demo-admin", "/administration/"),
    Screen("user-management", "demo-admin", "/administration/users/"),
    Screen("technical-user-form-errors", "demo-admin", open=_open_technical_user_form_with_errors),
    Screen("technical-user-change", "demo-admin", open=lambda page, base: page.goto(base + _technical_user_path(""))),
    Screen(
        "technical-user-deactivate",
        "demo-admin",
        open=lambda page, base: page.goto(base + _technical_user_path("deactivate/")),
    ),
    Screen("key-list", "demo-admin", "/administration/api-keys/"),
    # «Needs attention» with the keys demo-admin made waiting for demo-admin2's approval.
    Screen("key-list-needs-approval", "demo-admin2", "/administration/api-keys/"),
    Screen("key-list-search", "demo-admin", "/administration/api-keys/?q=xxxx&api=integration"),
    Screen("key-list-no-match", "demo-admin", "/administration/api-keys/?q=nothing-matches-this"),
    Screen("create-form", "demo-admin", open=_open_create_form),
    Screen("create-form-errors", "demo-admin", open=_open_create_form_with_errors),
    Screen("token-screen", "demo-admin", open=_open_token_screen),
    Screen("delete-page", "demo-admin", open=_open_delete_page),
    Screen("replace-page", "demo-admin", open=_open_replace_page),  # a production key: four-eyes
    Screen("replace-page-no-approval", "demo-admin", open=_open_replace_page_without_approval),
    Screen("delete-page-of-a-successor", "demo-admin", open=_open_delete_page_of_a_successor),
    Screen("key-reject-page", "demo-admin", open=_open_key_reject_page),
    Screen("change-reject-page", "demo-admin", open=_open_change_reject_page),
    Screen("networks-page", "demo-admin", open=_open_networks_page),
    Screen("bulk-delete-page", "demo-admin", open=_open_bulk_delete_page),
    Screen("key-page", "demo-admin", open=_open_key_page),
    Screen("security-policy", "demo-admin", "/administration/security-policy/"),
    Screen("activity", "demo-admin", "/administration/activity/"),
    Screen("credential-report", "demo-admin", "/administration/credential-report/"),
    Screen("admin-home", "demo-admin", "/"),
    Screen("not-found", "demo-admin", "/administration/api-keys/aaaaaaaaaaaa/delete/", status=404),
    Screen("user-home", "demo-user", "/"),
    Screen("access-denied", "demo-user", "/administration/", status=403),
    Screen("login", None, "/accounts/login/"),
    Screen("login-session-ended", None, "/accounts/login/?next=/administration/api-keys/new/&session=ended"),
    Screen("lockout", None, open=_open_lockout),
    Screen("security", "demo-user", "/accounts/security/"),
    Screen("totp-enrol", "demo-user", "/accounts/security/authenticator/"),
    Screen("totp-enrol-errors", "demo-user", open=_open_totp_enrol_with_errors),
    Screen("passkey-add", "demo-user", "/accounts/security/passkeys/new/"),
    Screen("security-with-factor", FACTOR_USER, "/accounts/security/"),
    Screen("logout-everywhere", "demo-user", "/accounts/security/logout-everywhere/"),
    Screen("recovery-codes", FACTOR_USER, open=_open_recovery_codes),
    Screen("step-up", FACTOR_USER, open=_open_step_up),
    Screen("login-factor", None, open=_open_login_factor),
]
#: The docs' screenshots (docs/development/screens.md), at both widths, in English.
SHOTS = {
    "key-list": "ui-key-list",
    "key-list-needs-approval": "ui-needs-attention",
    "create-form-errors": "ui-create-form-errors",
    "token-screen": "ui-token-screen",
    "user-management": "ui-user-management",
    "user-home": "ui-standard-user",
    "key-page": "ui-key-page",
    "security-policy": "ui-security-policy",
}


@pytest.fixture
def screens_data(demo, settings, live_server):
    """The demo data, and keys of every kind: valid, expiring in 3 days, expired, deleted, long notes;
    under four-eyes (the demo's policy) one being replaced and one whose replacement was rejected.
    FACTOR_USER has an authenticator app and a passkey (bound to the live server's host)."""
    admin, user = User.objects.get(username="demo-admin"), User.objects.get(username="demo-user")
    today = timezone.localdate()
    for api, note, days in [
        (Api.PRODUCTION, LONG_NOTE, 400),
        (Api.INTEGRATION, "expires soon", 3),
        (Api.INTEGRATION, LONG_NOTE, 30),
    ]:
        services.apikey_create(
            user=user, api=api, note=note, valid_until=today + datetime.timedelta(days=days), created_by=admin
        )
    key, _token = services.apikey_create(
        user=user, api=Api.PRODUCTION, note=LONG_NOTE, valid_until=today + datetime.timedelta(days=10), created_by=admin
    )
    services.apikey_revoke(key=key, by=admin)
    enrol(User.objects.get(username=FACTOR_USER))
    settings.PASSKEY_RP_ID = live_server.url.split("://", 1)[1].split(":")[0]
    add_passkey(
        User.objects.get(username=FACTOR_USER), LONG_NOTE[:64], rp_id=settings.PASSKEY_RP_ID, origin=live_server.url
    )
    used, _token = services.apikey_create(
        user=user,
        api=Api.INTEGRATION,
        note=USAGE_NOTE,
        valid_until=today + datetime.timedelta(days=12),
        created_by=admin,
    )
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for day in range(30):  # a month of a nightly sync: pings and deliveries, a few refusals
        at = hour - datetime.timedelta(days=day)
        for operation, outcome, reason, count in [
            ("ping", "ok", "", 20 + day % 7),
            ("deliver", "ok", "", 100 + (day * 37) % 90),
            ("deliver", "refused", "validation", day % 4),
            ("ping", "auth", "address_not_allowed", 3 if day % 9 == 0 else 0),
        ]:
            if count:
                KeyUsage.objects.create(
                    api_key_id=used.pk, hour=at, operation=operation, outcome=outcome, reason=reason, count=count
                )
    for n in range(5):
        KeyRefusal.objects.record(
            key_pk=used.pk, operation="deliver", reason="validation", ip=f"198.51.100.{n + 1}", now=hour
        )
    second = User.objects.get(username="demo-admin2")
    for note in (BEING_REPLACED, REPLACEMENT_REJECTED):
        old, _token = services.apikey_create(
            user=user, api=Api.PRODUCTION, note=note, valid_until=today + datetime.timedelta(days=200), created_by=admin
        )
        policy_rules.apikey_approve(key=old, by=second)
        new, _token = services.apikey_replace(
            key=old, valid_until=old.valid_until, overlap=services.OVERLAPS["7d"], by=admin
        )
        if note == REPLACEMENT_REJECTED:
            policy_rules.apikey_reject(key=new, by=second, reason="Not before the migration.")
    policy_rules.policy_update(  # a weakening change that waits for demo-admin
        organization_id=admin.organization_id, by=second, max_validity_days=None, four_eyes=False, allowed_networks=""
    )
    services.apikey_create(  # an expired key, made as it would have been: a year before its end
        user=user,
        api=Api.INTEGRATION,
        note=LONG_NOTE,
        valid_until=today - datetime.timedelta(days=2),
        created_by=admin,
        created_at=timezone.now() - datetime.timedelta(days=367),
    )


def _overflow(page: Page) -> int:
    """By how many pixels the document is wider than the window (0 when it fits)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )


def _unclickable(page: Page) -> list[str]:
    """The visible actions that cannot be clicked: off-screen after scrolling to them, or covered."""
    actions = page.locator(
        "main a[href], main button, main input:not([type=hidden]), main select, main summary, "
        "header a[href], header button, header select, header summary"
    )
    problems = []
    for index in range(actions.count()):
        action = actions.nth(index)
        if not action.is_visible():
            continue
        action.scroll_into_view_if_needed()
        inside = page.evaluate(
            """(el) => { const r = el.getBoundingClientRect();
                return r.left >= -1 && r.right <= window.innerWidth + 1 && r.width > 0 && r.height > 0; }""",
            action.element_handle(),
        )
        try:
            action.click(trial=True, timeout=2_000)
        except Exception as error:
            problems.append(f"{action.evaluate('e => e.outerHTML.slice(0, 120)')}: {str(error).splitlines()[0]}")
            continue
        if not inside:
            problems.append(f"{action.evaluate('e => e.outerHTML.slice(0, 120)')}: outside the window")
    return problems


def _visit(page: Page, live_server, screen: Screen) -> None:
    if screen.open:
        screen.open(page, live_server.url)
    else:
        response = page.goto(f"{live_server.url}{screen.path}")
        assert response.status == (screen.status or 200), screen.name


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_screen_fits_works_and_has_no_axe_violation(
    browser, browser_context_args, live_server, screens_data, width
):
    failures, violations, checked = [], {}, {}
    for language in LANGUAGES:
        contexts = {}
        for screen in SCREENS:
            if screen.user not in contexts:
                contexts[screen.user] = context_for(
                    browser, browser_context_args, live_server, screen.user, width, language
                )
                contexts[screen.user].new_page().on("dialog", lambda dialog: dialog.accept())
            page = contexts[screen.user].pages[0]
            _visit(page, live_server, screen)
            expect(page.locator("html")).to_have_attribute("lang", language)
            where = f"{screen.name} [{language}, {width}px]"
            if (overflow := _overflow(page)) > 0:
                failures.append(f"{where}: the document is {overflow}px wider than the window")
            if width == PHONE and (height := page.locator("header.topbar").bounding_box()["height"]) > 64:
                failures.append(f"{where}: the header is {height}px high (more than one row)")
            if language in CLICK_LANGUAGES:
                failures += [f"{where}: {problem}" for problem in _unclickable(page)]
            if language == "en":
                results = AXE.run(page)
                checked[where] = len(results.response["passes"])
                if results.violations_count:
                    violations[where] = results.generate_report()
                if screen.name in SHOTS:
                    shot(page, SHOTS[screen.name])
        for context in contexts.values():
            context.close()
    assert failures == []
    assert violations == {}, "\n".join(violations.values())
    assert len(checked) == len(SCREENS) and all(checked.values())  # axe did run on every screen


def test_the_phone_menu_opens_and_its_links_can_be_tapped(browser, browser_context_args, live_server, screens_data):
    context = context_for(browser, browser_context_args, live_server, "demo-admin", PHONE, "it")
    page = context.new_page()
    page.goto(f"{live_server.url}/administration/api-keys/")
    expect(page.get_by_test_id("nav-administration")).to_be_hidden()
    page.get_by_test_id("menu-toggle").click()
    page.get_by_test_id("nav-administration").click()
    expect(page.get_by_role("heading", name="Amministrazione", exact=True)).to_be_visible()
    assert _overflow(page) <= 0
    context.close()


def test_a_long_note_wraps_and_delete_stays_on_screen_on_a_phone(
    browser, browser_context_args, live_server, screens_data
):
    """On a phone a key's card leads to its page, where «Delete» is."""
    context = context_for(browser, browser_context_args, live_server, "demo-admin", PHONE, "en")
    page = context.new_page()
    page.goto(f"{live_server.url}/administration/api-keys/")
    key = ApiKey.objects.filter(note=LONG_NOTE, revoked_at__isnull=True).order_by("id").first()
    row = page.get_by_test_id("valid-keys").locator(f'tr[data-key-id="{key.key_id}"]')
    expect(row.locator(".badge.production")).to_have_text("Production")
    name = row.get_by_test_id("key-link")
    assert name.bounding_box()["x"] + name.bounding_box()["width"] <= PHONE
    name.click()
    delete = page.get_by_test_id("delete")
    delete.scroll_into_view_if_needed()
    box = delete.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE
    delete.click()
    expect(page.get_by_test_id("confirm-delete")).to_be_visible()
    assert _overflow(page) <= 0
    context.close()
