"""Security headers and cookies of the product pages; the CSP holds in a real browser (admin, API docs too)."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.cast import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + Playwright (tests/browser.py)

PRODUCT_PAGES = ["/", "/administration/", "/administration/users/", "/administration/api-keys/"]


def _csp(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize("path", ["/accounts/login/", *PRODUCT_PAGES, "/administration/api-keys/new/"])
def test_every_product_page_sends_the_security_headers(alice_client, alice_key, path):
    client = Client() if path == "/accounts/login/" else alice_client
    response = client.get(path)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_django_admin_gets_the_same_strict_policy(sam_client):
    response = sam_client.get("/support/")
    assert response.status_code == 200
    assert _csp(response)["img-src"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/api/billing/v1/docs", "/api/billing-int/v1/docs"])
def test_only_the_api_docs_may_load_data_images_and_nothing_inline(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["script-src"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert "data:" not in Client().get("/accounts/login/")["Content-Security-Policy"]


def test_hsts_is_sent_over_https_with_the_production_values(db, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_behind_the_proxy_http_is_redirected_and_https_is_not(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="http")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"
    assert Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_production_cookies_are_secure_httponly_and_lax(alice, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    login_page = client.get("/accounts/login/", secure=True)
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, secure=True)
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_the_templates_have_no_inline_script_style_or_event_handler():
    offenders = []
    root = Path(django_settings.BASE_DIR, "templates")
    for template in root.rglob("*.html"):
        text = template.read_text()
        inline_script = re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text)
        # E-mails are read in mail programs, never served under the site's CSP, and mail programs
        # load no stylesheet: their HTML may carry its own <style>; scripts and handlers never.
        style = r"\son[a-z]+=" if template.is_relative_to(root / "emails") else r"<style\b|\sstyle=|\son[a-z]+="
        if inline_script or re.search(style, text, re.IGNORECASE):
            offenders.append(template.name)
    assert offenders == []


# --- In Chromium: the policy blocks nothing that the pages need. ---------------------------------

_COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def _visit(page, url) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


@pytest.mark.browser
def test_no_page_breaks_the_policy_in_a_browser(live_server, page, alice, sam, alice_key, bob):
    page.add_init_script(_COLLECT_VIOLATIONS)
    page.set_default_timeout(5000)
    violations = {}
    for who, login_url, pages in [
        ("alice", "/accounts/login/", [*PRODUCT_PAGES, "/administration/api-keys/new/"]),
        ("sam", "/support/login/", ["/support/", "/support/apikeys/apikey/", f"/support/users/user/{bob.pk}/change/"]),
    ]:
        page.context.clear_cookies()
        violations[login_url] = _visit(page, live_server.url + login_url)
        page.fill("#id_username", who)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.press("#id_password", "Enter")
        assert "/login/" not in page.url
        for path in pages:
            violations[path] = _visit(page, live_server.url + path)
    # Swagger UI: open the operations, try one out (its icons are data: URIs).
    violations["docs"] = _visit(page, live_server.url + "/api/billing-int/v1/docs")
    page.wait_for_selector(".opblock-summary")
    for summary in page.locator(".opblock-summary").all()[:3]:
        summary.click()
    page.locator("button.try-out__btn").first.click()
    page.locator(".execute").first.click()
    page.wait_for_selector(".responses-wrapper .live-responses-table")
    violations["docs"] += page.evaluate("window.__csp")
    assert "Billing Solutions Customer Integration" in page.locator(".info .title").inner_text()
    assert {path: found for path, found in violations.items() if found} == {}
