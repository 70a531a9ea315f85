"""«Security policy» → «Admin users must use a second factor»: on at once (it strengthens), off only
with a second Admin user under four-eyes (it weakens); while on, an Admin user without a factor
reaches nothing under Administration but the enrolment and is told why, and nobody it binds can
remove their last factor."""

import pytest
from django.test import Client

from apikeys.models import PolicyChange
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import set_policy
from tests.cast import PASSWORD
from tests.factors import enrol, stale_proof
from users.factors.models import TOTPDevice
from users.models import Organization

URL = "/administration/security-policy/"
ENROL = "/accounts/security/authenticator/"
REMOVE = "/accounts/security/authenticator/remove/"


def post(client, *, factor: bool, four_eyes=False):
    data = {"max_validity_days": "", "allowed_networks": ""}
    if factor:
        data["admins_need_factor"] = "on"
    if four_eyes:
        data["four_eyes"] = "on"
    return client.post(URL, data)


def rule_on(organization) -> bool:
    return Organization.objects.get(pk=organization.pk).admins_need_factor


def test_turning_it_on_takes_effect_at_once_and_is_recorded(alice, alice_client):
    enrol(alice)
    assert post(alice_client, factor=True).status_code == 302
    assert rule_on(alice.organization)
    entry = AuditEvent.objects.get(action=Action.POLICY_CHANGED)
    assert entry.details["admins_need_factor"] is True
    page = alice_client.get("/administration/activity/").content.decode()
    assert "Second factor for Admin users: on" in page


def test_the_policy_page_shows_the_rule_as_it_is(alice, alice_client):
    enrol(alice)
    page = alice_client.get(URL).content.decode()
    assert 'name="admins_need_factor"' in page and "checked" not in page.split('name="admins_need_factor"')[1][:40]
    Organization.objects.filter(pk=alice.organization_id).update(admins_need_factor=True)
    page = alice_client.get(URL).content.decode()
    assert 'name="admins_need_factor" id="id_admins_need_factor" checked' in page


def test_it_cannot_be_turned_on_by_an_admin_without_a_factor(alice, alice_client):
    response = post(alice_client, factor=True)
    assert response.status_code == 400
    assert "Set up your own second factor first" in response.content.decode()
    assert not rule_on(alice.organization)


def test_turning_it_on_needs_a_fresh_proof(alice, alice_client):
    enrol(alice)
    stale_proof(alice_client)
    response = post(alice_client, factor=True)
    assert 'data-testid="step-up"' in response.content.decode()
    assert not rule_on(alice.organization)


def test_without_four_eyes_turning_it_off_applies_at_once(alice, alice_client):
    enrol(alice)
    Organization.objects.filter(pk=alice.organization_id).update(admins_need_factor=True)
    assert post(alice_client, factor=False).status_code == 302
    assert not rule_on(alice.organization)


@pytest.fixture
def strict(alice, dora):
    enrol(alice)
    enrol(dora)
    Organization.objects.filter(pk=alice.organization_id).update(admins_need_factor=True)
    return set_policy(alice.organization, four_eyes=True)


def test_under_four_eyes_turning_it_off_waits_for_a_second_admin(strict, alice, alice_client, dora_client):
    assert post(alice_client, factor=False, four_eyes=True).status_code == 302
    assert rule_on(alice.organization)
    change = PolicyChange.objects.get()
    assert change.values["admins_need_factor"] is False
    assert "Second factor for Admin users: off" in dora_client.get(URL).content.decode()
    # Never by the one who asked, however they post.
    alice_client.post(f"{URL}changes/{change.pk}/approve/")
    assert rule_on(alice.organization)
    assert dora_client.post(f"{URL}changes/{change.pk}/approve/").status_code == 302
    assert not rule_on(alice.organization)


def test_a_rejected_request_to_turn_it_off_leaves_it_on(strict, alice, alice_client, dora_client):
    post(alice_client, factor=False, four_eyes=True)
    change = PolicyChange.objects.get()
    dora_client.post(f"{URL}changes/{change.pk}/reject/")
    assert rule_on(alice.organization)


def test_a_change_requested_before_the_rule_leaves_it_as_it_is(strict, alice, dora, dora_client):
    change = PolicyChange.objects.create(
        organization=alice.organization,
        requested_by=alice,
        values={"max_validity_days": None, "four_eyes": True, "allowed_networks": ""},
    )
    assert dora_client.post(f"{URL}changes/{change.pk}/approve/").status_code == 302
    assert rule_on(alice.organization)


def test_another_organization_cannot_touch_it(alice, charlie, charlie_client):
    enrol(alice)
    enrol(charlie)
    post(charlie_client, factor=True)
    assert rule_on(charlie.organization)
    assert not rule_on(alice.organization)


# While on: an Admin user without a factor.


@pytest.fixture
def rule(alice, dora):
    enrol(alice)
    Organization.objects.filter(pk=alice.organization_id).update(admins_need_factor=True)


@pytest.mark.parametrize(
    "url",
    [
        "/administration/",
        "/administration/users/",
        "/administration/api-keys/",
        "/administration/api-keys/new/",
        "/administration/activity/",
        "/administration/security-policy/",
        "/",
    ],
)
def test_an_admin_without_a_factor_reaches_only_the_enrolment(rule, dora_client, url):
    response = dora_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == ENROL
    page = dora_client.get(ENROL)
    assert page.status_code == 200
    assert "security policy requires a second factor for Admin users" in page.content.decode()


def test_a_post_of_an_admin_without_a_factor_does_nothing(rule, alice, dora_client):
    response = dora_client.post(URL, {"max_validity_days": "", "allowed_networks": ""})
    assert response["Location"] == ENROL
    assert rule_on(alice.organization)
    assert not AuditEvent.objects.filter(action=Action.POLICY_CHANGED).exists()


def test_at_the_next_login_an_admin_without_a_factor_is_sent_to_enrol(rule, dora):
    client = Client()
    response = client.post("/accounts/login/", {"username": "dora", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == ENROL
    assert "security policy requires a second factor" in response.content.decode()


def test_after_enrolling_administration_opens(rule, dora, dora_client):
    enrol(dora)
    assert dora_client.get("/administration/").status_code == 200


def test_a_standard_user_is_not_bound_by_it(rule, bob_client):
    assert bob_client.get("/").status_code == 200


def test_another_organizations_admins_are_not_bound_by_it(rule, charlie_client):
    assert charlie_client.get("/administration/").status_code == 200


def test_the_last_factor_cannot_be_removed_while_it_is_on(rule, alice, alice_client):
    response = alice_client.post(REMOVE, follow=True)
    assert "Your authenticator app stays" in response.content.decode()
    assert TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action=Action.FACTOR_REMOVED).exists()


def test_the_security_page_offers_no_removal_while_it_is_on(rule, alice_client):
    page = alice_client.get("/accounts/security/").content.decode()
    assert 'data-testid="totp-remove"' not in page
    assert 'data-testid="factor-required"' in page


def test_without_the_rule_the_factor_can_be_removed(alice, alice_client):
    enrol(alice)
    alice_client.post(REMOVE)
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_support_staff_cannot_remove_their_last_factor(sam, sam_client):
    sam_client.post(REMOVE)
    assert TOTPDevice.objects.filter(user=sam, confirmed=True).exists()
