"""The emergency stop: «Suspend all keys» makes every key of the organization answer 401 `suspended`
on the next request, deletes nothing; «Resume» needs a second Admin user (or the only one's password)."""

import pytest
from django.core import mail

from apikeys.models import ApiKey, Status
from audit.models import Action, AuditEvent
from tests.apikeys.policy_cast import ping
from tests.cast import PASSWORD, client_for
from users.mail import send_pending
from users.models import Organization

SUSPEND = "/administration/security-policy/suspend/"
RESUME = "/administration/security-policy/resume/"


@pytest.fixture
def keys(make_key, bob, charlie):
    ours = make_key(user=bob), make_key(user=bob, api="production")
    theirs = make_key(user=charlie, created_by=charlie)
    return ours, theirs


def suspended(organization) -> bool:
    return Organization.objects.get(pk=organization.pk).keys_suspended


def test_suspending_refuses_every_key_of_the_organization_only(keys, alice_client, alice):
    (integration, production), theirs = keys
    response = alice_client.post(SUSPEND, {"reason": "Token found in a public repository"})
    assert response.status_code == 302
    assert ping(integration[1]).json()["reason"] == "suspended"
    assert ping(production[1], "production").json()["reason"] == "suspended"
    assert ping(integration[1]).status_code == 401
    assert ping(theirs[1]).status_code == 200  # another organization's keys go on
    assert all(key.status == Status.VALID for key in ApiKey.objects.filter(organization=alice.organization))


def test_a_reason_is_required(keys, alice_client, alice):
    response = alice_client.post(SUSPEND, {"reason": ""})
    assert response.status_code == 400
    assert "Enter the reason" in response.content.decode()
    assert not suspended(alice.organization)


def test_suspend_and_resume_are_audited_and_emailed_to_every_admin(keys, alice_client, dora_client, alice, dora):
    alice_client.post(SUSPEND, {"reason": "Leak"})
    dora_client.post(RESUME)
    assert not suspended(alice.organization)
    assert AuditEvent.objects.get(action=Action.KEYS_SUSPENDED).actor == alice
    resumed = AuditEvent.objects.get(action=Action.KEYS_RESUMED)
    assert resumed.actor == dora and resumed.details["reason"] == "Leak"
    send_pending()
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert [to for to, subject in subjects if "are suspended" in subject] == [alice.email, dora.email]
    assert [to for to, subject in subjects if "work again" in subject] == [alice.email, dora.email]
    assert ping(keys[0][0][1]).status_code == 200


def test_the_admin_who_suspended_cannot_resume_when_another_admin_exists(keys, alice_client, alice, dora):
    alice_client.post(SUSPEND, {"reason": "Leak"})
    response = alice_client.post(RESUME, {"password": PASSWORD}, follow=True)
    assert "another Admin user of your organization must resume" in response.content.decode().replace(
        "Another", "another"
    )
    assert suspended(alice.organization)


def test_the_only_admin_resumes_after_entering_the_password_again(keys, alice_client, alice):
    alice_client.post(SUSPEND, {"reason": "Leak"})
    assert alice_client.post(RESUME, {"password": ""}).status_code == 400
    assert alice_client.post(RESUME, {"password": "wrong-password"}).status_code == 400
    assert suspended(alice.organization)
    assert alice_client.post(RESUME, {"password": PASSWORD}).status_code == 302
    assert not suspended(alice.organization)
    assert AuditEvent.objects.get(action=Action.KEYS_RESUMED).details["password_confirmed"] is True


def test_guessing_the_password_at_resume_is_limited_like_the_login(keys, alice_client, alice, settings):
    """A stolen session must not be a way to guess the Admin user's password: the login protection
    counts wrong passwords at «Resume» too, and after its limit even the right one is refused."""
    from axes.models import AccessAttempt

    alice_client.post(SUSPEND, {"reason": "Leak"})
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        assert alice_client.post(RESUME, {"password": "wrong-password"}).status_code in (400, 429)
    assert AccessAttempt.objects.get(username=alice.username).failures_since_start >= settings.AXES_FAILURE_LIMIT
    locked = alice_client.post(RESUME, {"password": PASSWORD})
    assert locked.status_code == 429
    assert "Login blocked" in locked.content.decode()
    assert suspended(alice.organization)
    assert not AuditEvent.objects.filter(action=Action.KEYS_RESUMED).exists()


def test_a_standard_user_and_an_outsider_cannot_suspend_or_resume(keys, bob_client, charlie_client, alice):
    for client in (bob_client,):
        assert client.post(SUSPEND, {"reason": "x"}).status_code == 403
    charlie_client.post(SUSPEND, {"reason": "x"})  # suspends Other AG only
    assert not suspended(alice.organization)


def test_suspend_is_post_only_and_needs_csrf(keys, alice):
    client = client_for(alice, enforce_csrf_checks=True)
    assert client.get(SUSPEND).status_code == 405
    assert client.post(SUSPEND, {"reason": "x"}).status_code == 403
    assert not suspended(alice.organization)


def test_support_sees_the_state_read_only_and_filters_by_it(keys, alice_client, sam_client, alice):
    alice_client.post(SUSPEND, {"reason": "Leak"})
    listing = sam_client.get("/support/users/organization/?keys_suspended=yes").content.decode()
    assert "Demo AG" in listing and "Other AG" not in listing
    page = sam_client.get(f"/support/users/organization/{alice.organization.pk}/change/").content.decode()
    assert "Leak" in page and 'name="keys_suspension_reason"' not in page


def test_activity_shows_the_stop_and_the_resume_with_the_reason(keys, alice_client, dora_client):
    alice_client.post(SUSPEND, {"reason": "Laptop stolen"})
    dora_client.post(RESUME)
    html = alice_client.get("/administration/activity/").content.decode()
    assert 'data-action="keys_suspended"' in html and 'data-action="keys_resumed"' in html
    assert "Laptop stolen" in html


def test_support_sees_the_policy_read_only(alice, sam_client, dora):
    from tests.apikeys.policy_cast import set_policy

    set_policy(alice.organization, four_eyes=True, allowed_networks="192.0.2.0/24")
    listing = sam_client.get("/support/apikeys/securitypolicy/").content.decode()
    assert "192.0.2.0/24" in listing
    assert sam_client.post(f"/support/apikeys/securitypolicy/{alice.organization.pk}/change/", {}).status_code == 403
