"""Login and logout pages; everything else needs a login."""

from django.test import Client

from tests.cast import PASSWORD


def test_the_login_page_opens_without_a_login(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_an_admin_logs_in_and_reaches_administration(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert 'data-testid="nav-administration"' in response.content.decode()


def test_login_follows_next_inside_the_site_only(client, alice):
    inside = client.post("/accounts/login/?next=/administration/api-keys/", {"username": "alice", "password": PASSWORD})
    assert inside["Location"] == "/administration/api-keys/"
    client.logout()
    outside = client.post("/accounts/login/?next=https://evil.example/", {"username": "alice", "password": PASSWORD})
    assert outside["Location"] == "/"


def test_a_wrong_password_is_refused(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deactivated_user_cannot_log_in(client, bob):
    bob.is_active = False
    bob.save()
    client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert alice_client.get("/administration/api-keys/").status_code == 302


def test_login_without_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_every_page_but_the_login_needs_a_login(client, db):
    for url in ("/", "/administration/", "/administration/users/", "/administration/api-keys/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
