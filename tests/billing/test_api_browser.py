"""The API's docs page and the curl example in Chromium against the live server (browser tests)."""

import os

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

# The Chromium set-up and the walk's helpers of the browser tests.
from tests.browser import (
    create_key,
    log_in,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("base", "title"), [("billing", "Billing Solutions"), ("billing-int", "Customer Integration")])
def test_the_docs_page_shows_every_operation_with_nothing_blocked(
    page: Page, live_server, transactional_db, base, title
):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(request.url))
    page.goto(f"{live_server.url}/api/{base}/v1/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text(title)
    for operation in ("/ping", "/documents", "/documents/{document_id}"):
        expect(page.locator(f".opblock-summary-path[data-path='/api/{base}/v1{operation}']").first).to_be_visible()
    assert problems == []


def test_the_admin_copies_the_curl_example_of_a_new_key_and_it_works(page: Page, live_server, demo):
    log_in(page, live_server, "demo-admin")
    page.goto(f"{live_server.url}/administration/api-keys/")
    token = create_key(page, "demo-user", "curl from the screen")
    page.locator("button[data-copy-target='new-key-curl']").click()
    curl = page.evaluate("navigator.clipboard.readText()")
    assert curl == f'curl -H "Authorization: Bearer $API_KEY" {live_server.url}/api/billing-int/v1/ping'
    path = curl.rsplit(" ", 1)[1].removeprefix(live_server.url)
    answer = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.json()["user"] == "demo-user"
