"""Every change the bank's support makes to a customer's user or key shows on that organization's «Activity»
as done by the bank's support (with the support user), and its Admin users get an e-mail in their language."""

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import Action, AuditEvent
from tests.support_admin import approve_held, change_user
from users.bank_changes import bank_change_confirm
from users.mail import send_pending
from users.models import BankChange, User

ACTIVITY = "/administration/activity/"


def _mails_to(user):
    send_pending()
    return [message for message in mail.outbox if message.to == [user.email]]


def _forget_mail():
    """Drop the mail sent so far (the creation notices of the keys made for a test)."""
    send_pending()
    mail.outbox.clear()


def _activity_rows(client, action):
    body = client.get(ACTIVITY, {"action": action}).content.decode()
    return [row for row in body.split("<tr ")[1:] if f'data-action="{action}"' in row]


@pytest.fixture
def admins_in_german(alice):
    alice.language = "de"
    alice.save(update_fields=["language"])
    return alice


def _shows_support(row):
    return "bank support: Sam Tester (sam)" in row


@pytest.mark.parametrize(
    ("change", "action", "german"),
    [
        ({"is_org_admin": "on"}, Action.CHANGE_REQUESTED, "Änderung vom Support der Bank beantragt"),
        ({"is_active": None}, Action.USER_DEACTIVATED, "Benutzer vom Support der Bank deaktiviert"),
        (
            {"first_name": "Robert", "email": "robert@elsewhere.example"},
            Action.USER_CHANGED,
            "Benutzerdaten vom Support der Bank geändert",
        ),
    ],
)
def test_a_change_by_support_shows_on_activity_and_is_mailed_to_the_admins(
    sam_client, alice_client, bob, admins_in_german, change, action, german
):
    change_user(sam_client, bob, **change)
    [row] = _activity_rows(alice_client, action)
    assert _shows_support(row)
    assert ">bob<" in row
    entry = AuditEvent.objects.get(action=action)
    assert (entry.actor.username, entry.subject, entry.organization) == ("sam", bob, bob.organization)
    [notice] = _mails_to(admins_in_german)
    assert "Support der Bank" in notice.subject
    assert german in notice.body
    assert "Sam Tester, sam" in notice.body


def test_withdrawing_and_reactivating_are_recorded_too(sam_client, tina, alice_client, alice, bob, charlie):
    second_admin = User.objects.create_user(
        username="erin", organization=alice.organization, is_org_admin=True, email="erin@demo.example"
    )
    change_user(sam_client, second_admin, is_org_admin=None)
    change_user(sam_client, bob, is_active=None)
    change_user(sam_client, bob, is_active="on")
    approve_held(bob, by=tina, confirm_by=alice)  # a reactivation waits for a second employee and alice
    for action in (Action.ADMIN_WITHDRAWN, Action.USER_DEACTIVATED, Action.USER_REACTIVATED):
        [row] = _activity_rows(alice_client, action)
        assert _shows_support(row)
    # Withdrawn, deactivated; the reactivation asked for, approved by tina, and in effect.
    assert len(_mails_to(alice)) == 5
    assert _mails_to(charlie) == []


def test_a_user_added_by_support_and_their_link_show_on_activity(sam_client, tina, alice_client, alice, demo_ag):
    data = {
        "username": "dora",
        "first_name": "Dora",
        "last_name": "Keller",
        "email": "dora@demo.example",
        "organization": demo_ag.pk,
        "is_org_admin": "on",
    }
    assert sam_client.post(reverse("admin:users_user_add"), data).status_code == 302
    [asked] = _activity_rows(alice_client, Action.CHANGE_REQUESTED)
    assert _shows_support(asked)
    assert "new Admin user: «dora», Dora Keller, dora@demo.example" in asked
    approve_held(User.objects.get(username="dora"), by=tina, confirm_by=alice)
    for action in (Action.USER_ADDED, Action.ADMIN_GRANTED, Action.PASSWORD_LINK_SENT):
        [row] = _activity_rows(alice_client, action)
        assert _shows_support(row)
        assert ">dora<" in row
    notices = _mails_to(alice)
    assert any("User added by bank support (e-finance Admin user)" in notice.body for notice in notices)
    assert any("Set-password link sent by bank support" in notice.body for notice in notices)


