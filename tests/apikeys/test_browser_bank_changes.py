"""«Waiting for your confirmation» in Chromium: support adds a user and reactivates another, a second staff
user approves both, and the Admin user of Demo AG follows the band from Administration to User management
and confirms each; the list has no axe-core violation at 1280 and 390 pixels, nor a horizontal scroll."""

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
    former = make_user("demo-former", new.organization, is_active=False)
    former.is_active = True
    user_save_by_staff(user=former, by=support)  # held: a reactivation
    bank_change_approve(change=BankChange.objects.get(user=former), by=second)

    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/")
    band = page.get_by_test_id("band-bank-changes")
    expect(band).to_contain_text("2 changes")
    band.get_by_role("link").click()
    changes = page.get_by_test_id("bank-changes")
    expect(changes.locator('[data-username="demo-former"]')).to_contain_text("reactivation")
    row = changes.locator('[data-testid="bank-change"][data-username="demo-new"]')
    expect(row).to_contain_text("demo-new")
    expect(row).to_contain_text("Nora Neu")
    expect(row).to_contain_text("nora@example.ch")
    no_axe_violations(page)
    shot(page, "bank-changes")
    shot(page, "bank-changes", width=PHONE)
    no_axe_violations(page)

    row.get_by_test_id("bank-change-confirm").click()
    expect(page.get_by_text("Confirmed: the change of demo-new is in effect.")).to_be_visible()
    page.get_by_test_id("bank-changes").get_by_test_id("bank-change-confirm").click()
    expect(page.get_by_text("Confirmed: the change of demo-former is in effect.")).to_be_visible()
    expect(page.get_by_test_id("bank-changes")).to_have_count(0)
    new.refresh_from_db()
    former.refresh_from_db()
    assert new.is_active and not new.is_org_admin and former.is_active
