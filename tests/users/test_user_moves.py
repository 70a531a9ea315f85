"""A user who holds valid keys cannot be moved to another organization; a moved user's keys stop working."""

from django.urls import reverse

from apikeys.models import ApiKey, Failure


def _change_user(client, user, organization):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "organization": organization.pk,
        "is_active": "on",
        "date_joined_0": "01.01.2026",
        "date_joined_1": "10:00:00",
    }
    return client.post(reverse("admin:users_user_change", args=[user.pk]), data)


def test_support_cannot_move_a_user_who_holds_valid_keys(sam_client, bob, other_ag, alice_key, demo_ag):
    response = _change_user(sam_client, bob, other_ag)
    assert response.status_code == 200
    assert "Delete them before moving the user" in response.content.decode()
    bob.refresh_from_db()
    assert bob.organization == demo_ag


def test_support_can_move_a_user_whose_keys_are_deleted(sam_client, bob, other_ag, make_key):
    make_key(user=bob, deleted=True)
    response = _change_user(sam_client, bob, other_ag)
    assert response.status_code == 302, response.content.decode()[:2000]
    bob.refresh_from_db()
    assert bob.organization == other_ag


def test_a_key_of_a_user_moved_behind_the_admins_back_is_refused(bob, other_ag, alice_key):
    _key, token = alice_key
    bob.organization = other_ag
    bob.save(update_fields=["organization"])  # a shell or a raw write, past the model's validation
    result = ApiKey.objects.verify_token(token)
    assert result.failure == Failure.USER_INACTIVE
