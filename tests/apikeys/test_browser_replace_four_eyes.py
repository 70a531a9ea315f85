"""«Replace» under four-eyes in a real browser, with two Admin users at two desks and the API as the
integrator's software sees it: the old production key answers 200 until its successor is approved
and the chosen overlap has passed, or, when the successor is rejected, until its own end of validity;
401 from then on. The server's clock is moved, never slept."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from apikeys import services
from apikeys.models import Api, ApiKey, end_of_validity
from apikeys.policy import rules as policy_rules
from tests.browser import close_token_screen, log_in, open_menu, shot
from users.models import User

pytestmark = pytest.mark.browser
SELF = "/api/billing/v1/keys/self"


@pytest.fixture
def clock(monkeypatch):
    """The server's clock (the live server runs in this process): `clock["now"]` is what it reads."""
    state = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


def _status(page: Page, live_server, token: str) -> int:
    return page.request.get(f"{live_server.url}{SELF}", headers={"Authorization": f"Bearer {token}"}).status


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_old_key_works_until_the_approved_overlap_or_its_own_end(
    page: Page, browser: Browser, browser_context_args, live_server, demo, clock, decision
):
    admin, second = User.objects.get(username="demo-admin"), User.objects.get(username="demo-admin2")
    old, old_token = services.apikey_create(
        user=User.objects.get(username="demo-accounting"),
        api=Api.PRODUCTION,
        note="ERP production",
        valid_until=timezone.localdate() + datetime.timedelta(days=60),
        created_by=admin,
    )
    policy_rules.apikey_approve(key=old, by=second)  # a production key that works (the demo has four-eyes)
    assert _status(page, live_server, old_token) == 200

    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/")
    open_menu(page.locator(f'tr[data-key-id="{old.key_id}"]'))
    page.locator(f'tr[data-key-id="{old.key_id}"]').get_by_test_id("replace").click()
    expect(page.get_by_test_id("approval-needed")).to_contain_text("Bruno Berger")
    expect(page.get_by_test_id("approval-needed")).to_contain_text("The old key keeps working until then")
    expect(page.locator("input[name=old_key_ends][value=now]")).to_have_count(0)
    page.locator("input[name=old_key_ends][value='24h']").check()
    shot(page, "replace-four-eyes-form")
    page.get_by_test_id("replace-submit").click()
    new_token = page.get_by_test_id("token").input_value()
    new = ApiKey.objects.get(replaces=old)
    expect(page.get_by_test_id("replaces")).to_contain_text(f"keeps working until {new.key_id} is approved")
    close_token_screen(page)
    row = page.locator(f'[data-testid=valid-keys] tr[data-key-id="{old.key_id}"]')
    expect(row.get_by_test_id("replacement-waits")).to_be_visible()
    shot(page, "replace-four-eyes-waiting")
    assert (_status(page, live_server, old_token), _status(page, live_server, new_token)) == (200, 401)

    clock["now"] += datetime.timedelta(days=2)  # beyond the 24 hours: nobody has decided yet
    assert _status(page, live_server, old_token) == 200

    desk = browser.new_context(**browser_context_args)
    try:
        other = desk.new_page()
        log_in(other, live_server, "demo-admin2")
        other.goto(f"{live_server.url}/administration/api-keys/")
        new_row = other.locator(f"tr[data-key-id='{new.key_id}']")
        open_menu(new_row)
        new_row.get_by_test_id(f"{decision}-key").click()
        if decision == "reject":  # a confirmation page that asks the reason
            other.locator("#id_reason").fill("The ERP moves to a new server first.")
            other.get_by_test_id("confirm-reject").click()
        decided_at = clock["now"].replace(microsecond=0)
        if decision == "reject":
            other_row = other.locator(f'[data-testid=valid-keys] tr[data-key-id="{old.key_id}"]')
            expect(other_row.get_by_test_id("replacement-cancelled")).to_contain_text(
                f"Replacement {new.key_id} rejected"
            )
            open_menu(other_row)
            expect(other_row.get_by_test_id("replace")).to_be_visible()  # can be replaced again
            shot(other, "replace-four-eyes-rejected")
    finally:
        desk.close()

    if decision == "approve":
        assert (_status(page, live_server, old_token), _status(page, live_server, new_token)) == (200, 200)
        stops = decided_at + datetime.timedelta(hours=24)
    else:
        assert (_status(page, live_server, old_token), _status(page, live_server, new_token)) == (200, 401)
        stops = end_of_validity(old.valid_until)
    clock["now"] = stops - datetime.timedelta(seconds=1)
    assert _status(page, live_server, old_token) == 200
    clock["now"] = stops
    assert _status(page, live_server, old_token) == 401
