"""The key list in Chromium at 1280 and 390 pixels, in English and German (and French at 1280): six
columns on a desktop, one card of three lines per key on a phone, the ended keys folded away,
identifiers in one piece, nothing cut off, 0 axe-core violations; the row's menu without JS; «Delete
selected»; the token whole on a phone; Back after «Close».

Screenshots `calm-list-<language>` (and `-390px`), the docs' after-pictures (REFRESH_SCREENSHOTS=1).
"""

import datetime
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from apikeys.models import ApiKey
from tests.browser import DESKTOP, PHONE, close_token_screen, create_key, go_back, shot
from users.models import User

pytestmark = pytest.mark.browser

URL = "/administration/api-keys/"
LONG_NOTE = "ERP-Testsystem der Buchhaltung, Lieferung der Rechnungen an die Kundenintegration " * 2
AXE = Axe()


@pytest.fixture
def list_data(demo):
    """The demo's keys (valid, being replaced, pending approval, limited to a network, expired,
    deleted); one used a few minutes ago, one with a long note."""
    ApiKey.objects.filter(note="ERP invoicing").update(last_used_at=timezone.now() - datetime.timedelta(minutes=3))
    ApiKey.objects.filter(note="ERP test system").update(note=LONG_NOTE.strip())


def _context(browser, browser_context_args, live_server, width: int, language: str, username: str = "demo-admin"):
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 844}})
    context.set_default_timeout(10_000)
    host = live_server.url.split("://", 1)[1].split(":")[0]
    user = User.objects.get(username=username)
    User.objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"},
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"},
        ]
    )
    return context


def _broken_identifiers(page: Page) -> list[str]:
    """The identifiers (`.ident`: key IDs, usernames, networks) shown on more than one line, not kept
    whole by their style, or reaching past the window."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main .ident')].filter((el) => el.getClientRects().length)
            .filter((el) => { const rects = el.getClientRects(); const style = getComputedStyle(el);
                return rects.length !== 1 || style.whiteSpace !== 'nowrap'
                    || rects[0].right > window.innerWidth + 1 || rects[0].left < -1; })
            .map((el) => el.textContent)"""
    )


def _cut_off(page: Page) -> list[str]:
    """Cells, headers, marks and menus of the key tables whose content is wider than their box."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main table.keys th, main table.keys td, main .badge,'
                + ' main summary, main .row-menu-body a')]
            .filter((el) => el.getClientRects().length && getComputedStyle(el).display !== 'contents')
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => el.outerHTML.slice(0, 100))"""
    )


def _overflow(page: Page) -> int:
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
    )


def _lines(row) -> list[list[str]]:
    """The visible parts of a card, grouped by the line they sit on (their tops within 6 px)."""
    parts = row.evaluate(
        """(row) => [...row.querySelectorAll('.select, .key-name, .key-id, td.c-api, td.c-user, td.c-expires,'
                + ' td.c-used, td.c-status, td.c-ended, td.c-by')]
            .filter((el) => el.getClientRects().length)
            .map((el) => [[...el.classList].find((name) => name !== 'ident'), el.getBoundingClientRect().top])"""
    )
    lines: list[list] = []
    for name, top in sorted(parts, key=lambda part: part[1]):
        if lines and abs(lines[-1][0] - top) <= 6:
            lines[-1][1].append(name)
        else:
            lines.append([top, [name]])
    return [sorted(names) for _top, names in lines]


