"""What the browser tests share: Playwright driving Debian's Chromium against the live server.

Screenshots go to a temporary directory (``$TMPDIR/efinance-screenshots``), so that the test command
leaves the checkout as it was; ``SCREENSHOT_DIR`` names another one, and ``REFRESH_SCREENSHOTS=1``
writes the docs' own, under docs/screenshots/.
"""

import os
import re
import tempfile
import time
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from users.models import User

# Playwright's sync API runs an event loop in the test's thread; Django's ORM refuses to run in a
# thread with a running loop unless told otherwise. Set before pytest-playwright's fixtures run.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "browser-walk-2026"


def _screenshot_dir() -> Path:
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":
        return Path(settings.BASE_DIR) / "docs" / "screenshots"
    return Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "efinance-screenshots")


SCREENSHOTS = _screenshot_dir()
# The key list; after «Close» with the new key's row as the fragment (#key-<key ID>).
KEYS_URL = re.compile(r"/administration/api-keys/(#key-[a-z2-7]+)?$")


#: The widths of the browser tests: a desktop and a phone (an iPhone 12-15 is 390 CSS pixels wide).
DESKTOP, PHONE = 1280, 390


def shot(page: Page, name: str, width: int | None = None) -> None:
    """A full-page screenshot `name`.png; at another width than the desktop's `name`-<width>px.png
    (the page's viewport is set to `width` first when given)."""
    if width is not None and page.viewport_size["width"] != width:
        page.set_viewport_size({"width": width, "height": page.viewport_size["height"]})
    width = page.viewport_size["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if width == DESKTOP else f"-{width}px"
    page.screenshot(path=SCREENSHOTS / f"{name}{suffix}.png", full_page=True)


def log_in(page: Page, live_server, username: str, screenshot: str | None = None) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    if screenshot:
        shot(page, screenshot)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".whoami")).to_contain_text(User.objects.get(username=username).get_full_name())


def go_back(page: Page) -> None:
    """Back in the history; a page restored from the back/forward cache fires no load event. Polled
    with `evaluate`, not `wait_for_function`: Playwright's predicate runs through eval in the page,
    which the page's CSP (no 'unsafe-eval') refuses."""
    page.go_back(wait_until="commit")
    deadline = time.monotonic() + 10
    while not _loaded(page):
        assert time.monotonic() < deadline, "the page did not finish loading"
        page.wait_for_timeout(50)


def _loaded(page: Page) -> bool:
    try:
        return page.evaluate("document.readyState") == "complete"
    except PlaywrightError:  # the document was being replaced: ask the next one
        return False


def create_key(page: Page, username: str, note: str) -> str:
    """From the key list, create an integration key through the form; returns the token shown."""
    page.get_by_test_id("create-key").click()
    page.locator("#id_user").select_option(str(User.objects.get(username=username).pk))
    page.locator("input[name=api][value=integration]").check()
    page.locator("#id_note").fill(note)
    page.get_by_test_id("create-submit").click()
    return page.get_by_test_id("token").input_value()


def close_token_screen(page: Page) -> None:
    """«Close» on the token screen, saying yes to «not copied yet: leave anyway?» (asked when the token
    was never copied)."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("close").click()


def no_axe_violations(page: Page) -> None:
    """The page has no axe-core violation and no horizontal scroll, at the desktop's and the phone's
    width; it is left at the desktop's."""
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 844})
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size({"width": DESKTOP, "height": 844})


def open_menu(row) -> None:
    """Open the menu of actions of a key's row (a <details>) on the key list."""
    row.locator("details.row-menu > summary").click()


def open_ended(page: Page) -> None:
    """Unfold «Expired and deleted keys» on the key list."""
    disclosure = page.get_by_test_id("ended-disclosure")
    if disclosure.get_attribute("open") is None:
        disclosure.locator("summary").click()


def context_for(browser, browser_context_args, live_server, username, width, language):
    """A browser context at `width` in `language` (its cookie, and the user's e-mail language), logged in
    as `username` (None: nobody) through a session cookie, without the login page."""
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": width, "height": 844}})
    context.set_default_timeout(10_000)
    host = live_server.url.split("://", 1)[1].split(":")[0]
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}]
    if username:
        user = User.objects.get(username=username)
        User.objects.filter(pk=user.pk).update(language=language)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"})
    context.add_cookies(cookies)
    return context
