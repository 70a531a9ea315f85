"""«Replace» end to end in Chromium: the admin replaces a key, both tokens work during the overlap,
the old one is refused once its time has passed (the server's clock is moved, never slept), and the
lists show both. Screenshots: the valid list with a replaced and an «expires soon» key, the Replace
page, and a reminder e-mail as its recipients' mail program shows the HTML."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from apikeys.models import ApiKey, Status
from tests.browser import KEYS_URL, close_token_screen, create_key, log_in, open_ended, open_menu, shot
from users.models import OutboxMessage, User

pytestmark = pytest.mark.browser
SELF = "/api/billing-int/v1/keys/self"


def _call(page: Page, live_server, token: str):
    return page.request.get(f"{live_server.url}{SELF}", headers={"Authorization": f"Bearer {token}"})


def test_the_admin_replaces_a_key_and_both_work_until_the_old_ones_time(page: Page, live_server, demo, monkeypatch):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/")
    valid = page.get_by_test_id("valid-keys")
    expect(valid.get_by_test_id("replaced")).to_have_count(1)  # the demo's key being replaced
    expect(valid.get_by_test_id("expires-soon").first).to_be_visible()
    shot(page, "lifecycle-1-replaced-and-expires-soon")

    old_token = create_key(page, "demo-accounting", "Invoice robot")
    close_token_screen(page)
    old = ApiKey.objects.get(note="Invoice robot")
    open_menu(page.locator(f'tr[data-key-id="{old.key_id}"]'))
    page.locator(f'tr[data-key-id="{old.key_id}"]').get_by_test_id("replace").click()
    expect(page.get_by_test_id("old-key")).to_contain_text(old.key_id)
    page.locator("input[name=validity][value='90d']").check()
    expected_end = timezone.localdate() + datetime.timedelta(days=90)
    expect(page.locator("#id_valid_until")).to_have_value(f"{expected_end:%d.%m.%Y}")  # filled by the script
    page.locator("input[name=old_key_ends][value='24h']").check()
    shot(page, "lifecycle-2-replace-form")
    page.get_by_test_id("replace-submit").click()

    new_token = page.get_by_test_id("token").input_value()
    new = ApiKey.objects.get(replaces=old)
    assert (new.user, new.api, new.note, new.valid_until) == (old.user, old.api, old.note, expected_end)
    expect(page.get_by_test_id("replaces")).to_contain_text(old.key_id)
    shot(page, "lifecycle-3-replace-token")
    close_token_screen(page)
    expect(page).to_have_url(KEYS_URL)
    assert new_token not in page.content()

    old.refresh_from_db()
    row = page.locator(f'[data-testid=valid-keys] tr[data-key-id="{old.key_id}"]')
    expect(row).to_contain_text(f"Replaced — stops working on {timezone.localtime(old.ends_at):%d.%m.%Y, %H:%M}")
    expect(page.locator(f'[data-testid=valid-keys] tr[data-key-id="{new.key_id}"]')).to_contain_text(
        f"replaces {old.key_id}"
    )
    for token, key in ((old_token, old), (new_token, new)):  # the overlap: both work
        response = _call(page, live_server, token)
        assert response.status == 200
        assert response.json()["key_id"] == key.key_id
    assert _call(page, live_server, old_token).headers["sunset"]

    # The chosen time passes: the live server runs in this process, so its clock moves with ours.
    later = timezone.now() + datetime.timedelta(hours=24, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    refused = _call(page, live_server, old_token)
    assert refused.status == 401
    assert refused.json()["reason"] == "replaced"
    assert _call(page, live_server, new_token).status == 200
    log_in(page, live_server, "demo-admin")  # the session of a day ago has ended
    page.goto(f"{live_server.url}/administration/api-keys/")
    expect(page.locator(f'[data-testid=valid-keys] tr[data-key-id="{old.key_id}"]')).to_have_count(0)
    open_ended(page)
    ended = page.locator(f'[data-testid=ended-keys] tr[data-key-id="{old.key_id}"]')
    expect(ended).to_contain_text(f"Replaced by {new.key_id}")
    expect(page.locator(f'[data-testid=valid-keys] tr[data-key-id="{new.key_id}"]')).to_be_visible()
    assert old.status == Status.REPLACED


def test_a_reminder_e_mail_links_to_the_replace_page(page: Page, live_server, demo, settings):
    settings.SITE_URL = live_server.url
    out = StringIO()
    call_command("send_expiry_reminders", stdout=out)
    admin = User.objects.get(username="demo-admin")
    message = OutboxMessage.objects.filter(kind="expiry_reminder", recipient=admin).first()
    assert message is not None, out.getvalue()
    page.set_content(message.html)
    expect(page.locator("h1")).to_contain_text("expires on")
    shot(page, "lifecycle-4-reminder-email")
    link = page.get_by_test_id("replace-link").get_attribute("href")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/administration/api-keys/[a-z2-7]{{12}}/replace/", link)
    log_in(page, live_server, "demo-admin")
    page.goto(link)
    expect(page.get_by_test_id("replace-submit")).to_be_visible()
