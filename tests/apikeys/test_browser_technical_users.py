"""A technical user end to end in Chromium: the Admin user creates «ERP Abacus» under User
management, creates a key for it from its row (preselected, in the group «Technical users» of «User
identification»), and the key works; the new screens have no axe-core violation at 1280 and 390
pixels."""

import pytest
from playwright.sync_api import Page, expect

from apikeys.models import ApiKey
from tests.browser import KEYS_URL, close_token_screen, log_in, no_axe_violations, shot
from users.models import User

pytestmark = pytest.mark.browser
SELF = "/api/billing-int/v1/keys/self"


def test_the_admin_creates_a_technical_user_and_a_key_for_it(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/users/")
    page.get_by_test_id("create-technical-user").click()
    no_axe_violations(page)
    page.locator("#id_name").fill("ERP Sage")
    page.locator("#id_description").fill("Delivers the invoices of the Sage ERP")
    shot(page, "technical-user-create")
    page.get_by_test_id("technical-user-submit").click()

    sage = User.objects.get(first_name="ERP Sage")
    assert sage.is_technical and not sage.has_usable_password()
    row = page.locator(f"#user-{sage.pk}")
    expect(row).to_contain_text(sage.username)
    expect(row).to_contain_text("Delivers the invoices of the Sage ERP")
    no_axe_violations(page)
    shot(page, "technical-users")

    row.get_by_test_id("create-key-for").click()
    expect(page.locator("#id_user")).to_have_value(str(sage.pk))
    group = page.locator('#id_user optgroup[label="Technical users"]')
    expect(group).to_contain_text("ERP Sage")
    page.locator("input[name=api][value=integration]").check()
    page.locator("#id_note").fill("Sage test system")
    page.get_by_test_id("create-submit").click()
    token = page.get_by_test_id("token").input_value()
    key = ApiKey.objects.get(user=sage)
    answer = page.request.get(f"{live_server.url}{SELF}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and answer.json()["key_id"] == key.key_id
    close_token_screen(page)
    expect(page).to_have_url(KEYS_URL)
    expect(page.locator(f'[data-testid=valid-keys] tr[data-key-id="{key.key_id}"]')).to_contain_text(sage.username)

    page.goto(f"{live_server.url}/administration/api-keys/{key.key_id}/")
    expect(page.get_by_test_id("technical-user")).to_be_visible()
