"""Technical users («ERP Abacus»): identities of the contract that own keys and can never log in."""

import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from apikeys import services
from apikeys.models import ApiKey
from audit.models import REASON_USER_LEFT
from users.services import may_get_set_password_link, set_password_path

User = get_user_model()


def _login_page(username: str, password: str) -> str:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert SESSION_KEY not in client.session
    page = response.content.decode().replace(username, "USERNAME")
    # What differs on every answer anyway: the CSRF token and the CSP nonce.
    return re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', r"\1=", page)


@pytest.mark.parametrize("password", ["", "!", "x" * 20])
def test_the_login_answers_a_technical_user_exactly_like_an_unknown_one(abacus, password):
    assert _login_page("erp-abacus", password or "anything") == _login_page("nobody-at-all", password or "anything")


def test_no_path_logs_a_technical_user_in(abacus):
    client = Client()
    assert not client.login(username="erp-abacus", password="")
    client.force_login(abacus)  # a session forged for it is not accepted on the next request
    assert client.get("/").status_code == 302


def test_the_support_login_answers_it_like_an_unknown_user(abacus):
    def page(username):
        response = Client().post("/support/login/", {"username": username, "password": "anything"})
        assert response.status_code == 200
        return re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', r"\1=", response.content.decode()).replace(
            username, "USERNAME"
        )

    assert page("erp-abacus") == page("nobody-at-all")


def test_a_set_password_link_made_for_it_does_not_work(abacus):
    """Even a link with a valid token (nobody sends one: it has no address) sets no password."""
    client = Client()
    response = client.get(set_password_path(abacus), follow=True)
    assert response.status_code == 200
    assert b'name="new_password1"' not in response.content
    form_path = set_password_path(abacus).rsplit("/", 2)[0] + "/set-password/"
    client.post(
        form_path, {"new_password1": "a-long-new-passphrase-2026", "new_password2": "a-long-new-passphrase-2026"}
    )
    abacus.refresh_from_db()
    assert not abacus.has_usable_password()
    assert not may_get_set_password_link(abacus)


def test_the_database_keeps_a_technical_user_technical_and_in_its_contract(abacus, other_ag):
    for change in ({"is_technical": False}, {"organization": other_ag}):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.filter(pk=abacus.pk).update(**change)


def test_the_database_keeps_a_person_from_becoming_technical(bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=bob.pk).update(is_technical=True, email="", password="!")


@pytest.mark.parametrize(
    "change",
    [{"email": "erp@demo.example"}, {"is_staff": True}, {"is_org_admin": True}, {"password": "pbkdf2_sha256$x"}],
)
def test_the_database_keeps_a_technical_user_from_being_a_person(abacus, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=abacus.pk).update(**change)


def test_a_technical_key_survives_the_person_who_created_it(alice, abacus):
    today = timezone.localdate()
    key, _token = services.apikey_create(user=abacus, api="integration", valid_until=today, created_by=alice)
    services.apikey_revoke_all_of_user(user=alice, by=alice, reason=REASON_USER_LEFT)
    assert ApiKey.objects.get(pk=key.pk).is_valid
