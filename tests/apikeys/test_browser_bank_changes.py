"""«Waiting for your confirmation» in Chromium: support adds a user, a second staff user approves, and the
Admin user of Demo AG follows the band from Administration to User management and confirms; the list
has no axe-core violation at 1280 and 390 pixels, nor a horizontal scroll."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, log_in, no_axe_violations, shot
from tests.cast import make_user
from users.bank_changes import bank_change_approve
from users.models import BankChange, Organization, User
from users.services import user_save_by_staff

pytestmark = pytest.mark.browser


def test_the_admin_confirms_a_user_the_bank_added(page: Page, live_server, demo):
    support = User.objects.get(username="support")
    second = make_user("support2", None, is_staff=True)
    new = User(
        username="demo-new",
        first_name="Nora",
        last_name="Neu",
        email="nora@example.ch",
        organization=Organization.objects.get(name="Demo AG"),
    )
    new.set_unusable_password()
    user_save_by_staff(user=new, by=support)
    bank_change_approve(change=BankChange.objects.get(user=new), by=second)

    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/")
    band = page.get_by_test_id("band-bank-changes")
    expect(band).to_contain_text("1 change of your logins by the bank waits for your confirmation.")
    band.get_by_role("link").click()
    changes = page.get_by_test_id("bank-changes")
    row = changes.get_by_test_id("bank-change")
    expect(row).to_contain_text("demo-new")
    expect(row).to_contain_text("Nora Neu")
    expect(row).to_contain_text("nora@example.ch")
    no_axe_violations(page)
    shot(page, "bank-changes")
    shot(page, "bank-changes", width=PHONE)

    row.get_by_test_id("bank-change-confirm").click()
    expect(page.get_by_text("Confirmed: the change of demo-new is in effect.")).to_be_visible()
    expect(page.get_by_test_id("bank-changes")).to_have_count(0)
    new.refresh_from_db()
    assert new.is_active and not new.is_org_admin
