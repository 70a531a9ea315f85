"""Organizations and users in the support admin: support manages customers, never rights."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.support_admin import approve_held
from users.models import Organization, User
from users.services import SUPPORT_GROUP

# What support staff may open in the Django admin (users.services.SUPPORT_PERMISSIONS: keys, customers,
# and django-axes' login lockouts); every other registered model is a superuser's.
SUPPORT_MODELS = {
    "apikeys.apikey",
    "audit.auditevent",
    "apikeys.securitypolicy",  # read-only
    "apikeys.policychange",
    "users.user",
    "users.organization",
    "users.bankchange",  # approve or withdraw what another staff user asked for
    "users.outboxmessage",  # read-only, without the messages' text
    "users.loginlimit",  # the per-account login limit: read-only, with «Lift the login lock»
    "axes.accessattempt",
    "axes.accesslog",
}


def _user_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "organization": user.organization_id or "",
    }
    if user.is_org_admin:
        data["is_org_admin"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _change(user):
    return reverse("admin:users_user_change", args=[user.pk])


def test_support_adds_a_user_to_an_organization_as_its_admin(sam_client, tina, demo_ag):
    response = sam_client.post(
        reverse("admin:users_user_add"),
        {
            "username": "dora",
            # Django's password fields of the add form: ignored, support chooses no password.
            "usable_password": "true",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
            "first_name": "Dora",
            "last_name": "Keller",
            "email": "dora@demo.example",
            "organization": demo_ag.pk,
            "is_org_admin": "on",
        },
    )
    assert response.status_code == 302
    dora = User.objects.get(username="dora")
    # Held until a second staff user approves (Demo AG has no Admin user to confirm it: onboarding).
    assert (dora.organization, dora.is_active, dora.is_org_admin) == (demo_ag, False, False)
    approve_held(dora, by=tina)
    assert (dora.organization, dora.is_org_admin, dora.is_staff, dora.is_superuser) == (demo_ag, True, False, False)
    assert dora.is_active
    assert not dora.has_usable_password()
    assert not dora.check_password("a-long-and-unusual-passphrase")


def test_support_sets_and_clears_the_admin_flag(sam_client, tina, alice, bob):
    assert sam_client.post(_change(bob), _user_form(bob, is_org_admin="on")).status_code == 302
    bob.refresh_from_db()
    assert not bob.is_org_admin  # asked for only
    approve_held(bob, by=tina, confirm_by=alice)
    assert sam_client.post(_change(alice), _user_form(alice, is_org_admin=None)).status_code == 302
    alice.refresh_from_db()
    assert (bob.is_org_admin, alice.is_org_admin) == (True, False)  # a withdrawal takes effect at once


def test_an_admin_without_an_organization_is_a_form_error(sam_client, bob):
    response = sam_client.post(_change(bob), _user_form(bob, organization="", is_org_admin="on"))
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    bob.refresh_from_db()
    assert (bob.organization.name, bob.is_org_admin) == ("Demo AG", False)


def test_support_adds_and_renames_organizations(sam_client, demo_ag):
    assert sam_client.post(reverse("admin:users_organization_add"), {"name": "Neue AG"}).status_code == 302
    change = reverse("admin:users_organization_change", args=[demo_ag.pk])
    assert sam_client.post(change, {"name": "Demo AG (Zürich)"}).status_code == 302
    assert set(Organization.objects.values_list("name", flat=True)) == {"Neue AG", "Demo AG (Zürich)"}


def test_support_cannot_grant_rights_to_anyone(sam_client, sam, bob):
    support = Group.objects.get(name=SUPPORT_GROUP)
    rights = {"is_staff": "on", "is_superuser": "on", "groups": [support.pk]}
    assert sam_client.post(_change(bob), _user_form(bob, first_name="Robert", **rights)).status_code == 302
    bob.refresh_from_db()
    assert (bob.first_name, bob.is_staff, bob.is_superuser, bob.groups.count()) == ("Robert", False, False, 0)
    page = sam_client.get(_change(bob)).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page


def test_support_cannot_change_staff_accounts_or_their_passwords(sam_client, sam, admin_user):
    for staff in (sam, admin_user):
        assert sam_client.post(_change(staff), _user_form(staff, is_superuser="on")).status_code == 403
        password = reverse("admin:auth_user_password_change", args=[staff.pk])
        new = {"password1": "taken-over-2026!", "password2": "taken-over-2026!", "usable_password": "true"}
        assert sam_client.post(password, new).status_code == 403
    sam.refresh_from_db()
    admin_user.refresh_from_db()
    assert not sam.is_superuser
    assert not admin_user.check_password("taken-over-2026!")


def test_support_deletes_no_user_or_organization(sam_client, bob, demo_ag):
    assert sam_client.post(reverse("admin:users_user_delete", args=[bob.pk]), {"post": "yes"}).status_code == 403
    delete_org = reverse("admin:users_organization_delete", args=[demo_ag.pk])
    assert sam_client.post(delete_org, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()


def test_support_reaches_nothing_else_in_the_admin(sam_client):
    others = [model._meta for model in admin.site._registry if model._meta.label_lower not in SUPPORT_MODELS]
    assert "auth.group" in {opts.label_lower for opts in others}
    for opts in others:
        for view, args in [("changelist", []), ("add", [])]:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
            assert sam_client.get(url).status_code == 403, url
    index = sam_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:auth_group_changelist") not in index
    assert sam_client.get(reverse("admin:app_list", args=["auth"])).status_code == 404


@pytest.mark.parametrize("who", ["alice_client", "bob_client"])
def test_customers_manage_no_users_here(request, who, bob):
    client = request.getfixturevalue(who)
    for url in [reverse("admin:users_user_changelist"), _change(bob), reverse("admin:users_organization_add")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    client.post(_change(bob), _user_form(bob, is_org_admin="on", is_superuser="on"))
    bob.refresh_from_db()
    assert not (bob.is_org_admin or bob.is_superuser)
