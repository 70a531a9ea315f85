"""Every screen of handling one key, on the demo's data, in Chromium: at 1280 and 390 px, in English and
German, nothing wider than the window, the title first and 0 axe-core violations. The second Admin
user sees what waits for them (the bands, «Needs attention», the reject form); the first one replaces
a production key under four-eyes and deletes a key whose successor waits. Screenshots:
handling-<screen>[-de][-390px].png (tests.browser.shot)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from apikeys.models import Api, ApiKey
from tests.browser import DESKTOP, PHONE, context_for, shot

pytestmark = pytest.mark.browser

AXE = Axe()


def _screens() -> list[tuple[str, str, str]]:
    """(screen, who looks, path) for the demo's keys as they are when the demo starts."""
    pending = ApiKey.objects.filter(approval_requested_at__isnull=False, approved_at__isnull=True).first()
    working = (
        ApiKey.objects.valid()
        .filter(api=Api.PRODUCTION, approval_requested_at__isnull=True, ends_at__isnull=True)
        .order_by("created_at")
        .first()
    )
    replaced = ApiKey.objects.filter(ends_at__isnull=False, revoked_at__isnull=True).first()
    successor = ApiKey.objects.filter(replaces=replaced, revoked_at__isnull=True).first() if replaced else None
    assert pending and working and successor, "the demo has a key waiting, a working production key, a replaced one"
    return [
        ("overview", "demo-admin2", "/"),
        ("administration", "demo-admin2", "/administration/"),
        ("key-list", "demo-admin2", "/administration/api-keys/"),
        ("key-page-pending", "demo-admin2", f"/administration/api-keys/{pending.key_id}/"),
        ("reject", "demo-admin2", f"/administration/api-keys/{pending.key_id}/reject/"),
        ("replace-four-eyes", "demo-admin", f"/administration/api-keys/{working.key_id}/replace/"),
        ("key-page-replaced", "demo-admin", f"/administration/api-keys/{replaced.key_id}/"),
        ("delete-successor", "demo-admin", f"/administration/api-keys/{successor.key_id}/delete/"),
    ]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_screen_of_one_key_reads_at_both_widths(
    browser, browser_context_args, live_server, demo, width, language
):
    violations: dict[str, str] = {}
    for screen, username, path in _screens():
        context = context_for(browser, browser_context_args, live_server, username, width, language)
        page = context.new_page()
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (screen, response.status)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), f"{screen} is wider than {width}"
        results = AXE.run(page)
        assert results.response["passes"], screen  # axe did run
        if results.violations_count:
            violations[f"{screen} [{language}, {width}px]"] = results.generate_report()
        shot(page, f"handling-{screen}{'' if language == 'en' else '-de'}", width)
        context.close()
    assert violations == {}, "\n".join(violations.values())
