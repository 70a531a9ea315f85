"""Support cannot move someone's login to an address of its own: a new address takes effect only after a
second staff user (and, where there is one, an Admin user of the organization: test_bank_changes) agrees,
and after it, for a user who has a password, no set-password link goes out for 7 days. The change is
told at once to the organization's Admin users and to the previous address (test_support_changes)."""

import datetime

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.support_admin import approve_held, change_user
from users.mail import send_pending
from users.models import OutboxMessage, User
from users.services import SET_PASSWORD_LINK_HOLD, set_password_link_held_until

CHANGELIST = "admin:users_user_changelist"


def _send_link(client, user):
    response = client.post(reverse(CHANGELIST), {"action": "send_set_password_link", "_selected_action": [user.pk]})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def _links_to(user) -> int:
    return OutboxMessage.objects.filter(kind="set_password_link", to=user.email).count()


def test_after_support_changes_the_address_no_link_goes_there_for_seven_days(sam_client, tina, bob):
    assert bob.has_usable_password()
    change_user(sam_client, bob, email="attacker@example.net")
    assert bob.email == "bob@demo.example"  # asked for only
    approve_held(bob, by=tina)  # no Admin user in Demo AG here: two staff users make it take effect
    assert bob.email_changed_by_staff_at is not None
    messages = _send_link(sam_client, bob)
    assert _links_to(bob) == 0
    [held] = [message for message in messages if message.startswith("No link for bob before")]
    assert "less than 7 days ago" in held
    assert set_password_link_held_until(bob) == bob.email_changed_by_staff_at + SET_PASSWORD_LINK_HOLD


def test_after_the_hold_the_link_goes_to_the_new_address(sam_client, tina, bob):
    change_user(sam_client, bob, email="bob.new@demo.example")
    approve_held(bob, by=tina)
    User.objects.filter(pk=bob.pk).update(
        email_changed_by_staff_at=timezone.now() - SET_PASSWORD_LINK_HOLD - datetime.timedelta(minutes=1)
    )
    bob.refresh_from_db()
    _send_link(sam_client, bob)
    assert _links_to(bob) == 1
    send_pending()


def test_a_user_without_a_password_yet_gets_the_link_at_once(sam_client, tina, bob):
    bob.set_unusable_password()
    bob.save()
    change_user(sam_client, bob, email="bob.first@demo.example")
    approve_held(bob, by=tina)
    _send_link(sam_client, bob)
    assert _links_to(bob) == 1


def test_other_changes_start_no_hold(sam_client, bob):
    change_user(sam_client, bob, first_name="Robert")
    assert bob.email_changed_by_staff_at is None
    _send_link(sam_client, bob)
    assert _links_to(bob) == 1


def test_support_cannot_clear_the_hold_through_the_form(sam_client, tina, bob):
    change_user(sam_client, bob, email="attacker@example.net")
    approve_held(bob, by=tina)
    changed_at = bob.email_changed_by_staff_at
    change_user(sam_client, bob, email_changed_by_staff_at="")
    assert bob.email_changed_by_staff_at == changed_at
    change_user(sam_client, bob, email="attacker2@example.net")
    approve_held(bob, by=tina)
    assert bob.email_changed_by_staff_at >= changed_at  # a second change starts the hold again
    _send_link(sam_client, bob)
    assert _links_to(bob) == 0


def test_an_inactive_user_is_told_as_inactive_not_as_held(sam_client, tina, bob):
    change_user(sam_client, bob, email="attacker@example.net")
    approve_held(bob, by=tina)
    change_user(sam_client, bob, is_active=None)  # the checkbox left out: deactivated
    messages = _send_link(sam_client, bob)
    assert _links_to(bob) == 0
    assert not [message for message in messages if message.startswith("No link for bob before")]
    assert [message for message in messages if message.startswith("No link for bob:")]
