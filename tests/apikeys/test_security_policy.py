"""Administration → «Security policy»: the maximum validity, four-eyes (only with two Admin users), the
networks of new keys, and weakening changes that wait for a second Admin user while four-eyes is on."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from apikeys import services
from apikeys.models import PolicyChange, check_valid_until, latest_valid_until
from apikeys.policy import rules as policy
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import create_via_form, current_policy, post_policy, set_policy
from tests.cast import client_for
from users.mail import send_pending

URL = "/administration/security-policy/"


post, current = post_policy, current_policy


def test_administration_links_to_the_policy_page(alice_client):
    assert URL in alice_client.get("/administration/").content.decode()
    assert alice_client.get(URL).status_code == 200


def test_a_standard_user_gets_403_and_support_cannot_open_it(bob_client, sam_client, alice):
    assert bob_client.get(URL).status_code == 403
    assert post(bob_client, 30).status_code == 403
    assert sam_client.get(URL).status_code == 403
    assert current(alice.organization).max_validity_days is None


def test_the_form_needs_csrf(alice):
    client = client_for(alice, enforce_csrf_checks=True)
    assert post(client, 30).status_code == 403
    assert current(alice.organization).max_validity_days is None


def test_a_shorter_maximum_applies_to_the_creation_form(alice, alice_client, bob):
    assert post(alice_client, 90).status_code == 302
    today = timezone.localdate()
    html = alice_client.get("/administration/api-keys/new/").content.decode()
    assert (today + datetime.timedelta(days=90)).strftime("%d.%m.%Y") in html
    late = (today + datetime.timedelta(days=91)).isoformat()
    response, token = create_via_form(alice_client, bob, api="integration", valid_until=late)
    assert response.status_code == 400 and token is None
    assert "at most 90 days" in response.content.decode()
    ok = (today + datetime.timedelta(days=90)).isoformat()
    assert create_via_form(alice_client, bob, api="integration", valid_until=ok)[1]


def test_the_service_honours_the_maximum_too(alice, bob):
    """What «Replace» and every other way of making a key call: `apikey_create` checks the policy."""
    set_policy(alice.organization, max_validity_days=30)
    with pytest.raises(policy.ValidationError) as error:
        services.apikey_create(
            user=bob,
            api="integration",
            valid_until=timezone.localdate() + datetime.timedelta(days=31),
            created_by=alice,
        )
    assert error.value.code == "over_policy"


def test_the_maximum_is_never_longer_than_two_years(alice_client, alice):
    response = post(alice_client, 731)
    assert response.status_code == 400 and "at most 730 days" in response.content.decode()
    assert post(alice_client, "abc").status_code == 400
    assert post(alice_client, 0).status_code == 400
    day = datetime.date(2028, 2, 29)
    assert latest_valid_until(day, 730) == datetime.date(2030, 2, 28)  # two years win when shorter
    with pytest.raises(policy.ValidationError) as error:
        check_valid_until(datetime.date(2030, 3, 1), day, maximum_days=730)
    assert error.value.code == "too_late"


def test_existing_keys_keep_their_end(alice_client, make_key, bob):
    key, _token = make_key(user=bob, valid_until=timezone.localdate() + datetime.timedelta(days=600))
    post(alice_client, 30)
    key.refresh_from_db()
    assert key.valid_until == timezone.localdate() + datetime.timedelta(days=600) and key.is_valid


def test_four_eyes_needs_two_active_admin_users(alice_client, alice, demo_ag):
    html = alice_client.get(URL).content.decode()
    assert "four-eyes needs at least two" in html
    response = post(alice_client, four_eyes=True)
    assert response.status_code == 400 and "at least two active Admin users" in response.content.decode()
    assert not current(alice.organization).four_eyes
    with pytest.raises(policy.NotAllowed):
        policy.policy_update(
            organization_id=demo_ag.pk, by=alice, max_validity_days=None, four_eyes=True, allowed_networks=""
        )


def test_with_a_second_admin_four_eyes_turns_on_at_once(alice_client, alice, dora):
    assert post(alice_client, four_eyes=True).status_code == 302
    assert current(alice.organization).four_eyes
    assert AuditEvent.objects.get(action=Action.POLICY_CHANGED).details["four_eyes"] is True


def test_bad_networks_get_a_translated_message(alice_client, alice):
    alice_client.cookies["django_language"] = "de"
    response = post(alice_client, allowed_networks="300.1.2.3/8")
    assert response.status_code == 400
    assert "ist kein Netzwerk" in response.content.decode()
    assert current(alice.organization).allowed_networks == ""


@pytest.fixture
def strict(alice, dora):
    return set_policy(alice.organization, four_eyes=True, max_validity_days=90, allowed_networks="192.0.2.0/24")


@pytest.mark.parametrize(
    "weaker",
    [
        {"max_validity_days": 90, "four_eyes": False, "allowed_networks": "192.0.2.0/24"},
        {"max_validity_days": 120, "four_eyes": True, "allowed_networks": "192.0.2.0/24"},
        {"max_validity_days": "", "four_eyes": True, "allowed_networks": "192.0.2.0/24"},
        {"max_validity_days": 90, "four_eyes": True, "allowed_networks": "192.0.0.0/16"},
        {"max_validity_days": 90, "four_eyes": True, "allowed_networks": ""},
    ],
)
def test_a_weakening_change_waits_for_a_second_admin(strict, alice_client, dora_client, alice, weaker):
    response = post(alice_client, **weaker)
    assert response.status_code == 302
    assert current(alice.organization).max_validity_days == 90 and current(alice.organization).four_eyes
    assert current(alice.organization).allowed_networks == "192.0.2.0/24"
    change = PolicyChange.objects.get()
    # The requester cannot approve it, however they post.
    alice_client.post(f"{URL}changes/{change.pk}/approve/")
    assert current(alice.organization).allowed_networks == "192.0.2.0/24" and current(alice.organization).four_eyes
    assert dora_client.post(f"{URL}changes/{change.pk}/approve/").status_code == 302
    after = current(alice.organization)
    assert after.four_eyes is weaker["four_eyes"]
    assert after.max_validity_days == (weaker["max_validity_days"] or None)
    assert AuditEvent.objects.filter(action=Action.POLICY_APPROVED, actor__username="dora").exists()


def test_a_stronger_change_applies_at_once_under_four_eyes(strict, alice_client, alice):
    post(alice_client, 30, True, "192.0.2.0/25")
    assert current(alice.organization).max_validity_days == 30
    assert current(alice.organization).allowed_networks == "192.0.2.0/25"
    assert not PolicyChange.objects.exists()


def test_a_rejected_change_never_applies(strict, alice_client, dora_client, alice):
    post(alice_client, 90, False, "192.0.2.0/24")
    change = PolicyChange.objects.get()
    dora_client.post(f"{URL}changes/{change.pk}/reject/", {"reason": "Not now."})
    assert current(alice.organization).four_eyes
    assert dora_client.post(f"{URL}changes/{change.pk}/approve/", follow=True).status_code == 200
    assert current(alice.organization).four_eyes  # decided once


def test_the_other_admin_is_told_and_sees_approve_and_reject(strict, alice_client, dora_client, dora):
    post(alice_client, 365, True, "192.0.2.0/24")
    change = PolicyChange.objects.get()
    send_pending()
    assert [m.to for m in mail.outbox if "security policy" in m.subject] == [[dora.email]]
    assert f"{URL}changes/{change.pk}/approve/" in dora_client.get(URL).content.decode()
    assert f"{URL}changes/{change.pk}/approve/" not in alice_client.get(URL).content.decode()


def test_another_organization_cannot_decide_a_change(strict, alice_client, charlie_client, alice):
    post(alice_client, 365, True, "192.0.2.0/24")
    change = PolicyChange.objects.get()
    assert charlie_client.post(f"{URL}changes/{change.pk}/approve/").status_code == 404
    assert current(alice.organization).max_validity_days == 90