@pytest.mark.parametrize(
    ("language", "width"), [("en", DESKTOP), ("en", PHONE), ("de", DESKTOP), ("de", PHONE), ("fr", DESKTOP)]
)
def test_the_list_is_calm_fits_and_keeps_identifiers_whole(
    browser, browser_context_args, live_server, list_data, language, width
):
    context = _context(browser, browser_context_args, live_server, width, language)
    page = context.new_page()
    page.goto(f"{live_server.url}{URL}")
    valid = page.get_by_test_id("valid-keys")
    rows = valid.locator("tbody tr")
    assert rows.count() == ApiKey.objects.filter(revoked_at__isnull=True, valid_until__gte=timezone.localdate()).count()
    assert _overflow(page) <= 0
    assert _broken_identifiers(page) == []
    assert _cut_off(page) == []
    if width == DESKTOP:
        expect(valid.locator("thead th")).to_have_count(6)
        for index in range(rows.count()):
            expect(rows.nth(index).locator("> td")).to_have_count(6)
    else:
        expect(valid.locator("td.c-actions").first).to_be_hidden()  # actions on the key's page
        plain = valid.locator("tr", has=page.get_by_text("ERP invoicing", exact=True))
        assert _lines(plain) == [["c-api", "key-name", "select"], ["c-user", "key-id"], ["c-expires", "c-used"]]
    # «Expired and deleted keys» folded, with its count; open, its rows are cards or rows alike.
    disclosure = page.get_by_test_id("ended-disclosure")
    ended = page.get_by_test_id("ended-keys")
    expect(ended).to_be_hidden()
    count = int(page.get_by_test_id("ended-count").inner_text())
    assert count == ended.locator("tbody tr").count() == 3
    disclosure.locator("summary").click()
    expect(ended).to_be_visible()
    assert _overflow(page) <= 0
    assert _broken_identifiers(page) == []
    assert _cut_off(page) == []
    if width == PHONE:
        for index in range(count):  # name and mark / key ID · user / status · when · by whom (may wrap)
            lines = _lines(ended.locator("tbody tr").nth(index))
            assert lines[:2] == [["c-api", "key-name"], ["c-user", "key-id"]]
            assert "c-status" in lines[2]
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()
    disclosure.locator("summary").click()
    if language != "fr":  # French is checked for what is cut off, not pictured
        shot(page, f"calm-list-{language}")
    context.close()


def test_the_menu_of_a_row_opens_without_js_and_leads_to_delete(browser, browser_context_args, live_server, list_data):
    context = _context(browser, {**browser_context_args, "java_script_enabled": False}, live_server, DESKTOP, "en")
    page = context.new_page()
    page.goto(f"{live_server.url}{URL}")
    key = ApiKey.objects.get(note="ERP invoicing")
    row = page.locator(f'[data-testid=valid-keys] tr[data-key-id="{key.key_id}"]')
    delete = row.get_by_role("link", name=f"Delete the key {key.key_id}")
    expect(delete).to_be_hidden()
    row.get_by_text("Actions", exact=True).click()
    expect(row.get_by_role("link", name="Details", exact=True)).to_be_visible()
    assert _overflow(page) <= 0
    delete.click()
    expect(page).to_have_url(re.compile(f"/api-keys/{key.key_id}/delete/$"))
    context.close()


def test_bulk_delete_still_selects_keys_in_the_rows(browser, browser_context_args, live_server, list_data):
    context = _context(browser, browser_context_args, live_server, DESKTOP, "en")
    page = context.new_page()
    page.goto(f"{live_server.url}{URL}")
    boxes = page.get_by_test_id("valid-keys").get_by_test_id("select-key")
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_test_id("delete-selected").click()
    page.get_by_test_id("confirm-bulk-delete").click()
    expect(page.get_by_test_id("messages")).to_contain_text("2")
    assert ApiKey.objects.filter(key_id__in=chosen, revoked_at__isnull=False).count() == 2
    context.close()


def test_on_a_phone_the_token_shows_whole_and_wrapped(browser, browser_context_args, live_server, list_data):
    context = _context(browser, browser_context_args, live_server, PHONE, "de")
    page = context.new_page()
    page.goto(f"{live_server.url}{URL}")
    token = create_key(page, "demo-user", "Telefon")
    field = page.get_by_test_id("token")
    sizes = field.evaluate("(el) => [el.scrollWidth, el.clientWidth, el.scrollHeight, el.clientHeight]")
    scroll_width, client_width, scroll_height, client_height = sizes
    assert scroll_width <= client_width and scroll_height <= client_height  # nothing hidden inside the field
    assert client_height > 2.5 * field.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")  # wrapped
    assert field.input_value() == token
    assert _overflow(page) <= 0
    shot(page, "calm-token-de", PHONE)
    close_token_screen(page)
    context.close()


def test_back_after_close_offers_no_filled_form(browser, browser_context_args, live_server, list_data):
    """Create, «Close», then Back twice: the list (the token page replaced itself), then an empty
    creation form; sending the form the browser kept makes no second key."""
    context = _context(browser, browser_context_args, live_server, DESKTOP, "en")
    page = context.new_page()
    page.goto(f"{live_server.url}{URL}")
    before = ApiKey.objects.count()
    token = create_key(page, "demo-user", "Back after Close")
    close_token_screen(page)
    expect(page.get_by_test_id("messages")).to_contain_text("has been created")
    for _step in range(2):
        go_back(page)
        expect(page.get_by_test_id("token")).to_have_count(0)
        assert token not in page.content()
    expect(page.locator("#id_note")).to_have_value("")
    expect(page.locator("#id_user")).to_have_value("")
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    assert ApiKey.objects.count() == before + 1
    context.close()
