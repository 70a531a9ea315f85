"""Administration is for the e-finance Admin user; the others are told whom to ask, or to log in."""

import pytest

ADMIN_PAGES = [
    "/administration/",
    "/administration/users/",
    "/administration/api-keys/",
    "/administration/api-keys/new/",
]
ADVICE = "please contact your e-finance Admin user"


def test_the_admin_sees_administration_in_the_navigation(alice_client):
    html = alice_client.get("/").content.decode()
    assert 'data-testid="nav-administration"' in html
    assert "User management" in alice_client.get("/administration/").content.decode()


def test_a_standard_user_sees_no_administration(bob_client):
    html = bob_client.get("/").content.decode()
    assert 'data-testid="nav-administration"' not in html
    assert "contact your e-finance Admin user" in html


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_a_standard_user_gets_the_403_page_with_the_guides_advice(bob_client, url):
    response = bob_client.get(url)
    assert response.status_code == 403
    html = response.content.decode()
    assert ADVICE in html
    assert 'data-testid="contact-admin"' in html


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_support_staff_get_no_administration_either(sam_client, url):
    assert sam_client.get(url).status_code == 403


def test_a_standard_user_cannot_create_a_key_by_posting(bob_client, bob):
    response = bob_client.post("/administration/api-keys/new/", {"user": bob.pk, "api": "integration"})
    assert response.status_code == 403
    assert bob.api_keys.count() == 0


def test_a_deactivated_admin_is_logged_out(alice_client, alice):
    alice.is_active = False
    alice.save()
    response = alice_client.get("/administration/api-keys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_admin_who_loses_the_role_loses_administration(alice_client, alice):
    alice.is_org_admin = False
    alice.save()
    assert alice_client.get("/administration/api-keys/").status_code == 403


@pytest.mark.parametrize("url", [*ADMIN_PAGES, "/", "/administration/api-keys/aaaaaaaaaaaa/delete/"])
def test_anonymous_visitors_are_sent_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_an_anonymous_post_creates_nothing(client, bob):
    response = client.post("/administration/api-keys/new/", {"user": bob.pk, "api": "integration"})
    assert response.status_code == 302
    assert bob.api_keys.count() == 0
