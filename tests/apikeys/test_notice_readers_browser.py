"""Every key notice as its readers see it: the HTML part of the e-mail an Admin user and the key's own
standard user receive, rendered by Chromium at 600 px (a desktop mail client's column) and 390 px (a
phone): nothing wider than the window, the call to action of that reader, and 0 axe-core violations.
Screenshots: email-<kind>-<reader>[-390px].png (tests.browser.shot)."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail

from apikeys import services
from apikeys.models import Api
from apikeys.notices import send_expiry_reminders
from apikeys.policy.rules import apikey_approve
from audit.models import ExposureSource
from tests.apikeys.policy_cast import set_policy
from tests.browser import PHONE, shot
from tests.cast import make_user, today
from users.models import OutboxMessage

pytestmark = pytest.mark.browser

MAIL_WIDTH = 600


def _notices(alice, bob, dora, demo_ag) -> list[OutboxMessage]:
    """One of each key notice, to each of its readers."""
    set_policy(demo_ag, four_eyes=True)
    key, _token = services.apikey_create(
        user=bob, api=Api.INTEGRATION, note="ERP «Nord», invoices", valid_until=today(), created_by=alice
    )
    services.apikey_replace(
        key=key, valid_until=today() + datetime.timedelta(days=300), overlap=datetime.timedelta(days=7), by=alice
    )
    reminded, _token = services.apikey_create(
        user=bob, api=Api.INTEGRATION, valid_until=today() + datetime.timedelta(days=100), created_by=alice
    )
    send_expiry_reminders(today=reminded.valid_until - datetime.timedelta(days=7))
    production, _token = services.apikey_create(
        user=bob, api=Api.PRODUCTION, note="ERP", valid_until=today(), created_by=alice
    )
    apikey_approve(key=production, by=dora)
    _exposed, exposed_token = services.apikey_create(
        user=bob, api=Api.INTEGRATION, valid_until=today(), created_by=alice
    )
    services.apikeys_revoke_exposed(credentials=[exposed_token], source=ExposureSource.REPORT, ip="203.0.113.9")
    first = {}
    for message in OutboxMessage.objects.order_by("pk"):
        first.setdefault((message.kind, message.recipient_id), message)
    return list(first.values())


def test_each_key_notice_reads_well_for_each_reader(page, alice, bob, demo_ag):
    dora = make_user("dora", demo_ag, is_org_admin=True)
    mail.outbox.clear()
    readers = {alice.pk: "admin", dora.pk: "admin2", bob.pk: "user"}
    messages = _notices(alice, bob, dora, demo_ag)
    kinds = {message.kind for message in messages}
    assert kinds >= {"key_created", "key_replaced", "expiry_reminder", "key_approval_requested", "key_decided"}
    axe, violations, checked = Axe(), {}, 0
    for message in messages:
        reader = readers[message.recipient_id]
        for width in (MAIL_WIDTH, PHONE):
            page.set_viewport_size({"width": width, "height": 900})
            page.set_content(message.html)
            where = f"{message.kind} to {reader} at {width} px"
            assert page.evaluate("document.documentElement.scrollWidth") <= width, where
            if reader == "user":
                assert page.locator("a[href*='/administration/']").count() == 0, where
            elif message.kind != "key_exposed":
                assert page.locator("[data-testid=page-link]").is_visible(), where
            shot(page, f"email-{message.kind}-{reader}", width)
            results = axe.run(page)
            checked += 1
            if results.violations_count:
                violations[where] = results.generate_report()
    assert checked >= 2 * len(kinds)
    assert violations == {}, "\n".join(violations.values())
