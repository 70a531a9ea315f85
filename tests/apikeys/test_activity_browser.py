"""«Activity» and the support admin's outbox in Chromium, at 1280 and 390 px, in English and German, on
the demo's data: nothing wider than the window, one line per entry on a desktop (long details cut
with «…», whole in a tooltip and under the pointer) and a compact card on a phone, the presets and a
bad date, and 0 axe-core violations. Screenshots: activity[-390px].png, activity-de…,
activity-filtered…, support-outbox… (tests.browser.shot)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser import DESKTOP, PHONE, context_for, shot
from users.models import OutboxMessage

pytestmark = pytest.mark.browser

AXE = Axe()
ACTIVITY, OUTBOX = "/administration/activity/", "/support/users/outboxmessage/"


def _pages(browser, browser_context_args, live_server, username: str, width: int, path: str):
    """The page `path` as `username` sees it at `width`, in English then German: (file name suffix, page)."""
    for language in ("en", "de"):
        context = context_for(browser, browser_context_args, live_server, username, width, language)
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        yield ("" if language == "en" else f"-{language}"), language, page
        context.close()


def _fits(page) -> bool:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) <= innerWidth")


def _no_violations(page, where: str, violations: dict) -> None:
    results = AXE.run(page)
    assert results.response["passes"], where  # axe did run
    if results.violations_count:
        violations[where] = results.generate_report()


def _heights(rows) -> list[float]:
    return rows.evaluate_all("rows => rows.map(row => row.getBoundingClientRect().height)")


def _one_line_each(page, rows) -> None:
    """Every entry one line high, the long details cut with a tooltip, and whole again under the pointer."""
    heights = _heights(rows)
    assert max(heights) < 1.4 * min(heights), heights
    assert page.locator("td.details").first.bounding_box()["width"] > 300  # the details keep room to be read
    clipped = page.locator("[data-testid=activity] tbody td.details[title]")
    assert clipped.count() >= 1  # the demo has long details: they are cut, not wrapped
    cell = clipped.first
    text = " ".join(cell.evaluate("cell => cell.textContent").split())
    assert cell.get_attribute("title") == text  # the whole text, in the tooltip
    row = cell.locator("xpath=..")
    before = row.bounding_box()["height"]
    row.hover()
    assert row.bounding_box()["height"] > 1.4 * before  # read in full under the pointer
    page.mouse.move(0, 0)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_activity_reads_as_lines_on_a_desktop_and_cards_on_a_phone(
    browser, browser_context_args, live_server, demo, width
):
    violations: dict = {}
    for suffix, language, page in _pages(browser, browser_context_args, live_server, "demo-admin", width, ACTIVITY):
        rows = page.locator("[data-testid=activity] tbody tr")
        expect(rows.first).to_be_visible()
        assert _fits(page), f"activity {language} {width}"
        time_height = page.locator("td.when time").first.bounding_box()["height"]
        assert time_height < 30, time_height  # the time on one line
        if width == DESKTOP:
            assert page.locator("[data-testid=activity] thead").is_visible()
            key_cell = page.locator("td.key code").first
            assert key_cell.bounding_box()["height"] < 30  # a key ID never breaks
            _one_line_each(page, rows)
        else:
            assert page.locator("[data-testid=activity] thead").bounding_box()["height"] <= 1  # for screen readers only
            assert page.locator("td.none").first.is_hidden()  # empty cells left out of the card
        _no_violations(page, f"activity [{language}, {width}px]", violations)
        shot(page, f"activity{suffix}", width)
        with page.expect_navigation():
            page.get_by_test_id("activity-presets").get_by_role("link").nth(1).click()  # «Last 7 days»
        expect(page.locator("[data-testid=activity-presets] [aria-current]")).to_have_count(1)
        page.locator("#id_action").select_option("group:keys")
        with page.expect_navigation():
            page.locator("#id_action").evaluate("select => select.form.requestSubmit()")
        expect(page.locator("#id_action")).to_have_value("group:keys")
        assert _fits(page)
        _no_violations(page, f"activity filtered [{language}, {width}px]", violations)
        shot(page, f"activity-filtered{suffix}", width)
        page.locator("#id_since").fill("31.02.2026")
        with page.expect_navigation():
            page.locator("#id_since").evaluate("input => input.form.requestSubmit()")
        expect(page.get_by_test_id("error-summary")).to_be_visible()
        expected = "zum Beispiel 31.12.2027" if language == "de" else "for example 31.12.2027"
        expect(page.get_by_test_id("error-summary")).to_contain_text(expected)
        _no_violations(page, f"activity bad date [{language}, {width}px]", violations)
    assert violations == {}, "\n".join(violations.values())


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_support_outbox_is_read_only_and_readable(browser, browser_context_args, live_server, demo, width):
    assert OutboxMessage.objects.exists()  # the demo's notices
    violations: dict = {}
    for suffix, language, page in _pages(browser, browser_context_args, live_server, "support", width, OUTBOX):
        expect(page.locator("#result_list")).to_be_visible()
        assert page.locator("input[name=_selected_action]").count() == 0  # no action, nothing to select
        assert page.locator(".object-tools a.addlink").count() == 0
        assert page.get_by_test_id("zone-note").count() == 1
        assert _fits(page), f"outbox {language} {width}"
        _no_violations(page, f"outbox [{language}, {width}px]", violations)
        shot(page, f"support-outbox{suffix}", width)
        with page.expect_navigation():
            page.locator("#result_list tbody a").first.click()
        expect(page.locator("input[name=_save]")).to_have_count(0)
        _no_violations(page, f"outbox message [{language}, {width}px]", violations)
    assert violations == {}, "\n".join(violations.values())