def test_a_move_is_in_both_logs_and_neither_names_the_other_organization(
    sam_client, tina, alice_client, charlie_client, alice, bob, charlie, other_ag, demo_ag, make_key
):
    key, _token = make_key(user=bob)
    change_user(sam_client, bob, organization=other_ag.pk)
    approve_held(bob, by=tina)  # it now waits for charlie, Other AG's Admin user
    _forget_mail()
    bank_change_confirm(change=BankChange.objects.get(user=bob, kind=BankChange.Kind.MOVED), by=charlie)
    [out] = _activity_rows(alice_client, Action.USER_MOVED_OUT)
    [revoked] = _activity_rows(alice_client, Action.KEY_REVOKED)
    [moved_in] = _activity_rows(charlie_client, Action.USER_MOVED_IN)
    assert _shows_support(out) and _shows_support(moved_in) and _shows_support(revoked)
    assert key.key_id in revoked
    assert "The user left the organization" in revoked
    assert "Other AG" not in alice_client.get(ACTIVITY).content.decode()
    other_activity = charlie_client.get(ACTIVITY).content.decode()
    assert "Demo AG" not in other_activity
    assert key.key_id not in other_activity  # the key stays Demo AG's
    [to_demo] = _mails_to(alice)
    [to_other] = _mails_to(charlie)
    assert key.key_id in to_demo.body
    assert "Other AG" not in to_demo.body + to_demo.alternatives[0][0]
    assert "Demo AG" not in to_other.body + to_other.alternatives[0][0]
    assert key.key_id not in to_other.body


def test_another_organization_sees_nothing_of_a_change(sam_client, charlie_client, charlie, bob):
    change_user(sam_client, bob, is_org_admin="on")
    change_user(sam_client, bob, is_active=None)
    change_user(sam_client, bob, email="bob@elsewhere.example")
    body = charlie_client.get(ACTIVITY).content.decode()
    assert ">bob<" not in body
    assert "bank-support" not in body
    assert _mails_to(charlie) == []


def test_a_changed_address_is_told_at_the_old_address_too(sam_client, tina, bob):
    old = bob.email
    change_user(sam_client, bob, email="new@elsewhere.example")
    approve_held(bob, by=tina)  # Demo AG has no Admin user here: the two staff users decide
    assert bob.email == "new@elsewhere.example"
    send_pending()
    assert any(message.to == [old] for message in mail.outbox)


def test_a_revocation_by_support_is_mailed_to_the_admins(sam_client, alice, charlie, alice_key, make_key):
    key, _token = alice_key
    other, _token = make_key(user=alice)
    _forget_mail()
    changelist = reverse("admin:apikeys_apikey_changelist")
    data = {"action": "revoke_selected", "_selected_action": [key.pk, other.pk], "post": "yes", "reason": "leak"}
    assert sam_client.post(changelist, data).status_code == 302
    [notice] = _mails_to(alice)
    assert key.key_id in notice.body and other.key_id in notice.body
    assert "leak" in notice.body
    assert _mails_to(charlie) == []


def test_each_admin_gets_the_notice_in_their_own_language(sam_client, alice, bob, demo_ag):
    erin = User.objects.create_user(
        username="erin", organization=demo_ag, is_org_admin=True, email="erin@demo.example", language="it"
    )
    inactive = User.objects.create_user(
        username="ivo", organization=demo_ag, is_org_admin=True, email="ivo@demo.example", is_active=False
    )
    alice.language = "fr"
    alice.save(update_fields=["language"])
    change_user(sam_client, bob, is_org_admin="on")
    [to_alice] = _mails_to(alice)
    [to_erin] = _mails_to(erin)
    assert "support de la banque" in to_alice.subject
    assert "supporto della banca" in to_erin.subject
    assert _mails_to(inactive) == []
    assert _mails_to(bob) == []  # asked for only: bob is no Admin user yet


def test_a_superusers_change_is_shown_as_the_banks_too(admin_client, admin_user, alice_client, alice, bob):
    change_user(admin_client, bob, is_org_admin="on")
    [row] = _activity_rows(alice_client, Action.CHANGE_REQUESTED)
    assert f"bank support: {admin_user.username} ({admin_user.username})" in row
    assert len(_mails_to(alice)) == 1
