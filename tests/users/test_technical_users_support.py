"""Technical users in the support admin: listed with their organization, never staff, never given a
password, an address or the Admin flag, never made from a person or turned back into one."""

from django.core import mail
from django.urls import reverse

from tests.cast import mentions
from tests.support_admin import change_user, user_form
from users.mail import send_pending
from users.models import User

LIST = reverse("admin:users_user_changelist")


def test_support_lists_technical_users_with_their_organization_never_as_staff(sam_client, abacus, bob):
    html = sam_client.get(LIST, {"is_technical__exact": "1"}).content.decode()
    assert "erp-abacus" in html and "Demo AG" in html
    assert not mentions(html, "bob")
    row = html[html.index("erp-abacus") :].split("</tr>", 1)[0]
    # The columns' booleans, in order: Admin, technical, staff, active.
    assert [icon.split('"', 1)[0] for icon in row.split('alt="')[1:]] == ["False", "True", "False", "True"]


def test_the_change_form_offers_no_password_address_or_admin_flag(sam_client, admin_client, abacus):
    for client in (sam_client, admin_client):
        html = client.get(reverse("admin:users_user_change", args=[abacus.pk])).content.decode()
        assert "never logs in" in html
        for field in ("email", "is_org_admin", "organization", "is_technical", "is_staff", "password"):
            assert f'name="{field}"' not in html
        assert client.get(reverse("admin:auth_user_password_change", args=[abacus.pk])).status_code == 403


def test_what_support_posts_never_makes_it_a_person(sam_client, abacus, other_ag):
    change_user(
        sam_client,
        abacus,
        email="erp@attacker.example",
        is_org_admin="on",
        is_staff="on",
        is_technical="",
        organization=other_ag.pk,
        first_name="ERP Abacus (old)",
    )
    assert (abacus.email, abacus.is_org_admin, abacus.is_staff, abacus.is_technical) == ("", False, False, True)
    assert abacus.organization.name == "Demo AG"
    assert abacus.first_name == "ERP Abacus (old)"
    assert not abacus.has_usable_password()


def test_what_support_posts_never_makes_a_person_technical(sam_client, bob):
    change_user(sam_client, bob, is_technical="on")
    assert not bob.is_technical
    response = sam_client.post(
        reverse("admin:users_user_add"),
        {**user_form(bob), "username": "dora", "first_name": "Dora", "is_technical": "on"},
    )
    assert response.status_code == 302
    assert not User.objects.get(username="dora").is_technical


def test_the_set_password_link_action_skips_it(sam_client, abacus):
    response = sam_client.post(LIST, {"action": "send_set_password_link", "_selected_action": [abacus.pk]}, follow=True)
    assert "No link for erp-abacus" in response.content.decode()
    send_pending()
    assert mail.outbox == []


def test_deactivating_the_person_who_created_its_key_leaves_the_key(sam_client, alice, abacus, make_key):
    key, _token = make_key(user=abacus, created_by=alice)
    change_user(sam_client, alice, is_active=None)
    key.refresh_from_db()
    assert key.is_valid and key.revoked_at is None


def test_deactivating_it_ends_its_keys_like_any_users(sam_client, abacus, make_key):
    key, _token = make_key(user=abacus)
    change_user(sam_client, abacus, is_active=None)
    key.refresh_from_db()
    assert key.revoked_at is not None
