"""Support never sets, sees or chooses a customer's password: no password form (GET or POST, superusers
included), no password field or hash on the user's page, no usable password when they add a user."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.cast import mentions
from users.models import User


def _password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _add_dora(client, organization, **extra):
    data = {"username": "dora", "email": "dora@demo.example", "organization": organization.pk if organization else ""}
    return client.post(reverse("admin:users_user_add"), {**data, **extra})


def _log_in(username, password) -> bool:
    client = Client()
    response = client.post(reverse("users:login"), {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize("who", ["sam_client", "superuser"])
def test_nobody_at_the_bank_opens_or_posts_the_password_form_of_a_customer(request, who, bob, alice, admin_client):
    client = admin_client if who == "superuser" else request.getfixturevalue(who)
    for user in (bob, alice):
        assert client.get(_password_url(user)).status_code == 403
        new = {"password1": "taken-over-2026!", "password2": "taken-over-2026!", "usable_password": "true"}
        assert client.post(_password_url(user), new).status_code == 403
        user.refresh_from_db()
        assert not user.check_password("taken-over-2026!")
        assert user.check_password("correct-horse-battery-staple")


def test_the_change_form_shows_no_password_field_hash_or_link(sam_client, admin_client, bob):
    for client in (sam_client, admin_client):
        page = client.get(reverse("admin:users_user_change", args=[bob.pk])).content.decode()
        assert "../password/" not in page
        assert _password_url(bob) not in page
        assert bob.password.split("$")[-1] not in page
        assert not mentions(page.lower(), "md5")  # the hasher of the tests: not even the algorithm is shown
        assert "Nobody at the bank can see it or set it" in page


def test_a_superuser_still_sets_the_password_of_bank_staff(admin_client, sam):
    assert admin_client.get(_password_url(sam)).status_code == 200


def test_support_cannot_add_a_customer_without_an_address_or_an_organization(sam_client, demo_ag):
    response = _add_dora(sam_client, demo_ag, email="")
    assert "the set-password link is sent there" in response.content.decode()
    response = _add_dora(sam_client, None)
    assert "Choose the organization" in response.content.decode()
    assert not User.objects.filter(username="dora").exists()


def test_a_password_or_hash_posted_with_the_user_forms_is_ignored(sam_client, admin_client, bob, demo_ag):
    from django.contrib.auth.hashers import make_password

    forged = make_password("chosen-by-support-2026")
    for client in (sam_client, admin_client):
        data = {
            "username": bob.username,
            "first_name": bob.first_name,
            "last_name": bob.last_name,
            "email": bob.email,
            "organization": demo_ag.pk,
            "is_active": "on",
            "password": forged,
            "password1": "chosen-by-support-2026",
            "password2": "chosen-by-support-2026",
        }
        assert client.post(reverse("admin:users_user_change", args=[bob.pk]), data).status_code == 302
    bob.refresh_from_db()
    assert bob.check_password("correct-horse-battery-staple")
    _add_dora(sam_client, demo_ag, password=forged)
    assert not User.objects.get(username="dora").has_usable_password()
    assert not _log_in("dora", "chosen-by-support-2026")
